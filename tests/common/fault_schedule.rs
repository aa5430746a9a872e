//! A random schedule of faults on a master and three replicas, from a
//! seed: writes, crashes and restarts, shutdowns, cuts both ways and one
//! way, heals, latency, a node isolated and back, re-parentings, and
//! manual failovers (a replica in step promoted, the old master and its
//! other replicas re-pointed). Shared by tests/replication_property.rs
//! (which checks what must hold after it) and the wasm build of
//! tests/wasm/replay.rs (which must give the identical trace).

use std::collections::{BTreeMap, BTreeSet};

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::rng::Rng;
use redis_playground::sim::{ClientHandle, Sim};

pub const FIRST_MASTER: u16 = 7000;
pub const NODES: [u16; 4] = [7000, 7001, 7002, 7003];
pub const STEPS: usize = 120;

/// One request, one reply: a fresh connection each time, as a client that
/// reconnects after every failure would. `None` when nothing listens.
pub fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Option<Frame> {
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

pub fn digest(sim: &mut Sim, port: u16) -> String {
    match call(sim, port, &["DEBUG", "DIGEST"]) {
        Some(Frame::Simple(d)) => d,
        other => panic!("DEBUG DIGEST on {port}: {other:?}"),
    }
}

/// The trace as one number: equal traces, equal digests.
pub fn trace_digest(sim: &Sim) -> u64 {
    let text = format!("{:?}", sim.trace());
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

pub struct Run {
    pub sim: Sim,
    rng: Rng,
    /// The node every other one replicates from, directly or not.
    pub root: u16,
    /// Who each replica is configured to follow (REPLICAOF).
    pub parent: BTreeMap<u16, u16>,
    /// Values the root acknowledged, while no root lost its data.
    pub acknowledged: BTreeMap<String, String>,
    pub root_lost_data: bool,
    /// Cut pairs (smaller first), left cut until healed or the end.
    cuts: BTreeSet<(u16, u16)>,
    pub log: Vec<String>,
    pub manual_failovers: usize,
    /// Of those, the ones made with FAILOVER (coordinated).
    pub coordinated_failovers: usize,
}

impl Run {
    pub fn new(seed: u64) -> Run {
        let mut sim = Sim::new(seed, 1_700_000_000_000);
        // Short timeouts (and pings often enough for them) so that cuts
        // outlast them and links are given up and re-established.
        const FAST: [&str; 2] = ["repl-timeout 3", "repl-ping-replica-period 1"];
        sim.start_server(FIRST_MASTER, &["save \"\"", "enable-debug-command yes", FAST[0], FAST[1]]).expect("master starts");
        let mut parent = BTreeMap::new();
        for &port in &NODES[1..] {
            let line = format!("replicaof 127.0.0.1 {FIRST_MASTER}");
            sim.start_server(port, &[line.as_str(), "save \"\"", "enable-debug-command yes", FAST[0], FAST[1]]).expect("replica starts");
            parent.insert(port, FIRST_MASTER);
        }
        Run {
            sim,
            rng: Rng::new(seed ^ 0x5eed),
            root: FIRST_MASTER,
            parent,
            acknowledged: BTreeMap::new(),
            root_lost_data: false,
            cuts: Default::default(),
            log: Vec::new(),
            manual_failovers: 0,
            coordinated_failovers: 0,
        }
    }

    /// The schedule of `seed`, then everything healed and settled.
    pub fn complete(seed: u64) -> Run {
        let mut run = Run::new(seed);
        for _ in 0..STEPS {
            run.step();
        }
        run.settle();
        run
    }

    pub fn replicas(&self) -> Vec<u16> {
        NODES.iter().copied().filter(|&p| p != self.root).collect()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())]
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
        let root = self.root;
        let reply = call(&mut self.sim, root, &refs);
        self.log.push(format!("{root}: {} -> {reply:?}", args.join(" ")));
        // Only plain SETs of keys that never expire are checked one by one.
        if args[0] == "SET" && reply == Some(Frame::ok()) {
            self.acknowledged.insert(args[1].clone(), args[2].clone());
        } else if matches!(args[0].as_str(), "PEXPIRE" | "DEL") {
            self.acknowledged.remove(&args[1]);
        }
    }

    fn crash_or_restart(&mut self, port: u16, shutdown: bool) {
        if !self.sim.is_up(port) {
            self.log.push(format!("restart {port}"));
            self.sim.restart(port).expect("restart");
            return;
        }
        if port == self.root {
            // Without saving, it comes back empty: what it had
            // acknowledged is gone, and its replicas must follow.
            self.root_lost_data = true;
        }
        if shutdown {
            self.log.push(format!("shutdown {port}"));
            let _ = call(&mut self.sim, port, &["SHUTDOWN", "NOSAVE"]);
        } else {
            self.log.push(format!("crash {port}"));
            self.sim.crash(port).expect("crash");
        }
    }

    pub fn step(&mut self) {
        match self.rng.below(32) {
            0..=9 => self.write(),
            10 | 11 => {
                let ms = self.rng.below(3000) as i64;
                self.log.push(format!("advance {ms}"));
                self.sim.advance(ms);
            }
            12 => {
                let port = self.pick(&self.replicas());
                self.crash_or_restart(port, false);
            }
            13 => {
                let port = self.pick(&self.replicas());
                self.crash_or_restart(port, true);
            }
            14 if self.rng.below(4) == 0 || !self.sim.is_up(self.root) => self.crash_or_restart(self.root, false),
            15..=17 => self.reparent(),
            18..=21 => {
                // How a link is broken on real Redis: the replica drops it
                // and continues with a partial resync.
                let port = self.pick(&self.replicas());
                if self.sim.is_up(port) {
                    self.log.push(format!("client kill type master on {port}"));
                    let _ = call(&mut self.sim, port, &["CLIENT", "KILL", "TYPE", "master"]);
                }
            }
            22..=24 => self.cut_or_heal(),
            25 => self.one_way_cut(),
            26 => {
                let (a, b) = (self.pick(&NODES), self.pick(&NODES));
                if a != b {
                    let ms = [0, 5, 50, 400][self.rng.below(4)];
                    self.log.push(format!("latency {a} {b} {ms}"));
                    self.sim.set_latency(a, b, ms);
                }
            }
            27 => {
                // Isolated for a while, then back (the cuts made before stay).
                let port = self.pick(&NODES);
                let ms = 1000 + self.rng.below(6000) as i64;
                self.log.push(format!("isolate {port} for {ms}"));
                let others: Vec<u16> = NODES.into_iter().filter(|&o| o != port && !self.cuts.contains(&(port.min(o), port.max(o)))).collect();
                for &other in &others {
                    self.sim.cut(port, other);
                }
                self.sim.advance(ms);
                for &other in &others {
                    self.sim.heal(port, other);
                }
            }
            28 | 29 => self.manual_failover(),
            _ => {
                let ms = self.rng.below(200) as i64;
                self.sim.advance(ms);
            }
        }
    }

    fn cut_or_heal(&mut self) {
        let (a, b) = (self.pick(&NODES), self.pick(&NODES));
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

    /// One way cut for a while (bytes held, connects stalled), then healed.
    fn one_way_cut(&mut self) {
        let (from, to) = (self.pick(&NODES), self.pick(&NODES));
        if from == to {
            return;
        }
        let ms = 500 + self.rng.below(6000) as i64;
        self.log.push(format!("cut one way {from} -> {to} for {ms}"));
        self.sim.cut_one_way(from, to);
        self.sim.advance(ms);
        self.sim.heal_one_way(from, to);
    }

    /// Points a replica at the root or at a replica that follows the
    /// root directly: the chain never loops back on itself.
    fn reparent(&mut self) {
        let port = self.pick(&self.replicas());
        // REPLICAOF answers LOADING while a restarted node reads its dump.
        if !self.sim.is_up(port) || self.sim.server(port).is_some_and(|s| s.is_loading()) {
            return;
        }
        let root = self.root;
        let mut candidates = vec![root];
        candidates.extend(self.parent.iter().filter(|(r, p)| **r != port && **p == root).map(|(r, _)| *r));
        let target = self.pick(&candidates);
        self.point(port, target);
    }

    fn point(&mut self, port: u16, target: u16) {
        self.log.push(format!("{port} replicaof {target}"));
        let reply = call(&mut self.sim, port, &["REPLICAOF", "127.0.0.1", &target.to_string()]);
        assert!(matches!(&reply, Some(Frame::Simple(s)) if s.starts_with("OK")), "REPLICAOF on {port}: {reply:?}");
        // Written to the config too, so a restart keeps following `target`.
        let _ = call(&mut self.sim, port, &["CONFIG", "REWRITE"]);
        self.parent.insert(port, target);
    }

    /// A planned switch, as an operator makes it: a replica of the root
    /// that has everything the root wrote (same offset, link up) becomes
    /// the master, and the old root and the root's other replicas follow
    /// it. Nothing acknowledged is lost.
    fn manual_failover(&mut self) {
        let root = self.root;
        let direct: Vec<u16> = self.parent.iter().filter(|(_, p)| **p == root).map(|(r, _)| *r).collect();
        if direct.is_empty() || !self.sim.is_up(root) {
            return;
        }
        let chosen = self.pick(&direct);
        let offset = |sim: &mut Sim, port: u16| -> Option<String> {
            match call(sim, port, &["INFO", "replication"])? {
                Frame::Bulk(b) => {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    let up = !text.contains("master_link_status:down");
                    let offset = text.lines().find_map(|l| l.strip_prefix("master_repl_offset:")).map(str::to_string);
                    offset.filter(|_| up)
                }
                _ => None,
            }
        };
        if !self.sim.is_up(chosen) || self.sim.server(chosen).is_some_and(|s| s.is_loading()) {
            return;
        }
        let (Some(at_root), Some(at_chosen)) = (offset(&mut self.sim, root), offset(&mut self.sim, chosen)) else { return };
        if at_root != at_chosen || !self.sim.link_up(chosen) {
            return;
        }
        if self.rng.below(2) == 0 {
            self.coordinated_failover(root, chosen);
            return;
        }
        self.log.push(format!("manual failover {root} -> {chosen}"));
        let reply = call(&mut self.sim, chosen, &["REPLICAOF", "NO", "ONE"]);
        assert_eq!(reply, Some(Frame::ok()), "REPLICAOF NO ONE on {chosen}");
        let _ = call(&mut self.sim, chosen, &["CONFIG", "REWRITE"]);
        self.parent.remove(&chosen);
        self.root = chosen;
        self.manual_failovers += 1;
        self.point(root, chosen);
        let others: Vec<u16> = self.parent.iter().filter(|(r, p)| **p == root && **r != root).map(|(r, _)| *r).collect();
        for port in others {
            if self.sim.is_up(port) && !self.sim.server(port).is_some_and(|s| s.is_loading()) {
                self.point(port, chosen);
            }
        }
    }

    /// FAILOVER TO the chosen replica, with a timeout: writes pause until
    /// the hand-over is done (or aborted), so time passes here until it is.
    /// The root's other replicas stay with it, now chained under the new
    /// master. Only tried while the two are up and no cut lies between them.
    fn coordinated_failover(&mut self, root: u16, chosen: u16) {
        if self.cuts.contains(&(root.min(chosen), root.max(chosen))) || !self.sim.is_up(root) || !self.sim.is_up(chosen) {
            return;
        }
        let reply = call(&mut self.sim, root, &["FAILOVER", "TO", "127.0.0.1", &chosen.to_string(), "TIMEOUT", "3000"]);
        self.log.push(format!("FAILOVER {root} -> {chosen}: {reply:?}"));
        if reply != Some(Frame::ok()) {
            return;
        }
        let state = |sim: &mut Sim| match call(sim, root, &["INFO", "replication"]) {
            Some(Frame::Bulk(b)) => String::from_utf8_lossy(&b).lines().find_map(|l| l.strip_prefix("master_failover_state:").map(str::to_string)),
            _ => None,
        };
        for _ in 0..100 {
            if state(&mut self.sim).as_deref() == Some("no-failover") {
                break;
            }
            self.sim.advance(100);
        }
        assert_eq!(state(&mut self.sim).as_deref(), Some("no-failover"), "FAILOVER on {root} never ended");
        let follows = matches!(call(&mut self.sim, root, &["ROLE"]), Some(Frame::Array(a)) if matches!(a.get(2), Some(Frame::Integer(p)) if *p == chosen as i64));
        if !follows {
            self.log.push("FAILOVER aborted".to_string());
            return;
        }
        let _ = call(&mut self.sim, chosen, &["CONFIG", "REWRITE"]);
        let _ = call(&mut self.sim, root, &["CONFIG", "REWRITE"]);
        self.parent.remove(&chosen);
        self.parent.insert(root, chosen);
        self.root = chosen;
        self.manual_failovers += 1;
        self.coordinated_failovers += 1;
    }

    /// Every node up and the network whole, then time for reconnects, the
    /// diskless sync delay and the transfers down a chain.
    pub fn settle(&mut self) {
        for (a, b) in std::mem::take(&mut self.cuts) {
            self.sim.heal(a, b);
        }
        for port in NODES {
            if !self.sim.is_up(port) {
                self.sim.restart(port).expect("restart for the end");
            }
        }
        // A re-pointing written while a node was down or loading may not
        // have reached it: every replica follows its recorded parent.
        let parents: Vec<(u16, u16)> = self.parent.iter().map(|(r, p)| (*r, *p)).collect();
        for _ in 0..40 {
            self.sim.advance(1000);
        }
        for (replica, parent) in parents {
            let info = call(&mut self.sim, replica, &["ROLE"]);
            let follows = matches!(&info, Some(Frame::Array(a)) if matches!(a.get(2), Some(Frame::Integer(p)) if *p == parent as i64));
            if !follows {
                self.point(replica, parent);
            }
        }
        for _ in 0..40 {
            self.sim.advance(1000);
        }
    }
}
