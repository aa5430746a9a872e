//! Replication through the simulator: the wall time of a full sync of a
//! 1,000,000-key dataset (DEBUG POPULATE) to three replicas, and how many
//! simulator events per second a master with three replicas handles under
//! a steady write load. Prints figures; asserts nothing.
//! `cargo bench --bench replication`.

use std::time::Instant;

use redis_playground::engine::resp::encode_command;
use redis_playground::sim::Sim;

const MASTER: u16 = 6379;
const REPLICAS: [u16; 3] = [6380, 6381, 6382];

fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Vec<u8> {
    let handle = sim.connect(port).expect("the server listens");
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(handle, &bytes);
    let reply = sim.take_inbox(handle);
    sim.close(handle);
    reply
}

fn full_sync(keys: usize) {
    let mut sim = Sim::new(7, 1_700_000_000_000);
    // Redis's defaults: the replicas that ask within 5 s share one transfer.
    sim.start_server(MASTER, &["enable-debug-command yes"]).unwrap();
    for port in REPLICAS {
        sim.start_server(port, &[] as &[&str]).unwrap();
    }
    call(&mut sim, MASTER, &["DEBUG", "POPULATE", &keys.to_string()]);
    let started = Instant::now();
    for port in REPLICAS {
        call(&mut sim, port, &["REPLICAOF", "127.0.0.1", &MASTER.to_string()]);
    }
    let mut virtual_ms = 0;
    let mut slowest = (0.0f64, 0);
    while !REPLICAS.iter().all(|&p| sim.link_up(p)) && virtual_ms < 60_000 {
        let step = Instant::now();
        sim.advance(100);
        virtual_ms += 100;
        let ms = step.elapsed().as_secs_f64() * 1000.0;
        if ms > slowest.0 {
            slowest = (ms, virtual_ms);
        }
    }
    println!("  the slowest 100 ms of virtual time (the transfer): {:.0} ms wall, at {} ms virtual", slowest.0, slowest.1);
    let elapsed = started.elapsed();
    let dbsize: Vec<String> =
        REPLICAS.iter().map(|&p| String::from_utf8_lossy(&call(&mut sim, p, &["DBSIZE"])).trim().to_string()).collect();
    println!(
        "full sync of {keys} keys to 3 replicas: {:.0} ms wall, {virtual_ms} ms virtual (replica DBSIZE {})",
        elapsed.as_secs_f64() * 1000.0,
        dbsize.join(" ")
    );
}

fn steady_writes(writes: usize) {
    let mut sim = Sim::new(7, 1_700_000_000_000);
    sim.start_server(MASTER, &["repl-diskless-sync-delay 0"]).unwrap();
    for port in REPLICAS {
        let line = format!("replicaof 127.0.0.1 {MASTER}");
        sim.start_server(port, &[line.as_str()]).unwrap();
    }
    sim.advance(2000);
    let handle = sim.connect(MASTER).unwrap();
    let events_before = sim.trace().len();
    let started = Instant::now();
    let mut bytes = Vec::new();
    for i in 0..writes {
        bytes.clear();
        encode_command(&["SET", &format!("key:{}", i % 10_000), &i.to_string()], &mut bytes);
        sim.send(handle, &bytes);
        sim.take_inbox(handle);
        if i % 100 == 99 {
            sim.advance(10);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let events = sim.trace().len() - events_before;
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
