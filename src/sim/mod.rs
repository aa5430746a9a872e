//! The deterministic simulator: a virtual clock, the servers (and, in
//! `sentinels`, the Sentinels) on their ports, the client connections to
//! them, and a trace of every input and output as values. Time moves only
//! when the caller advances it; the same seed and the same calls give the
//! same trace, byte for byte.

pub mod console;
pub mod data_view;
pub mod playground;
pub mod sentinels;


use crate::engine::server::replication::{transfer_ms, LINK_BYTES_PER_MS};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::engine::config::{Config, ConfigError};
use crate::engine::disk::Disk;
use crate::engine::time::Millis;
use crate::engine::log::LogLine;
use crate::engine::server::replication::NetEffect;
use crate::engine::server::{ClientId, Server};
use crate::engine::rng::Rng;

/// Redis runs its periodic work `hz` (10) times a second.
const CRON_PERIOD_MS: Millis = 100;

/// One step of a run, as a value: what went in and what came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    ServerStarted { at: Millis, port: u16, run_id: String },
    ServerRemoved { at: Millis, port: u16 },
    ServerStopped { at: Millis, port: u16, saved: bool },
    ServerCrashed { at: Millis, port: u16 },
    ClientConnected { at: Millis, port: u16, client: ClientId },
    ConnectionRefused { at: Millis, port: u16 },
    ClientClosed { at: Millis, port: u16, client: ClientId },
    /// Bytes on a replication link (`from` sent them to `to`).
    Link { at: Millis, from: u16, to: u16, bytes: Vec<u8> },
    LinkRefused { at: Millis, from: u16, host: String, port: u16 },
    LinkClosed { at: Millis, replica: u16, master: u16 },
    Request { at: Millis, port: u16, client: ClientId, bytes: Vec<u8> },
    Reply { at: Millis, port: u16, client: ClientId, bytes: Vec<u8> },
    /// A line a node wrote to its log.
    Log { port: u16, line: LogLine },
    Cut { at: Millis, a: u16, b: u16 },
    Heal { at: Millis, a: u16, b: u16 },
}

/// How many log lines the simulator keeps for the page's event log.
const RECENT_LOG_LINES: usize = 300;

/// A client's end of a connection to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientHandle {
    pub port: u16,
    pub id: ClientId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    PortInUse(u16),
    BadConfig(ConfigError),
    NoSuchServer(u16),
    /// The server is already running (restart) or already down (crash).
    AlreadyRunning(u16),
    NotRunning(u16),
    /// redis-server refused to start (a dump it cannot load).
    StartFailed(u16, String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::PortInUse(port) => write!(f, "a server already listens on port {port}"),
            SimError::BadConfig(e) => write!(f, "{e}"),
            SimError::NoSuchServer(port) => write!(f, "no server on port {port}"),
            SimError::AlreadyRunning(port) => write!(f, "the server on port {port} is already running"),
            SimError::NotRunning(port) => write!(f, "the server on port {port} is not running"),
            SimError::StartFailed(port, why) => write!(f, "the server on port {port} could not start: {why}"),
        }
    }
}

struct Node {
    server: Server,
    next_cron: Millis,
}

/// What outlives a server process: its config file and its disk.
struct Machine {
    config_lines: Vec<String>,
    disk: Disk,
}

/// What the UI shows of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSnapshot {
    pub port: u16,
    pub role: &'static str,
    pub keys: usize,
    pub run_id: String,
    /// The master it follows, when it is a replica: (host, port).
    pub master: Option<(String, u16)>,
    /// Its link to that master: connect, handshake, sync, online or down.
    pub link: &'static str,
    pub offset: i64,
    /// Reading its dump at start-up (answering LOADING).
    pub loading: bool,
}

/// Bytes sent one way on a replica's link that have not arrived yet:
/// pieces with the time each arrives, in order.
#[derive(Debug, Default)]
struct Transit {
    /// The replica's connection on the master these bytes belong to.
    client: ClientId,
    pieces: std::collections::VecDeque<(Millis, Vec<u8>)>,
    /// When the link has carried everything queued so far.
    free_at: Millis,
    /// Of the big message in flight (a snapshot): bytes arrived, and all.
    progress: Option<(u64, u64)>,
}

/// A big message travels in pieces of this much time, so the replica sees
/// its transfer advance.
const TRANSIT_PIECE_MS: Millis = 50;

pub struct Sim {
    now: Millis,
    rng: Rng,
    nodes: BTreeMap<u16, Node>,
    machines: BTreeMap<u16, Machine>,
    /// Replication links: replica port -> (master port, the replica's
    /// client id on the master).
    links: BTreeMap<u16, (u16, ClientId)>,
    /// Bytes sent to each client and not read yet.
    inboxes: BTreeMap<ClientHandle, Vec<u8>>,
    trace: Vec<TraceEvent>,
    /// Keep at least this many of the newest trace events, and at most
    /// twice as many (`None`: keep everything, as tests want).
    trace_limit: Option<usize>,
    /// The newest log lines of every node, oldest first.
    recent_log: VecDeque<(u16, LogLine)>,
    /// How many log lines all nodes wrote so far.
    log_lines_written: u64,
    /// Pairs of nodes the network between is cut (smaller port first).
    cuts: BTreeSet<(u16, u16)>,
    /// Connection attempts across a cut, still unanswered (replica ->
    /// master port): they complete when the cut heals.
    pending_connects: BTreeMap<u16, u16>,
    /// Replicas whose master closed their link across a cut (replica ->
    /// master): they still believe it open until their timeout or the heal.
    half_open: BTreeMap<u16, u16>,
    /// Bytes on their way from a master to a replica, at the network's
    /// pace (LINK_BYTES_PER_MS), by replica port.
    in_transit: BTreeMap<u16, Transit>,
    /// Bytes on their way from a replica to its master, when the link
    /// has latency.
    upstream: BTreeMap<u16, Transit>,
    /// One-way delay of the link between two nodes (none: loopback).
    latencies: BTreeMap<(u16, u16), Millis>,
    /// Running Sentinels, and every Sentinel's sentinel.conf.
    sentinels: BTreeMap<u16, sentinels::SentinelNode>,
    sentinel_confs: BTreeMap<u16, Vec<String>>,
    /// A Sentinel's connection -> its client on the node it reaches
    /// (`None`: lost in a cut).
    sentinel_conns: BTreeMap<(u16, crate::engine::sentinel::ConnId), Option<ClientHandle>>,
    /// The other way: which Sentinel connection a client is.
    sentinel_clients: BTreeMap<ClientHandle, (u16, crate::engine::sentinel::ConnId)>,
    /// Bytes for Sentinels' connections, handed over by `pump`.
    sentinel_inbound: VecDeque<(u16, crate::engine::sentinel::ConnId, Vec<u8>)>,
}

impl Sim {
    /// `start` is the virtual Unix time in milliseconds the clock starts at.
    pub fn new(seed: u64, start: Millis) -> Sim {
        Sim {
            now: start,
            rng: Rng::new(seed),
            nodes: BTreeMap::new(),
            machines: BTreeMap::new(),
            links: BTreeMap::new(),
            inboxes: BTreeMap::new(),
            trace: Vec::new(),
            trace_limit: None,
            recent_log: VecDeque::new(),
            log_lines_written: 0,
            cuts: BTreeSet::new(),
            pending_connects: BTreeMap::new(),
            half_open: BTreeMap::new(),
            in_transit: BTreeMap::new(),
            upstream: BTreeMap::new(),
            latencies: BTreeMap::new(),
            sentinels: BTreeMap::new(),
            sentinel_confs: BTreeMap::new(),
            sentinel_conns: BTreeMap::new(),
            sentinel_clients: BTreeMap::new(),
            sentinel_inbound: VecDeque::new(),
        }
    }

    fn pair(a: u16, b: u16) -> (u16, u16) {
        (a.min(b), a.max(b))
    }

    /// Whether the network between the two nodes is cut.
    pub fn is_cut(&self, a: u16, b: u16) -> bool {
        self.cuts.contains(&Self::pair(a, b))
    }

    /// The network between two nodes drops, both ways: nothing passes,
    /// nothing is refused; the nodes notice only by their timeouts.
    pub fn cut(&mut self, a: u16, b: u16) {
        self.cuts.insert(Self::pair(a, b));
        self.record(TraceEvent::Cut { at: self.now, a, b });
        self.cut_sentinel_conns(a, b);
    }

    /// The network between two nodes comes back: connection attempts
    /// complete and the bytes that waited arrive, in order.
    pub fn heal(&mut self, a: u16, b: u16) {
        if !self.cuts.remove(&Self::pair(a, b)) {
            return;
        }
        self.record(TraceEvent::Heal { at: self.now, a, b });
        let waiting: Vec<(u16, u16)> = self
            .pending_connects
            .iter()
            .filter(|(r, m)| Self::pair(**r, **m) == Self::pair(a, b))
            .map(|(r, m)| (*r, *m))
            .collect();
        for (replica, master) in waiting {
            self.pending_connects.remove(&replica);
            self.connect_link(replica, master);
        }
        // Their next bytes meet a connection reset.
        let reset: Vec<u16> =
            self.half_open.iter().filter(|(r, m)| Self::pair(**r, **m) == Self::pair(a, b)).map(|(r, _)| *r).collect();
        for replica in reset {
            self.half_open.remove(&replica);
            if let Some(r) = self.nodes.get_mut(&replica) {
                r.server.net_closed(self.now);
            }
        }
        // What waited in the links' queues across the cut (TCP keeps
        // retrying) moves on, in order.
        self.deliver_due();
        self.pump();
    }

    /// A long-lived page keeps only the newest events, so a tab left open
    /// for a day does not grow without end.
    pub fn limit_trace(&mut self, keep: usize) {
        self.trace_limit = Some(keep.max(1));
    }

    fn record(&mut self, event: TraceEvent) {
        self.trace.push(event);
        if let Some(keep) = self.trace_limit {
            // Dropping in halves keeps the cost per event constant.
            if self.trace.len() >= 2 * keep {
                self.trace.drain(..self.trace.len() - keep);
            }
        }
    }

    /// How many log lines all nodes wrote so far.
    pub fn log_lines_written(&self) -> u64 {
        self.log_lines_written
    }

    /// The newest log lines of all nodes, oldest first.
    pub fn recent_log(&self) -> impl Iterator<Item = &(u16, LogLine)> + '_ {
        self.recent_log.iter()
    }

    /// Moves what a node logged into the trace and the recent lines.
    fn collect_log(&mut self, port: u16) {
        let Some(node) = self.nodes.get_mut(&port) else { return };
        let lines = node.server.log.take();
        self.record_log(port, lines);
    }

    fn record_log(&mut self, port: u16, lines: Vec<LogLine>) {
        for line in lines {
            self.log_lines_written += 1;
            self.record(TraceEvent::Log { port, line: line.clone() });
            if self.recent_log.len() == RECENT_LOG_LINES {
                self.recent_log.pop_front();
            }
            self.recent_log.push_back((port, line));
        }
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        self.nodes.keys().copied()
    }

    pub fn is_up(&self, port: u16) -> bool {
        self.nodes.contains_key(&port)
    }

    pub fn server(&self, port: u16) -> Option<&Server> {
        self.nodes.get(&port).map(|n| &n.server)
    }

    /// Starts a server from `redis.conf` lines (the port is given apart)
    /// with an empty disk.
    pub fn start_server<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        self.start_server_with_disk(port, config_lines, Disk::default())
    }

    /// Starts a server on a disk that may already hold its dump.
    pub fn start_server_with_disk<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        if self.nodes.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, config_lines, disk)?;
        self.boot(port)
    }

    /// Puts a machine on `port` with its config file (checked as
    /// redis-server checks it) and its disk.
    fn install<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        Config::parse(config_lines).map_err(SimError::BadConfig)?;
        let config_lines = config_lines.iter().map(|l| l.as_ref().to_string()).collect();
        self.machines.insert(port, Machine { config_lines, disk });
        Ok(())
    }

    /// A server that exists but is not running (restored from storage).
    pub fn add_stopped_server<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        if self.machines.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, config_lines, disk)
    }

    /// Runs redis-server on a machine: its config file, its disk.
    fn boot(&mut self, port: u16) -> Result<(), SimError> {
        let machine = self.machines.get_mut(&port).ok_or(SimError::NoSuchServer(port))?;
        let config = Config::parse(&machine.config_lines).map_err(SimError::BadConfig)?;
        let disk = std::mem::take(&mut machine.disk);
        let run_id = self.rng.hex40();
        let seed = self.rng.next_u64();
        let lines = machine.config_lines.clone();
        match Server::start(port, config, run_id.clone(), seed, self.now, disk) {
            Ok(mut server) => {
                server.config_lines = lines;
                self.record(TraceEvent::ServerStarted { at: self.now, port, run_id });
                self.nodes.insert(port, Node { server, next_cron: self.now + CRON_PERIOD_MS });
                self.pump();
                Ok(())
            }
            Err((why, disk)) => {
                if let Some(machine) = self.machines.get_mut(&port) {
                    machine.disk = disk;
                }
                Err(SimError::StartFailed(port, why))
            }
        }
    }

    /// Starts a stopped or crashed server again with its config and disk.
    pub fn restart(&mut self, port: u16) -> Result<(), SimError> {
        if self.is_sentinel(port) {
            return self.restart_sentinel(port);
        }
        if self.nodes.contains_key(&port) {
            return Err(SimError::AlreadyRunning(port));
        }
        self.boot(port)
    }

    /// The process dies at once (kill -9): nothing more is written.
    pub fn crash(&mut self, port: u16) -> Result<(), SimError> {
        if self.is_sentinel(port) {
            return self.stop_sentinel(port, true);
        }
        if !self.machines.contains_key(&port) {
            return Err(SimError::NoSuchServer(port));
        }
        let node = self.nodes.remove(&port).ok_or(SimError::NotRunning(port))?;
        self.record(TraceEvent::ServerCrashed { at: self.now, port });
        self.power_off(port, node);
        Ok(())
    }

    /// The process is gone: its disk stays with the machine, its clients
    /// lose their connections.
    fn power_off(&mut self, port: u16, mut node: Node) {
        let lines = node.server.log.take();
        self.record_log(port, lines);
        if let Some(machine) = self.machines.get_mut(&port) {
            machine.disk = node.server.disk;
        }
        self.inboxes.retain(|h, _| h.port != port);
        self.close_sentinel_conns_to(port);
        self.pending_connects.remove(&port);
        self.half_open.remove(&port);
        // Its replication links break: as a replica, the master forgets
        // it; as a master, its replicas see the link close.
        if let Some((master, id)) = self.links.remove(&port) {
            if let Some(m) = self.nodes.get_mut(&master) {
                m.server.disconnect(id, self.now);
            }
            self.record(TraceEvent::LinkClosed { at: self.now, replica: port, master });
        }
        let orphans: Vec<u16> = self.links.iter().filter(|(_, (m, _))| *m == port).map(|(r, _)| *r).collect();
        for replica in orphans {
            self.close_from_master(port, replica);
        }
        self.pump();
    }

    /// The master's end of a replica's link closed (it killed the
    /// connection, or died). Across a cut the close cannot reach the
    /// replica: it learns by its own timeout, or when the cut heals.
    fn close_from_master(&mut self, master: u16, replica: u16) {
        self.links.remove(&replica);
        self.record(TraceEvent::LinkClosed { at: self.now, replica, master });
        if self.is_cut(master, replica) {
            self.half_open.insert(replica, master);
        } else if let Some(r) = self.nodes.get_mut(&replica) {
            r.server.net_closed(self.now);
        }
    }

    /// Carries what servers asked of the network until nothing is left:
    /// connections, bytes both ways, closes. Delivery is immediate and in
    /// port order, so runs repeat exactly.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            let ports: Vec<u16> = self.nodes.keys().copied().collect();
            for &port in &ports {
                self.collect_log(port);
            }
            for port in ports {
                let (effects, killed, rewritten) = match self.nodes.get_mut(&port) {
                    Some(node) => (node.server.take_net(), node.server.take_killed(), node.server.take_rewritten_config()),
                    None => continue,
                };
                // CONFIG REWRITE: the config file the next start reads.
                if let (Some(lines), Some(machine)) = (rewritten, self.machines.get_mut(&port)) {
                    machine.config_lines = lines;
                }
                // A master that killed a replica's connection: the replica sees it close.
                for id in killed {
                    if self.sentinel_conn_killed(ClientHandle { port, id }) {
                        moved = true;
                        continue;
                    }
                    let replica = self.links.iter().find(|(_, (m, c))| *m == port && *c == id).map(|(r, _)| *r);
                    if let Some(replica) = replica {
                        moved = true;
                        self.close_from_master(port, replica);
                    }
                }
                for effect in effects {
                    moved = true;
                    self.apply_net(port, effect);
                }
                // Bytes a master produced for its replicas.
                if self.route_to_replicas(port) {
                    moved = true;
                }
            }
            if self.pump_sentinels() {
                moved = true;
            }
            if !moved {
                return;
            }
        }
    }

    fn apply_net(&mut self, from: u16, effect: NetEffect) {
        let now = self.now;
        match effect {
            NetEffect::Connect { host, port } => {
                if let Some((old_master, id)) = self.links.remove(&from) {
                    if let Some(m) = self.nodes.get_mut(&old_master) {
                        m.server.disconnect(id, now);
                    }
                }
                self.pending_connects.remove(&from);
                let local = host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost");
                if local && self.is_cut(from, port) {
                    // No answer at all: the replica waits (and times out).
                    self.pending_connects.insert(from, port);
                    return;
                }
                if !local {
                    self.record(TraceEvent::LinkRefused { at: now, from, host, port });
                    if let Some(r) = self.nodes.get_mut(&from) {
                        r.server.net_refused(now);
                    }
                    return;
                }
                self.connect_link(from, port);
            }
            NetEffect::Send(bytes) => self.send_to_master(from, bytes),
            NetEffect::Close => {
                self.pending_connects.remove(&from);
                self.half_open.remove(&from);
                if let Some((master, id)) = self.links.remove(&from) {
                    self.record(TraceEvent::LinkClosed { at: now, replica: from, master });
                    if let Some(m) = self.nodes.get_mut(&master) {
                        m.server.disconnect(id, now);
                    }
                }
            }
        }
    }

    /// Opens a replica's link to its master (the master must be running).
    fn connect_link(&mut self, replica: u16, master: u16) {
        let now = self.now;
        let id = match self.nodes.get_mut(&master) {
            Some(m) => m.server.connect_at(now),
            None => {
                self.record(TraceEvent::LinkRefused { at: now, from: replica, host: "127.0.0.1".into(), port: master });
                if let Some(r) = self.nodes.get_mut(&replica) {
                    r.server.net_refused(now);
                }
                return;
            }
        };
        self.links.insert(replica, (master, id));
        if let Some(r) = self.nodes.get_mut(&replica) {
            r.server.net_connected(now);
        }
    }

    /// Gives the link between two nodes a one-way delay, both ways (0:
    /// loopback, the default).
    pub fn set_latency(&mut self, a: u16, b: u16, ms: Millis) {
        if ms > 0 {
            self.latencies.insert(Self::pair(a, b), ms);
        } else {
            self.latencies.remove(&Self::pair(a, b));
        }
    }

    /// The pairs of nodes whose network is cut.
    pub fn cuts(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.cuts.iter().copied()
    }

    /// The links given a latency: (a, b, ms).
    pub fn latencies(&self) -> impl Iterator<Item = (u16, u16, Millis)> + '_ {
        self.latencies.iter().map(|(&(a, b), &ms)| (a, b, ms))
    }

    pub fn latency(&self, a: u16, b: u16) -> Millis {
        self.latencies.get(&Self::pair(a, b)).copied().unwrap_or(0)
    }

    /// Bytes from a replica start towards its master: there at once on a
    /// link without latency, otherwise after it (in order).
    fn send_to_master(&mut self, replica: u16, bytes: Vec<u8>) {
        let Some(&(master, client)) = self.links.get(&replica) else { return };
        let latency = self.latency(replica, master);
        let now = self.now;
        let transit = self.upstream.entry(replica).or_default();
        if transit.client != client {
            *transit = Transit { client, ..Transit::default() };
        }
        // Across a cut bytes wait in the queue, in order, for the heal.
        let cut = self.cuts.contains(&Self::pair(replica, master));
        if latency == 0 && transit.pieces.is_empty() && !cut {
            self.reach_master(replica, bytes);
            return;
        }
        let at = transit.free_at.max(now + latency);
        transit.pieces.push_back((at, bytes));
        transit.free_at = at;
    }

    /// Bytes from a replica reach its master; the master's reply comes back.
    fn reach_master(&mut self, replica: u16, bytes: Vec<u8>) {
        let now = self.now;
        let Some(&(master, id)) = self.links.get(&replica) else { return };
        self.record(TraceEvent::Link { at: now, from: replica, to: master, bytes: bytes.clone() });
        let Some(m) = self.nodes.get_mut(&master) else { return };
        let out = m.server.receive(id, &bytes, now);
        if !out.reply.is_empty() {
            self.deliver_to_replica(master, replica, out.reply);
        }
    }

    /// Bytes from a master start down a replica's link: at once when the
    /// link is idle and they take no time, otherwise queued behind what is
    /// in flight and cut into pieces that arrive at the network's pace.
    fn deliver_to_replica(&mut self, master: u16, replica: u16, bytes: Vec<u8>) {
        let Some(&(_, client)) = self.links.get(&replica) else { return };
        let now = self.now;
        let transit = self.in_transit.entry(replica).or_default();
        if transit.client != client {
            *transit = Transit { client, ..Transit::default() };
        }
        let latency = self.latencies.get(&Self::pair(master, replica)).copied().unwrap_or(0);
        let cut = self.cuts.contains(&Self::pair(master, replica));
        if transit.pieces.is_empty() && transfer_ms(bytes.len()) == 0 && latency == 0 && !cut {
            self.arrive(master, replica, bytes);
            return;
        }
        let start = transit.free_at.max(now);
        let piece = LINK_BYTES_PER_MS * TRANSIT_PIECE_MS as usize;
        let total = bytes.len();
        if total >= piece {
            transit.progress = Some((0, total as u64));
        }
        let mut sent = 0;
        for chunk in bytes.chunks(piece) {
            sent += chunk.len();
            transit.pieces.push_back((start + transfer_ms(sent) + latency, chunk.to_vec()));
        }
        transit.free_at = start + transfer_ms(total);
    }

    /// When the next queued piece arrives, on any link that is not cut
    /// (a cut link's bytes wait for the heal, however overdue).
    fn next_arrival(&self) -> Option<Millis> {
        let flowing = |replica: &u16| self.links.get(replica).is_some_and(|&(master, _)| !self.is_cut(*replica, master));
        let down = self.in_transit.iter();
        down.chain(self.upstream.iter())
            .filter(|(replica, _)| flowing(replica))
            .filter_map(|(_, t)| t.pieces.front().map(|(at, _)| *at))
            .min()
    }

    /// Whether bytes can move between a replica and its master now.
    fn stalled(&self, replica: u16) -> bool {
        self.links.get(&replica).is_some_and(|&(master, _)| self.is_cut(replica, master))
    }

    /// Hands over every piece due by `now`, link by link in port order,
    /// replicas' bytes to their masters first.
    fn deliver_due(&mut self) {
        let now = self.now;
        let replicas: Vec<u16> = self.upstream.keys().copied().filter(|r| !self.stalled(*r)).collect();
        for replica in replicas {
            let due = |t: &&mut Transit| t.pieces.front().is_some_and(|(at, _)| *at <= now);
            while let Some(transit) = self.upstream.get_mut(&replica).filter(due) {
                let Some((_, bytes)) = transit.pieces.pop_front() else { break };
                let client = transit.client;
                match self.links.get(&replica) {
                    Some(&(_, id)) if id == client => self.reach_master(replica, bytes),
                    _ => {
                        self.upstream.remove(&replica);
                        break;
                    }
                }
            }
        }
        let replicas: Vec<u16> = self.in_transit.keys().copied().filter(|r| !self.stalled(*r)).collect();
        for replica in replicas {
            let due = |t: &&mut Transit| t.pieces.front().is_some_and(|(at, _)| *at <= now);
            while let Some(transit) = self.in_transit.get_mut(&replica).filter(due) {
                let Some((_, bytes)) = transit.pieces.pop_front() else { break };
                if let Some((arrived, total)) = transit.progress.as_mut() {
                    *arrived = (*arrived + bytes.len() as u64).min(*total);
                    if *arrived >= *total {
                        transit.progress = None;
                    }
                }
                let client = transit.client;
                // A link closed meanwhile takes its bytes with it.
                match self.links.get(&replica) {
                    Some(&(master, id)) if id == client => self.arrive(master, replica, bytes),
                    _ => {
                        self.in_transit.remove(&replica);
                        break;
                    }
                }
            }
        }
        self.pump();
    }

    /// A snapshot on its way to a replica: (bytes arrived, bytes in all).
    pub fn transfer_progress(&self, replica: u16) -> Option<(u64, u64)> {
        let transit = self.in_transit.get(&replica)?;
        let live = self.links.get(&replica).is_some_and(|&(_, id)| id == transit.client);
        transit.progress.filter(|_| live)
    }

    /// Bytes reach the replica (the callers wait while the link is cut).
    fn arrive(&mut self, master: u16, replica: u16, bytes: Vec<u8>) {
        self.record(TraceEvent::Link { at: self.now, from: master, to: replica, bytes: bytes.clone() });
        if let Some(r) = self.nodes.get_mut(&replica) {
            r.server.net_receive(&bytes, self.now);
        }
    }

    /// Moves what a node wrote: along the links of its replicas, to its
    /// other clients at once; true if anything moved.
    fn route_to_replicas(&mut self, master: u16) -> bool {
        let replica_of: BTreeMap<ClientId, u16> =
            self.links.iter().filter(|(_, (m, _))| *m == master).map(|(r, (_, id))| (*id, *r)).collect();
        let Some(node) = self.nodes.get_mut(&master) else { return false };
        // Everything else it wrote goes to its clients now too (a message
        // a replica got through the stream reaches its subscribers at once).
        let output = node.server.take_output();
        if output.is_empty() {
            return false;
        }
        let mut moved = false;
        for (client, bytes) in output {
            match replica_of.get(&client) {
                Some(&replica) => {
                    moved = true;
                    self.deliver_to_replica(master, replica, bytes);
                }
                None => {
                    moved = true;
                    self.client_output(master, client, bytes);
                }
            }
        }
        moved
    }

    /// A server's disk, running or not, to change it (an uploaded dump).
    pub fn disk_mut(&mut self, port: u16) -> Option<&mut Disk> {
        match self.nodes.get_mut(&port) {
            Some(node) => Some(&mut node.server.disk),
            None => self.machines.get_mut(&port).map(|m| &mut m.disk),
        }
    }

    /// The config file a server was started with.
    /// Replaces a server's config file (checked as redis-server would at
    /// start); it takes effect at the next start, as on a real machine.
    pub fn set_config_lines<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        Config::parse(config_lines).map_err(SimError::BadConfig)?;
        let machine = self.machines.get_mut(&port).ok_or(SimError::NoSuchServer(port))?;
        machine.config_lines = config_lines.iter().map(|l| l.as_ref().to_string()).collect();
        Ok(())
    }

    pub fn config_lines(&self, port: u16) -> Option<&[String]> {
        self.machines.get(&port).map(|m| m.config_lines.as_slice())
    }

    /// Where a server keeps its dump (its `dir` and `dbfilename`).
    pub fn dump_path(&self, port: u16) -> Option<String> {
        let lines = self.config_lines(port)?;
        let settings = match self.nodes.get(&port) {
            Some(node) => node.server.settings.clone(),
            None => crate::engine::params::Settings::from_config(&Config::parse(lines).ok()?),
        };
        Some(crate::engine::disk::join(&settings.dir, &settings.dbfilename))
    }

    /// Whether a replica's link to its master is up.
    pub fn link_up(&self, port: u16) -> bool {
        self.nodes.get(&port).is_some_and(|n| {
            n.server.repl.master.as_ref().is_some_and(|m| m.state == crate::engine::server::replication::LinkState::Connected)
        })
    }

    /// Ports with a server, running or not.
    pub fn machine_ports(&self) -> Vec<u16> {
        self.machines.keys().copied().collect()
    }

    /// Whether a server was ever started on this port (it may be down).
    pub fn has_machine(&self, port: u16) -> bool {
        self.machines.contains_key(&port)
    }

    /// The disk of a server, running or not.
    pub fn disk(&self, port: u16) -> Option<&Disk> {
        match self.nodes.get(&port) {
            Some(node) => Some(&node.server.disk),
            None => self.machines.get(&port).map(|m| &m.disk),
        }
    }

    /// Removes a server, its config and its disk, and drops its connections.
    pub fn remove_server(&mut self, port: u16) -> Result<(), SimError> {
        if self.is_sentinel(port) {
            if self.sentinels.contains_key(&port) {
                self.stop_sentinel(port, true)?;
            }
            self.sentinel_confs.remove(&port);
            self.record(TraceEvent::ServerRemoved { at: self.now, port });
            return Ok(());
        }
        let was_running = self.nodes.remove(&port).is_some();
        if self.machines.remove(&port).is_none() && !was_running {
            return Err(SimError::NoSuchServer(port));
        }
        self.inboxes.retain(|h, _| h.port != port);
        self.record(TraceEvent::ServerRemoved { at: self.now, port });
        Ok(())
    }

    /// Opens a client connection, or `None` when nothing listens (ECONNREFUSED).
    pub fn connect(&mut self, port: u16) -> Option<ClientHandle> {
        if let Some(s) = self.sentinels.get_mut(&port) {
            let id = s.sentinel.connect_at(self.now);
            let handle = ClientHandle { port, id };
            self.inboxes.insert(handle, Vec::new());
            self.record(TraceEvent::ClientConnected { at: self.now, port, client: id });
            return Some(handle);
        }
        let Some(node) = self.nodes.get_mut(&port) else {
            self.record(TraceEvent::ConnectionRefused { at: self.now, port });
            return None;
        };
        let id = node.server.connect_at(self.now);
        let handle = ClientHandle { port, id };
        self.inboxes.insert(handle, Vec::new());
        self.record(TraceEvent::ClientConnected { at: self.now, port, client: id });
        Some(handle)
    }

    /// Whether the server still holds this connection open.
    /// A handle from before the node restarted stays closed, even when the
    /// new process gave its id to another client (the inbox went with
    /// the old process).
    pub fn is_open(&self, handle: ClientHandle) -> bool {
        self.inboxes.contains_key(&handle)
            && (self.nodes.get(&handle.port).is_some_and(|n| n.server.is_connected(handle.id))
                || self.sentinels.get(&handle.port).is_some_and(|s| s.sentinel.is_connected(handle.id)))
    }

    pub fn close(&mut self, handle: ClientHandle) {
        if let Some(node) = self.nodes.get_mut(&handle.port) {
            node.server.disconnect(handle.id, self.now);
        }
        if let Some(s) = self.sentinels.get_mut(&handle.port) {
            s.sentinel.disconnect(handle.id);
        }
        self.inboxes.remove(&handle);
        self.record(TraceEvent::ClientClosed { at: self.now, port: handle.port, client: handle.id });
    }

    /// Delivers bytes from a client to its server; replies land in the
    /// client's inbox. A loopback connection has no latency worth modelling.
    pub fn send(&mut self, handle: ClientHandle, bytes: &[u8]) {
        let now = self.now;
        if self.sentinels.contains_key(&handle.port) {
            self.send_to_sentinel(handle, bytes);
            return;
        }
        if !self.nodes.contains_key(&handle.port) {
            return;
        }
        self.record(TraceEvent::Request { at: now, port: handle.port, client: handle.id, bytes: bytes.to_vec() });
        let Some(node) = self.nodes.get_mut(&handle.port) else { return };
        let out = node.server.receive(handle.id, bytes, now);
        if !out.reply.is_empty() {
            self.record(TraceEvent::Reply { at: now, port: handle.port, client: handle.id, bytes: out.reply.clone() });
            self.inboxes.entry(handle).or_default().extend_from_slice(&out.reply);
        }
        if out.close {
            self.record(TraceEvent::ClientClosed { at: now, port: handle.port, client: handle.id });
        }
        self.deliver_output(handle.port);
        self.pump();
        // SHUTDOWN: the process is gone once the command is done.
        if self.nodes.get(&handle.port).is_some_and(|n| n.server.stopped) {
            if let Some(node) = self.nodes.remove(&handle.port) {
                let saved = node.server.persistence.saves > 0;
                self.record(TraceEvent::ServerStopped { at: now, port: handle.port, saved });
                self.power_off(handle.port, node);
            }
        }
    }

    /// Moves what a node produced on its own (served blocked clients,
    /// timeouts, messages) to its clients, and its replicas' stream onto
    /// their links.
    fn deliver_output(&mut self, port: u16) {
        self.route_to_replicas(port);
    }

    /// The bytes that arrived for a client since the last call.
    pub fn take_inbox(&mut self, handle: ClientHandle) -> Vec<u8> {
        self.inboxes.get_mut(&handle).map(std::mem::take).unwrap_or_default()
    }

    /// Redis checks blocked clients' timeouts when its event loop wakes,
    /// which an idle server does at its cron ticks: timeouts fire there.
    /// A load or DEBUG SLEEP ends at its own time, between ticks.
    fn node_next_event(node: &Node) -> Millis {
        node.server.wakes_at().map_or(node.next_cron, |at| at.min(node.next_cron))
    }

    /// The time of the next scheduled event, if any: a node's timer or
    /// bytes arriving.
    pub fn next_event_at(&self) -> Option<Millis> {
        let servers = self.nodes.values().map(Self::node_next_event).min();
        let nodes = match (servers, self.next_sentinel_timer()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (nodes, self.next_arrival()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets `ms` of virtual time pass, running every event due meanwhile in
    /// time order (ties broken by port, so the order never varies).
    pub fn advance(&mut self, ms: Millis) {
        let until = self.now + ms.max(0);
        while let Some(at) = self.next_event_at().filter(|&at| at <= until) {
            self.now = at;
            // Bytes arrive before the timers of the same moment run.
            if self.next_arrival().is_some_and(|a| a <= at) {
                self.deliver_due();
            }
            let due: Vec<u16> = self.nodes.iter().filter(|(_, n)| Self::node_next_event(n) == at).map(|(p, _)| *p).collect();
            for port in due {
                if let Some(node) = self.nodes.get_mut(&port) {
                    if node.next_cron == at {
                        node.server.expire_blocked(at);
                        node.server.cron(at);
                        node.next_cron = at + CRON_PERIOD_MS;
                    } else {
                        node.server.wake_up(at);
                    }
                }
                self.deliver_output(port);
                self.pump();
            }
            self.run_sentinel_timers(at);
        }
        self.now = until;
    }

    pub fn snapshot(&self) -> Vec<NodeSnapshot> {
        self.nodes
            .iter()
            .map(|(&port, n)| {
                use crate::engine::server::replication::LinkState;
                let master = n.server.repl.master.as_ref();
                let link = match master.map(|m| &m.state) {
                    None => "none",
                    Some(LinkState::Connected) => "online",
                    Some(LinkState::Transfer { .. }) => "sync",
                    Some(LinkState::Connect) if master.is_some_and(|m| m.ever_up) => "down",
                    Some(LinkState::Connect) | Some(LinkState::Connecting) => "connect",
                    Some(_) => "handshake",
                };
                NodeSnapshot {
                    port,
                    role: if n.server.is_replica() { "replica" } else { "master" },
                    keys: n.server.key_count(),
                    run_id: n.server.run_id.clone(),
                    master: master.map(|m| (m.host.clone(), m.port)),
                    link,
                    offset: n.server.repl.offset,
                    loading: n.server.is_loading(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_trace_keeps_the_newest_events() {
        let mut sim = Sim::new(1, 0);
        sim.limit_trace(10);
        sim.start_server(6379, &[] as &[&str]).unwrap();
        for _ in 0..50 {
            let handle = sim.connect(6379).unwrap();
            sim.send(handle, b"*1\r\n$4\r\nPING\r\n");
            sim.close(handle);
        }
        assert!((10..20).contains(&sim.trace().len()), "{} events kept", sim.trace().len());
        assert!(matches!(sim.trace().last(), Some(TraceEvent::ClientClosed { .. })));
    }
    use crate::engine::resp::{encode_command, parse_frame, Frame};

    fn run(sim: &mut Sim, h: ClientHandle, args: &[&str]) -> Frame {
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        sim.send(h, &bytes);
        parse_frame(&sim.take_inbox(h)).unwrap().unwrap().0
    }

    #[test]
    fn expiry_follows_the_virtual_clock() {
        let mut sim = Sim::new(1, 1_700_000_000_000);
        sim.start_server(6379, &["save \"\""]).unwrap();
        let h = sim.connect(6379).unwrap();
        assert_eq!(run(&mut sim, h, &["SET", "k", "v", "PX", "250"]), Frame::ok());
        sim.advance(249);
        assert_eq!(run(&mut sim, h, &["PTTL", "k"]), Frame::Integer(1));
        sim.advance(1);
        assert_eq!(run(&mut sim, h, &["GET", "k"]), Frame::Null);
    }

    #[test]
    fn active_expiry_removes_keys_nobody_touches() {
        let mut sim = Sim::new(1, 0);
        sim.start_server(6379, &[] as &[&str]).unwrap();
        let h = sim.connect(6379).unwrap();
        run(&mut sim, h, &["SET", "k", "v", "PX", "150"]);
        assert_eq!(sim.server(6379).unwrap().key_count(), 1);
        sim.advance(300);
        assert_eq!(sim.server(6379).unwrap().key_count(), 0);
    }

    #[test]
    fn refused_when_nothing_listens() {
        let mut sim = Sim::new(1, 0);
        assert_eq!(sim.connect(6390), None);
        sim.start_server(6390, &[] as &[&str]).unwrap();
        assert!(sim.start_server(6390, &[] as &[&str]).is_err());
        assert!(sim.connect(6390).is_some());
    }
}
