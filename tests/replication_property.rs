//! Replication converges whatever happens on the way: random schedules of
//! writes, replica crashes and restarts, master crashes, shutdowns,
//! network cuts and heals, and re-parentings over many seeds. Once every node is back and enough virtual
//! time has passed, each replica's `DEBUG DIGEST` equals its root master's,
//! and when the master never lost its data every write it acknowledged is
//! on every replica.

use std::collections::BTreeMap;

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::rng::Rng;
use redis_playground::sim::{ClientHandle, Sim, TraceEvent};

const MASTER: u16 = 7000;
const REPLICAS: [u16; 3] = [7001, 7002, 7003];
const SEEDS: u64 = 40;
const STEPS: usize = 120;

/// One request, one reply: a fresh connection each time, as a client that
/// reconnects after every failure would. `None` when nothing listens.
fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Option<Frame> {
    let handle: ClientHandle = sim.connect(port)?;
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(handle, &bytes);
    let inbox = sim.take_inbox(handle);
    sim.close(handle);
    match parse_frame(&inbox) {
        Ok(Some((frame, _))) => Some(frame),
        // A successful SHUTDOWN answers by closing the connection.
        Ok(None) if args[0] == "SHUTDOWN" && inbox.is_empty() => None,
        other => panic!("no whole reply to {args:?} on {port}: {other:?}"),
    }
}

fn digest(sim: &mut Sim, port: u16) -> String {
    match call(sim, port, &["DEBUG", "DIGEST"]) {
        Some(Frame::Simple(d)) => d,
        other => panic!("DEBUG DIGEST on {port}: {other:?}"),
    }
}

struct Run {
    sim: Sim,
    rng: Rng,
    /// Who each replica is configured to follow (REPLICAOF).
    parent: BTreeMap<u16, u16>,
    /// Values the master acknowledged, while it kept its data.
    acknowledged: BTreeMap<String, String>,
    master_lost_data: bool,
    cuts: std::collections::BTreeSet<(u16, u16)>,
    log: Vec<String>,
}

impl Run {
    fn new(seed: u64) -> Run {
        let mut sim = Sim::new(seed, 1_700_000_000_000);
        // Short timeouts (and pings often enough for them) so that cuts
        // outlast them and links are given up and re-established.
        const FAST: [&str; 2] = ["repl-timeout 3", "repl-ping-replica-period 1"];
        sim.start_server(MASTER, &["save \"\"", "enable-debug-command yes", FAST[0], FAST[1]]).expect("master starts");
        let mut parent = BTreeMap::new();
        for port in REPLICAS {
            let line = format!("replicaof 127.0.0.1 {MASTER}");
            sim.start_server(port, &[line.as_str(), "enable-debug-command yes", FAST[0], FAST[1]]).expect("replica starts");
            parent.insert(port, MASTER);
        }
        Run {
            sim,
            rng: Rng::new(seed ^ 0x5eed),
            parent,
            acknowledged: BTreeMap::new(),
            master_lost_data: false,
            cuts: Default::default(),
            log: Vec::new(),
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.below(items.len())]
    }

    fn write(&mut self) {
        let key = format!("k{}", self.rng.below(30));
        let n = self.rng.below(1000).to_string();
        let args: Vec<String> = match self.rng.below(9) {
            0 | 1 => vec!["SET".into(), key.clone(), n.clone()],
            2 => vec!["INCRBY".into(), format!("c{}", self.rng.below(5)), n],
            3 => vec!["RPUSH".into(), format!("l{}", self.rng.below(5)), n],
            4 => vec!["HSET".into(), format!("h{}", self.rng.below(5)), key, n],
            5 => vec!["SADD".into(), format!("s{}", self.rng.below(5)), n],
            6 => vec!["ZADD".into(), format!("z{}", self.rng.below(5)), n.clone(), n],
            7 => vec!["PEXPIRE".into(), key, (100 + self.rng.below(3000)).to_string()],
            _ => vec!["DEL".into(), key],
        };
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let reply = call(&mut self.sim, MASTER, &refs);
        self.log.push(format!("{} -> {reply:?}", args.join(" ")));
        // Only plain SETs of keys that never expire are checked one by one.
        if args[0] == "SET" && reply == Some(Frame::ok()) {
            self.acknowledged.insert(args[1].clone(), args[2].clone());
        } else if matches!(args[0].as_str(), "PEXPIRE" | "DEL") {
            self.acknowledged.remove(&args[1]);
        }
    }

    fn step(&mut self) {
        match self.rng.below(25) {
            0..=9 => self.write(),
            10 | 11 => {
                let ms = self.rng.below(3000) as i64;
                self.log.push(format!("advance {ms}"));
                self.sim.advance(ms);
            }
            12 => {
                let port = *self.pick(&REPLICAS);
                if self.sim.is_up(port) {
                    self.log.push(format!("crash {port}"));
                    self.sim.crash(port).expect("crash a running replica");
                } else {
                    self.log.push(format!("restart {port}"));
                    self.sim.restart(port).expect("restart a replica");
                }
            }
            13 | 14 => {
                let port = *self.pick(&REPLICAS);
                if self.sim.is_up(port) {
                    self.log.push(format!("shutdown {port}"));
                    let _ = call(&mut self.sim, port, &["SHUTDOWN"]);
                } else {
                    self.log.push(format!("restart {port}"));
                    self.sim.restart(port).expect("restart a replica");
                }
            }
            15..=17 => self.reparent(),
            18 => {
                if self.sim.is_up(MASTER) && self.rng.below(4) == 0 {
                    // Without saving, it comes back empty: what it had
                    // acknowledged is gone, and its replicas must follow.
                    self.log.push(format!("crash {MASTER}"));
                    self.sim.crash(MASTER).expect("crash the master");
                    self.master_lost_data = true;
                } else if !self.sim.is_up(MASTER) {
                    self.log.push(format!("restart {MASTER}"));
                    self.sim.restart(MASTER).expect("restart the master");
                }
            }
            19 | 23 | 24 => {
                // How a link is broken on real Redis: the replica drops it
                // and continues with a partial resync.
                let port = *self.pick(&REPLICAS);
                if self.sim.is_up(port) {
                    self.log.push(format!("client kill type master on {port}"));
                    let _ = call(&mut self.sim, port, &["CLIENT", "KILL", "TYPE", "master"]);
                }
            }
            20..=22 => {
                let ports: Vec<u16> = std::iter::once(MASTER).chain(REPLICAS).collect();
                let a = *self.pick(&ports);
                let b = *self.pick(&ports);
                if a == b {
                    return;
                }
                let pair = (a.min(b), a.max(b));
                if self.cuts.remove(&pair) {
                    self.log.push(format!("heal {a} {b}"));
                    self.sim.heal(a, b);
                } else {
                    self.log.push(format!("cut {a} {b}"));
                    self.cuts.insert(pair);
                    self.sim.cut(a, b);
                }
            }
            _ => {
                let ms = self.rng.below(200) as i64;
                self.sim.advance(ms);
            }
        }
    }

    /// Points a replica at the master or at a replica that follows the
    /// master directly: the chain never loops back on itself.
    fn reparent(&mut self) {
        let port = *self.pick(&REPLICAS);
        // REPLICAOF answers LOADING while a restarted node reads its dump.
        if !self.sim.is_up(port) || self.sim.server(port).is_some_and(|s| s.is_loading()) {
            return;
        }
        let mut candidates = vec![MASTER];
        candidates.extend(self.parent.iter().filter(|(r, p)| **r != port && **p == MASTER).map(|(r, _)| *r));
        let target = *self.pick(&candidates);
        self.log.push(format!("{port} replicaof {target}"));
        let reply = call(&mut self.sim, port, &["REPLICAOF", "127.0.0.1", &target.to_string()]);
        assert!(matches!(&reply, Some(Frame::Simple(s)) if s.starts_with("OK")), "REPLICAOF on {port}: {reply:?}");
        // Written to the config too, so a restart keeps following `target`.
        let _ = call(&mut self.sim, port, &["CONFIG", "REWRITE"]);
        self.parent.insert(port, target);
    }

    /// Every node up, then time for reconnects, the diskless sync delay and
    /// the transfers down a chain up to three deep.
    fn settle(&mut self) {
        for (a, b) in std::mem::take(&mut self.cuts) {
            self.sim.heal(a, b);
        }
        for port in std::iter::once(MASTER).chain(REPLICAS) {
            if !self.sim.is_up(port) {
                self.sim.restart(port).expect("restart for the end");
            }
        }
        for _ in 0..40 {
            self.sim.advance(1000);
        }
    }
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
    // The schedules must really exercise both kinds of resync.
    let (mut full, mut partial) = (0, 0);
    for seed in 0..SEEDS {
        let mut run = Run::new(seed);
        for _ in 0..STEPS {
            run.step();
        }
        run.settle();
        let (f, p) = resyncs(&run.sim);
        full += f;
        partial += p;
        let expected = digest(&mut run.sim, MASTER);
        for port in REPLICAS {
            let got = digest(&mut run.sim, port);
            let role = call(&mut run.sim, port, &["ROLE"]);
            assert_eq!(
                got,
                expected,
                "seed {seed}: replica {port} (following {}) differs from the master; ROLE {role:?}\n{}",
                run.parent[&port],
                run.log.join("\n")
            );
        }
        if !run.master_lost_data {
            let pairs: Vec<(String, String)> = run.acknowledged.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for port in REPLICAS {
                for (key, value) in &pairs {
                    let got = call(&mut run.sim, port, &["GET", key]);
                    // A later INCRBY/RPUSH/... on other keys never touches
                    // k*, but a later SET overwrote the entry in the map.
                    assert_eq!(got, Some(Frame::Bulk(value.clone().into_bytes())), "seed {seed}: {key} on {port}");
                }
            }
        }
    }
    // Partial resyncs are rarer: cut links and crashed nodes keep most
    // replicas from holding a link they could lose and resume.
    assert!(full > SEEDS as usize && partial > SEEDS as usize / 2, "{full} full and {partial} partial resyncs");
}
