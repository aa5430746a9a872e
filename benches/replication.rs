//! Replication through the simulator: the wall time of a full sync of a
//! 1,000,000-key dataset (DEBUG POPULATE) to three replicas, and how many
//! simulator events per second a master with three replicas handles under
//! a steady write load. Prints figures; asserts nothing.
//! `cargo bench --bench replication`.

#[path = "workloads.rs"]
mod workloads;

use std::time::Instant;

fn full_sync(keys: usize) {
    let mut sim = workloads::full_sync_setup(keys);
    let started = Instant::now();
    let virtual_ms = workloads::full_sync_run(&mut sim);
    let elapsed = started.elapsed();
    let dbsize: Vec<String> = workloads::REPLICAS
        .iter()
        .map(|&p| String::from_utf8_lossy(&workloads::call(&mut sim, p, &["DBSIZE"])).trim().to_string())
        .collect();
    println!(
        "full sync of {keys} keys to 3 replicas: {:.0} ms wall, {virtual_ms} ms virtual (replica DBSIZE {})",
        elapsed.as_secs_f64() * 1000.0,
        dbsize.join(" ")
    );
}

fn steady_writes(writes: usize) {
    let mut sim = workloads::steady_setup();
    let started = Instant::now();
    let events = workloads::steady_run(&mut sim, writes);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "steady writes: {writes} SETs to a master with 3 replicas, {events} simulator events in {:.0} ms: {:.0} events/s, {:.0} writes/s",
        elapsed * 1000.0,
        events as f64 / elapsed,
        writes as f64 / elapsed
    );
}

fn main() {
    full_sync(1_000_000);
    steady_writes(200_000);
}
