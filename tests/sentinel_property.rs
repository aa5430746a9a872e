//! Sentinel converges whatever happens on the way: random schedules of
//! server and Sentinel crashes and restarts, network cuts and heals and
//! writes, over many seeds. Once every node is back, the network whole and
//! enough virtual time has passed, every Sentinel names the same master,
//! that server is a master, and every other server replicates from it.

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::rng::Rng;
use redis_playground::sim::{Sim, TraceEvent};

const SERVERS: [u16; 3] = [7000, 7001, 7002];
const SENTINELS: [u16; 3] = [27000, 27001, 27002];
const SEEDS: u64 = 24;
const STEPS: usize = 30;

fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Option<Frame> {
    let handle = sim.connect(port)?;
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(handle, &bytes);
    let inbox = sim.take_inbox(handle);
    sim.close(handle);
    parse_frame(&inbox).ok().flatten().map(|(f, _)| f)
}

fn master_of(sim: &mut Sim, sentinel: u16) -> Option<u16> {
    match call(sim, sentinel, &["SENTINEL", "get-master-addr-by-name", "mymaster"])? {
        Frame::Array(a) => match a.get(1) {
            Some(Frame::Bulk(p)) => String::from_utf8_lossy(p).parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn replication(sim: &mut Sim, port: u16) -> String {
    match call(sim, port, &["INFO", "replication"]) {
        Some(Frame::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO on {port}: {other:?}"),
    }
}

/// Runs one schedule; returns how many times a Sentinel switched masters.
fn run(seed: u64) -> usize {
    let mut sim = Sim::new(seed, 1_700_000_000_000);
    let mut rng = Rng::new(seed ^ 0x5e17);
    let mut log = Vec::new();
    for (i, &port) in SERVERS.iter().enumerate() {
        let mut conf = vec!["repl-timeout 3".to_string(), "repl-ping-replica-period 1".to_string()];
        if i > 0 {
            conf.push(format!("replicaof 127.0.0.1 {}", SERVERS[0]));
        }
        sim.start_server(port, &conf).unwrap();
    }
    sim.advance(6000);
    for &port in &SENTINELS {
        sim.start_sentinel(port, &[
            format!("port {port}"),
            format!("sentinel monitor mymaster 127.0.0.1 {} 2", SERVERS[0]),
            "sentinel down-after-milliseconds mymaster 1000".to_string(),
            "sentinel failover-timeout mymaster 5000".to_string(),
        ])
        .unwrap();
    }
    sim.advance(4000);
    let all: Vec<u16> = SERVERS.iter().chain(SENTINELS.iter()).copied().collect();
    for step in 0..STEPS {
        let node = all[rng.below(all.len())];
        let other = all[rng.below(all.len())];
        let sentinel = node >= SENTINELS[0];
        let up = if sentinel { sim.sentinel_running(node) } else { sim.is_up(node) };
        match rng.below(6) {
            0 | 1 if up => {
                log.push(format!("{step}: crash {node}"));
                sim.crash(node).unwrap();
            }
            0 | 1 => {
                log.push(format!("{step}: restart {node}"));
                sim.restart(node).unwrap();
            }
            2 if node != other => {
                log.push(format!("{step}: cut {node} {other}"));
                sim.cut(node, other);
            }
            3 => {
                log.push(format!("{step}: heal {node} {other}"));
                sim.heal(node, other);
            }
            _ => {
                // A client writes where the first Sentinel that answers says the master is.
                if let Some(master) = SENTINELS.iter().find_map(|&s| master_of(&mut sim, s)) {
                    call(&mut sim, master, &["SET", &format!("k{step}"), "v"]);
                }
            }
        }
        sim.advance(300 + rng.below(3000) as i64);
    }
    // Everything comes back and the network heals.
    for &a in &all {
        let running = if a >= SENTINELS[0] { sim.sentinel_running(a) } else { sim.is_up(a) };
        if !running {
            sim.restart(a).unwrap();
        }
        for &b in &all {
            sim.heal(a, b);
        }
    }
    sim.advance(120_000);
    let named: Vec<Option<u16>> = SENTINELS.iter().map(|&s| master_of(&mut sim, s)).collect();
    let context = || format!("seed {seed}: {}", log.join(", "));
    assert!(named.iter().all(|m| m.is_some() && *m == named[0]), "Sentinels disagree: {named:?} ({})", context());
    let master = named[0].unwrap();
    assert!(replication(&mut sim, master).contains("role:master"), "{master} is not a master ({})", context());
    for &port in SERVERS.iter().filter(|&&p| p != master) {
        let info = replication(&mut sim, port);
        assert!(
            info.contains(&format!("master_port:{master}")) && info.contains("master_link_status:up"),
            "{port} does not follow {master}:\n{info}\n({})",
            context()
        );
    }
    sim.trace().iter().filter(|e| matches!(e, TraceEvent::Log { line, .. } if line.text.starts_with("+switch-master"))).count()
}

#[test]
fn sentinels_converge_after_any_schedule_of_faults() {
    let switches: usize = (0..SEEDS).map(run).sum();
    // The schedules must really make Sentinels fail over, not only wait.
    assert!(switches as u64 > SEEDS, "only {switches} switches in {SEEDS} runs");
}
