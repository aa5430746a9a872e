//! A client that keeps writing: `writer PORT EVERY` connects to a node
//! from outside the network (like an application server on its side of
//! any partition) and sends `SET w:N N` every EVERY of virtual time,
//! N counting from 1, noting each reply: OK (acknowledged: the client
//! believes it safe) or an error (NOREPLICAS, READONLY...). A refused
//! connection is tried again at the next write. The split-brain lab reads
//! which acknowledged writes the cluster lost.

use std::collections::VecDeque;

use crate::engine::resp::{encode_command, parse_frame, Frame};
use crate::engine::time::Millis;
use crate::sim::{ClientHandle, Sim};

/// What became of one write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub seq: u64,
    pub sent_at: Millis,
    /// OK, or the error (or why it was never answered).
    pub outcome: Result<(), String>,
}

#[derive(Clone, Debug)]
pub struct Writer {
    pub port: u16,
    pub every: Millis,
    next_at: Millis,
    seq: u64,
    client: Option<ClientHandle>,
    pending: VecDeque<(u64, Millis)>,
    buffer: Vec<u8>,
    /// Every write, in order of its answer.
    pub log: Vec<Write>,
}

/// The key a write sets.
pub fn key_of(seq: u64) -> String {
    format!("w:{seq}")
}

impl Writer {
    pub fn new(port: u16, every: Millis, now: Millis) -> Writer {
        Writer { port, every: every.max(1), next_at: now, seq: 0, client: None, pending: VecDeque::new(), buffer: Vec::new(), log: Vec::new() }
    }

    /// When it writes next.
    pub fn next_at(&self) -> Millis {
        self.next_at
    }

    /// Sends the next write if it is due.
    pub fn tick(&mut self, sim: &mut Sim) {
        if sim.now() < self.next_at {
            return;
        }
        self.next_at = sim.now() + self.every;
        self.seq += 1;
        let seq = self.seq;
        if !self.client.is_some_and(|c| sim.is_open(c)) {
            self.lose_pending("connection lost");
            self.client = sim.connect(self.port);
            self.buffer.clear();
        }
        let Some(client) = self.client else {
            self.log.push(Write { seq, sent_at: sim.now(), outcome: Err(format!("Could not connect to 127.0.0.1:{}", self.port)) });
            return;
        };
        let key = key_of(seq);
        let mut bytes = Vec::new();
        encode_command(&[b"SET".to_vec(), key.into_bytes(), seq.to_string().into_bytes()], &mut bytes);
        self.pending.push_back((seq, sim.now()));
        sim.send(client, &bytes);
        self.read(sim);
    }

    /// Reads the replies that arrived.
    pub fn read(&mut self, sim: &mut Sim) {
        let Some(client) = self.client else { return };
        self.buffer.extend(sim.take_inbox(client));
        while let Ok(Some((frame, used))) = parse_frame(&self.buffer) {
            self.buffer.drain(..used);
            let Some((seq, sent_at)) = self.pending.pop_front() else { continue };
            let outcome = match frame {
                Frame::Error(e) => Err(e),
                _ => Ok(()),
            };
            self.log.push(Write { seq, sent_at, outcome });
        }
    }

    fn lose_pending(&mut self, why: &str) {
        while let Some((seq, sent_at)) = self.pending.pop_front() {
            self.log.push(Write { seq, sent_at, outcome: Err(why.to_string()) });
        }
    }

    /// The writes acknowledged with OK.
    pub fn acknowledged(&self) -> impl Iterator<Item = &Write> + '_ {
        self.log.iter().filter(|w| w.outcome.is_ok())
    }
}

/// What became of the writes, against the master the cluster has now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reckoning {
    /// The master now: the one a running Sentinel names, else the top of
    /// the written node's chain of masters.
    pub master: Option<u16>,
    pub acknowledged: usize,
    /// Writes answered with an error (or never answered), with why.
    pub refused: Vec<(u64, String)>,
    /// Acknowledged writes the master now lacks.
    pub lost: Vec<u64>,
}

/// The master the cluster has now, as seen from `port`.
pub fn master_now(sim: &Sim, port: u16) -> Option<u16> {
    let named = sim.sentinel_ports().into_iter().filter(|&s| sim.sentinel_running(s)).find_map(|s| sim.sentinel(s)?.watching().first().map(|w| w.port));
    if named.is_some() {
        return named;
    }
    let mut at = port;
    for _ in 0..64 {
        match sim.server(at)?.master_address() {
            Some((_, master)) if master != at => at = master,
            _ => return Some(at),
        }
    }
    Some(at)
}

pub fn reckon(sim: &Sim, writer: &Writer) -> Reckoning {
    let master = master_now(sim, writer.port);
    let now = sim.now();
    let present: std::collections::BTreeSet<Vec<u8>> = master
        .and_then(|m| sim.server(m))
        .map(|server| {
            server.keyspace.dbs.first().map(|db| db.stored_entries().filter(|(_, e)| e.expires_at.is_none_or(|at| at > now)).map(|(k, _)| k.clone()).collect()).unwrap_or_default()
        })
        .unwrap_or_default();
    let lost = writer.acknowledged().map(|w| w.seq).filter(|seq| !present.contains(key_of(*seq).as_bytes())).collect();
    let refused = writer.log.iter().filter_map(|w| w.outcome.as_ref().err().map(|e| (w.seq, e.clone()))).collect();
    Reckoning { master, acknowledged: writer.acknowledged().count(), refused, lost }
}

/// Sequence numbers as runs: `w:12..w:19, w:23`.
pub fn runs(seqs: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i;
        while j + 1 < seqs.len() && seqs[j + 1] == seqs[j] + 1 {
            j += 1;
        }
        out.push(if j > i { format!("w:{}..w:{}", seqs[i], seqs[j]) } else { format!("w:{}", seqs[i]) });
        i = j + 1;
    }
    out.join(", ")
}
