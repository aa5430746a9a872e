//! Replication converges whatever happens on the way: random schedules of
//! faults (tests/common/fault_schedule.rs: writes, crashes, restarts,
//! shutdowns, cuts both ways and one way, heals, latency, isolation,
//! re-parentings, manual failovers) over many seeds. Once every node is
//! back, the network whole and enough virtual time has passed, each
//! replica's `DEBUG DIGEST` equals the root master's, and while no root
//! lost its data every write it acknowledged is on every node.
//!
//! FAULT_SEEDS sets how many seeds (50 by default; scripts/fault-schedules.sh
//! runs 1,000 in release).

#[path = "common/fault_schedule.rs"]
mod fault_schedule;

use fault_schedule::{call, digest, trace_digest, Run, NODES};
use redis_playground::engine::resp::Frame;
use redis_playground::sim::{Sim, TraceEvent};

fn seeds() -> u64 {
    std::env::var("FAULT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(50)
}

/// How many masters answered `+FULLRESYNC` and `+CONTINUE` on the links.
fn resyncs(sim: &Sim) -> (usize, usize) {
    let answers = sim.trace().iter().filter_map(|e| match e {
        TraceEvent::Link { bytes, .. } => Some(bytes.as_slice()),
        _ => None,
    });
    answers.fold((0, 0), |(full, partial), b| {
        (full + b.starts_with(b"+FULLRESYNC") as usize, partial + b.starts_with(b"+CONTINUE") as usize)
    })
}

#[test]
fn replicas_converge_to_their_master() {
    let seeds = seeds();
    // The schedules must really exercise both kinds of resync, and failovers.
    let (mut full, mut partial, mut failovers, mut coordinated) = (0, 0, 0, 0);
    for seed in 0..seeds {
        let mut run = Run::complete(seed);
        let (f, p) = resyncs(&run.sim);
        full += f;
        partial += p;
        failovers += run.manual_failovers;
        coordinated += run.coordinated_failovers;
        let root = run.root;
        let expected = digest(&mut run.sim, root);
        for port in run.replicas() {
            let got = digest(&mut run.sim, port);
            let role = call(&mut run.sim, port, &["ROLE"]);
            assert_eq!(
                got,
                expected,
                "seed {seed}: replica {port} (following {}) differs from the root {root}; ROLE {role:?}\n{}",
                run.parent[&port],
                run.log.join("\n")
            );
        }
        if !run.root_lost_data {
            let pairs: Vec<(String, String)> = run.acknowledged.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for port in NODES {
                for (key, value) in &pairs {
                    let got = call(&mut run.sim, port, &["GET", key]);
                    // A later INCRBY/RPUSH/... on other keys never touches
                    // k*, but a later SET overwrote the entry in the map.
                    assert_eq!(got, Some(Frame::Bulk(value.clone().into_bytes())), "seed {seed}: {key} on {port}\n{}", run.log.join("\n"));
                }
            }
        }
    }
    // Partial resyncs are rarer: cut links and crashed nodes keep most
    // replicas from holding a link they could lose and resume.
    println!("{seeds} schedules: {full} full and {partial} partial resyncs, {failovers} manual failovers ({coordinated} with FAILOVER)");
    assert!(full > seeds as usize && partial > seeds as usize / 4, "{full} full and {partial} partial resyncs");
    assert!(failovers > seeds as usize / 4, "only {failovers} manual failovers");
    assert!(coordinated > seeds as usize / 10, "only {coordinated} failovers with FAILOVER");
}

/// The same seed gives the same trace; the first seeds' digests are kept
/// for tests/e2e/replay.test.js, which runs them in wasm.
#[test]
fn a_schedule_replays_to_the_same_trace() {
    let digests: Vec<String> = (0..4).map(|seed| format!("{:016x}", trace_digest(&Run::complete(seed).sim))).collect();
    let again: Vec<String> = (0..4).map(|seed| format!("{:016x}", trace_digest(&Run::complete(seed).sim))).collect();
    assert_eq!(digests, again);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("fault-schedule.digests"), digests.join("\n") + "\n").expect("written");
}

