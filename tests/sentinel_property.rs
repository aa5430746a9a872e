//! Sentinel converges whatever happens on the way: random schedules of
//! server and Sentinel crashes, shutdowns and restarts, network cuts (both
//! ways and one way) and heals, latency, a node isolated for a while,
//! failovers asked of a Sentinel (SENTINEL FAILOVER) and writes, over many
//! seeds. Once every node is back, the network whole and enough virtual
//! time has passed, every Sentinel names the same master, that server is a
//! master, every other server replicates from it with the same DEBUG
//! DIGEST. The servers have `min-replicas-to-write 1` with a lag of 2 s:
//! an isolated master acknowledges writes only in the seconds before it
//! notices (`ISOLATED_WRITES_MS`), never after; that bounds what a
//! failover can lose (tests/split_brain.rs counts it).
//!
//! FAULT_SEEDS sets how many seeds (50 by default; scripts/fault-schedules.sh
//! runs 1,000 in release).

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::rng::Rng;
use redis_playground::sim::{Sim, TraceEvent};

const SERVERS: [u16; 3] = [7000, 7001, 7002];
const SENTINELS: [u16; 3] = [27000, 27001, 27002];
const STEPS: usize = 30;
/// min-replicas-max-lag, and what it allows an isolated master: its lag
/// figure moves by the second and replicas ack every second; and, as on
/// Redis, a diskless snapshot the master finished sending into the cut
/// (up to repl-diskless-sync-delay, 5 s, after a replica asked) counts as
/// the replica's last sign of life.
const MAX_LAG_S: i64 = 2;
const ISOLATED_WRITES_MS: i64 = (5 + MAX_LAG_S + 2) * 1000;

fn seeds() -> u64 {
    std::env::var("FAULT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(50)
}

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

/// Every node up, no cut, the Sentinels agreeing and none failing over.
fn calm(sim: &mut Sim) -> bool {
    let up = SERVERS.iter().all(|&p| sim.is_up(p)) && SENTINELS.iter().all(|&s| sim.sentinel_running(s));
    if !up || sim.cuts().next().is_some() {
        return false;
    }
    let named: Vec<Option<u16>> = SENTINELS.iter().map(|&s| master_of(sim, s)).collect();
    let failing_over = SENTINELS.iter().any(|&s| match call(sim, s, &["SENTINEL", "MASTER", "mymaster"]) {
        Some(Frame::Array(fields)) => fields
            .chunks(2)
            .any(|pair| matches!(pair, [Frame::Bulk(k), Frame::Bulk(v)] if k == b"flags" && String::from_utf8_lossy(v) != "master")),
        _ => true,
    });
    named[0].is_some() && named.iter().all(|m| *m == named[0]) && !failing_over
}

/// Runs one schedule; returns how many times a Sentinel switched masters,
/// and how many failovers were asked of one.
fn run(seed: u64) -> (usize, usize) {
    let mut sim = Sim::new(seed, 1_700_000_000_000);
    let mut rng = Rng::new(seed ^ 0x5e17);
    let mut log = Vec::new();
    for (i, &port) in SERVERS.iter().enumerate() {
        let mut conf = vec![
            "repl-timeout 3".to_string(),
            "repl-ping-replica-period 1".to_string(),
            "enable-debug-command yes".to_string(),
            "min-replicas-to-write 1".to_string(),
            format!("min-replicas-max-lag {MAX_LAG_S}"),
        ];
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
    // When each server was last cut off from every other server (None: it is not).
    let mut cut_off_since: [Option<i64>; 3] = [None; 3];
    for step in 0..STEPS {
        let node = all[rng.below(all.len())];
        let other = all[rng.below(all.len())];
        let sentinel = node >= SENTINELS[0];
        let up = if sentinel { sim.sentinel_running(node) } else { sim.is_up(node) };
        match rng.below(10) {
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
            4 if node != other => {
                let ms = 500 + rng.below(5000) as i64;
                log.push(format!("{step}: cut one way {node} -> {other} for {ms}"));
                sim.cut_one_way(node, other);
                sim.advance(ms);
                sim.heal_one_way(node, other);
            }
            5 if node != other => {
                let ms = [0, 20, 300][rng.below(3)];
                log.push(format!("{step}: latency {node} {other} {ms}"));
                sim.set_latency(node, other, ms);
            }
            6 if up && !sentinel => {
                log.push(format!("{step}: shutdown {node}"));
                call(&mut sim, node, &["SHUTDOWN", "NOSAVE"]);
            }
            7 => {
                // An operator's planned switch: the cluster made whole, then
                // asked of one Sentinel once they agree and none fails over,
                // and given the time to finish. (A forced failover asks no
                // one: overlapping an elected one, both can leave their
                // Sentinels on the same configuration epoch with different
                // masters, and they stay split, on Redis too.)
                for &a in &all {
                    for &b in &all {
                        sim.heal(a, b);
                    }
                }
                sim.advance(15_000);
                if calm(&mut sim) {
                    let s = SENTINELS[rng.below(SENTINELS.len())];
                    let reply = call(&mut sim, s, &["SENTINEL", "FAILOVER", "mymaster"]);
                    log.push(format!("{step}: sentinel failover on {s}: {reply:?}"));
                    sim.advance(15_000);
                }
            }
            8 => {
                // Isolated for a while: every link of the node cut, then healed.
                let ms = 1000 + rng.below(8000) as i64;
                log.push(format!("{step}: isolate {node} for {ms}"));
                let others: Vec<u16> = all.iter().copied().filter(|&o| o != node && !sim.is_cut(node, o)).collect();
                for &o in &others {
                    sim.cut(node, o);
                }
                if let Some(i) = SERVERS.iter().position(|&s| s == node) {
                    cut_off_since[i] = Some(sim.now());
                }
                // A client beside it keeps writing: a master must refuse
                // once its replicas have been silent for the lag allowed.
                for _ in 0..ms / 500 {
                    sim.advance(500);
                    if SERVERS.contains(&node) && sim.is_up(node) {
                        let reply = call(&mut sim, node, &["SET", &format!("iso{step}"), "v"]);
                        let since = cut_off_since[SERVERS.iter().position(|&s| s == node).unwrap_or(0)].unwrap_or(0);
                        if reply == Some(Frame::ok()) {
                            assert!(
                                sim.now() - since <= ISOLATED_WRITES_MS,
                                "seed {seed}: {node} acknowledged a write {} ms into its isolation ({})",
                                sim.now() - since,
                                log.join(", ")
                            );
                        }
                    }
                }
                for &o in &others {
                    sim.heal(node, o);
                }
                if let Some(i) = SERVERS.iter().position(|&s| s == node) {
                    cut_off_since[i] = None;
                }
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
    let expected = call(&mut sim, master, &["DEBUG", "DIGEST"]);
    for &port in SERVERS.iter().filter(|&&p| p != master) {
        let info = replication(&mut sim, port);
        assert!(
            info.contains(&format!("master_port:{master}")) && info.contains("master_link_status:up"),
            "{port} does not follow {master}:\n{info}\n({})",
            context()
        );
        assert_eq!(call(&mut sim, port, &["DEBUG", "DIGEST"]), expected, "{port} differs from {master} ({})", context());
    }
    let switches = sim.trace().iter().filter(|e| matches!(e, TraceEvent::Log { line, .. } if line.text.starts_with("+switch-master"))).count();
    (switches, log.iter().filter(|l| l.contains("sentinel failover on") && l.contains("\"OK\"")).count())
}

#[test]
fn sentinels_converge_after_any_schedule_of_faults() {
    let seeds = seeds();
    // FAULT_SEED=N runs that one schedule (to reproduce a failure).
    let range = match std::env::var("FAULT_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(one) => one..one + 1,
        None => 0..seeds,
    };
    let (switches, forced) = range.map(run).fold((0, 0), |(s, f), (s1, f1)| (s + s1, f + f1));
    println!("{seeds} schedules: {switches} switches, {forced} failovers asked of a Sentinel");
    assert!(forced as u64 > seeds / 10, "only {forced} failovers asked");
    // The schedules must really make Sentinels fail over, not only wait.
    assert!(switches as u64 > seeds, "only {switches} switches in {seeds} runs");
}
