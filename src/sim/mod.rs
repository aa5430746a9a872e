//! The deterministic simulator: a virtual clock, the machines on their
//! ports (machine.rs) with the processes that run there, the links between
//! them (link.rs, network.rs), clients from outside (consoles), and a trace
//! of everything (trace.rs). Every node is driven through the same sans-IO
//! interface (`engine::node::Node`): an input goes in, everything it then
//! wants done is carried out, in the order it asked, until nothing is left.
//! Time moves only when the caller advances it; the same seed and the same
//! calls give the same trace, byte for byte.

mod link;
mod machine;
mod network;
mod trace;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::engine::config::{Config, ConfigError};
use crate::engine::disk::Disk;
use crate::engine::log::LogLine;
use crate::engine::node::{ClientId, Conn, DialId, Dialled, Output};
use crate::engine::rng::Rng;
use crate::engine::sentinel::Sentinel;
use crate::engine::server::replication::LinkStatus;
use crate::engine::server::Server;
use crate::engine::time::Millis;

pub use link::LinkId;
pub use machine::{Process, Program};
pub use trace::{PsyncRecord, RankingRecord, TraceEvent};

use machine::{check_config, Machine};
use network::Network;
use trace::Trace;

/// How many inputs the network carries in one virtual millisecond before
/// the rest wait for the next (a guard: Redis never needs near this many).
const MAX_INPUTS_PER_MS: usize = 1_000_000;

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

/// What a node is fed.
#[derive(Clone, Debug)]
enum Input {
    Bytes(Conn, Vec<u8>),
    Dialled(DialId, Dialled),
    Closed(Conn),
}

#[derive(Clone)]
pub struct Sim {
    now: Millis,
    rng: Rng,
    machines: BTreeMap<u16, Machine>,
    processes: BTreeMap<u16, Process>,
    net: Network,
    /// Bytes sent to each outside client and not read yet.
    inboxes: BTreeMap<ClientHandle, Vec<u8>>,
    /// Inputs waiting for their node at this instant, in order.
    queue: VecDeque<(u16, Input)>,
    /// Processes that said they stopped: they go once their outputs are out.
    stopping: BTreeSet<u16>,
    trace: Trace,
    /// Given to every server started (`Server::set_memory_guard`).
    memory_guard: Option<u64>,
}

impl Sim {
    /// `start` is the virtual Unix time in milliseconds the clock starts at.
    pub fn new(seed: u64, start: Millis) -> Sim {
        Sim {
            now: start,
            rng: Rng::new(seed),
            machines: BTreeMap::new(),
            processes: BTreeMap::new(),
            net: Network::default(),
            inboxes: BTreeMap::new(),
            queue: VecDeque::new(),
            stopping: BTreeSet::new(),
            trace: Trace::default(),
            memory_guard: None,
        }
    }

    /// The memory guard of the servers started from now on.
    pub fn set_memory_guard(&mut self, bytes: Option<u64>) {
        self.memory_guard = bytes;
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// The trace's events still kept, and the global number of the first
    /// (events are numbered from 0 as they are recorded).
    pub fn trace_window(&self) -> (u64, &[TraceEvent]) {
        self.trace.window()
    }

    pub fn trace(&self) -> &[TraceEvent] {
        self.trace.events()
    }

    /// A copy of the simulation without its trace's events, to rewind to.
    pub fn checkpoint(&self) -> Sim {
        Sim { trace: self.trace.without_events(), ..self.clone_without_trace() }
    }

    fn clone_without_trace(&self) -> Sim {
        Sim {
            now: self.now,
            rng: self.rng.clone(),
            machines: self.machines.clone(),
            processes: self.processes.clone(),
            net: self.net.clone(),
            inboxes: self.inboxes.clone(),
            queue: self.queue.clone(),
            stopping: self.stopping.clone(),
            trace: Trace::default(),
            memory_guard: self.memory_guard,
        }
    }

    /// A simulation rebuilt from a checkpoint gets back the trace events
    /// from before it, from `later` (the same run, gone further).
    pub fn restore_trace(&mut self, later: &Sim) {
        self.trace.restore_events(&later.trace);
    }

    /// A long-lived page keeps only the newest events.
    pub fn limit_trace(&mut self, keep: usize) {
        self.trace.limit(keep);
    }

    fn record(&mut self, event: TraceEvent) {
        self.trace.record(event);
    }

    /// A step taken by the session driving the simulator, in its text form.
    pub fn record_step(&mut self, text: &str) {
        self.record(TraceEvent::Step { at: self.now, text: text.to_string() });
    }

    /// How many log lines all nodes wrote so far.
    pub fn log_lines_written(&self) -> u64 {
        self.trace.log_lines_written()
    }

    /// The newest log lines of all nodes, oldest first.
    pub fn recent_log(&self) -> impl Iterator<Item = &(u16, LogLine)> + '_ {
        self.trace.recent_log()
    }

    /// The newest PSYNC decisions of all masters, oldest first.
    pub fn psyncs(&self) -> impl DoubleEndedIterator<Item = &PsyncRecord> + '_ {
        self.trace.psyncs()
    }

    /// The newest failovers' rankings, oldest first.
    pub fn rankings(&self) -> impl DoubleEndedIterator<Item = &RankingRecord> + '_ {
        self.trace.rankings()
    }

    /// The latest PSYNC a master judged for the replica listening on `port`.
    pub fn latest_psync(&self, replica_port: u16) -> Option<&PsyncRecord> {
        self.trace.psyncs().rev().find(|r| r.decision.replica_port == replica_port)
    }

    // ----- machines and processes -----

    /// Ports with a running process (server or Sentinel).
    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        self.processes.keys().copied()
    }

    /// Whether a process runs on the port.
    pub fn is_up(&self, port: u16) -> bool {
        self.processes.contains_key(&port)
    }

    pub fn server(&self, port: u16) -> Option<&Server> {
        match self.processes.get(&port) {
            Some(Process::Server(server)) => Some(server),
            _ => None,
        }
    }

    /// The process running on the port, whatever its program.
    pub fn process(&self, port: u16) -> Option<&Process> {
        self.processes.get(&port)
    }

    pub fn sentinel(&self, port: u16) -> Option<&Sentinel> {
        match self.processes.get(&port) {
            Some(Process::Sentinel(sentinel)) => Some(sentinel),
            _ => None,
        }
    }

    /// The program a machine runs, running or not.
    pub fn program_of(&self, port: u16) -> Option<Program> {
        self.machines.get(&port).map(|m| m.program)
    }

    pub fn is_sentinel(&self, port: u16) -> bool {
        self.program_of(port) == Some(Program::RedisSentinel)
    }

    /// Every machine's port, servers and Sentinels, running or not.
    pub fn all_machine_ports(&self) -> Vec<u16> {
        self.machines.keys().copied().collect()
    }

    pub fn sentinel_running(&self, port: u16) -> bool {
        self.sentinel(port).is_some()
    }

    /// Ports with a server, running or not.
    pub fn machine_ports(&self) -> Vec<u16> {
        self.ports_running(Program::RedisServer)
    }

    /// Ports with a Sentinel, running or not.
    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.ports_running(Program::RedisSentinel)
    }

    fn ports_running(&self, program: Program) -> Vec<u16> {
        self.machines.iter().filter(|(_, m)| m.program == program).map(|(p, _)| *p).collect()
    }

    /// Whether a server or Sentinel was ever started on this port (it may be down).
    pub fn has_machine(&self, port: u16) -> bool {
        self.machines.contains_key(&port)
    }

    /// Starts a server from `redis.conf` lines (the port is given apart)
    /// with an empty disk.
    pub fn start_server<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        self.start_server_with_disk(port, config_lines, Disk::default())
    }

    /// Starts a server on a disk that may already hold its dump.
    pub fn start_server_with_disk<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        if self.processes.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, Program::RedisServer, config_lines, disk)?;
        self.boot(port)
    }

    /// A server that exists but is not running (restored from storage).
    pub fn add_stopped_server<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        if self.machines.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, Program::RedisServer, config_lines, disk)
    }

    /// A machine with its program and config file and an empty disk, not
    /// running.
    pub fn add_machine<S: AsRef<str>>(&mut self, port: u16, program: Program, config_lines: &[S]) -> Result<(), SimError> {
        if self.machines.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, program, config_lines, Disk::default())
    }

    /// Starts redis-sentinel on `port` with its sentinel.conf lines.
    pub fn start_sentinel<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        if self.machines.contains_key(&port) || self.processes.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        self.install(port, Program::RedisSentinel, config_lines, Disk::default())?;
        self.boot(port)
    }

    /// Puts a machine on `port` with its config file (checked as the
    /// program checks it) and its disk.
    fn install<S: AsRef<str>>(&mut self, port: u16, program: Program, config_lines: &[S], disk: Disk) -> Result<(), SimError> {
        let lines = config_lines.iter().map(|l| l.as_ref().to_string()).collect();
        let machine = Machine::new(port, program, lines, disk)?;
        self.machines.insert(port, machine);
        Ok(())
    }

    /// Runs the machine's program: its config file, its disk.
    fn boot(&mut self, port: u16) -> Result<(), SimError> {
        let machine = self.machines.get(&port).ok_or(SimError::NoSuchServer(port))?;
        let mut process = machine.boot(port, &mut self.rng, self.now)?;
        if let Process::Server(server) = &mut process {
            server.set_memory_guard(self.memory_guard);
        }
        self.record(TraceEvent::NodeStarted { at: self.now, port, run_id: process.run_id().to_string() });
        self.processes.insert(port, process);
        self.drain(port);
        self.settle();
        Ok(())
    }

    /// Starts a stopped or crashed server (or Sentinel) again with its config and disk.
    pub fn restart(&mut self, port: u16) -> Result<(), SimError> {
        if self.processes.contains_key(&port) {
            return Err(SimError::AlreadyRunning(port));
        }
        self.boot(port)
    }

    /// The process dies at once (kill -9): nothing more is written.
    pub fn crash(&mut self, port: u16) -> Result<(), SimError> {
        if !self.machines.contains_key(&port) {
            return Err(SimError::NoSuchServer(port));
        }
        if !self.processes.contains_key(&port) {
            return Err(SimError::NotRunning(port));
        }
        self.power_off(port, true);
        self.settle();
        Ok(())
    }

    /// Removes a server (or Sentinel), its config and its disk; it dies first.
    pub fn remove_server(&mut self, port: u16) -> Result<(), SimError> {
        if !self.machines.contains_key(&port) {
            return Err(SimError::NoSuchServer(port));
        }
        if self.processes.contains_key(&port) {
            self.power_off(port, true);
            self.settle();
        }
        self.machines.remove(&port);
        self.inboxes.retain(|h, _| h.port != port);
        self.record(TraceEvent::NodeRemoved { at: self.now, port });
        Ok(())
    }

    /// The process is gone: its machine stays, its clients lose their
    /// connections, its links close.
    fn power_off(&mut self, port: u16, crashed: bool) {
        if self.processes.remove(&port).is_none() {
            return;
        }
        self.stopping.remove(&port);
        let event = if crashed { TraceEvent::NodeCrashed { at: self.now, port } } else { TraceEvent::NodeStopped { at: self.now, port } };
        self.record(event);
        self.inboxes.retain(|h, _| h.port != port);
        self.queue.retain(|(p, _)| *p != port);
        self.drop_links_of(port);
    }

    /// A server's config file as its next start reads it (CONFIG REWRITE
    /// included), or a Sentinel's.
    pub fn config_lines(&self, port: u16) -> Option<&[String]> {
        self.machines.get(&port).map(|m| m.config_lines.as_slice())
    }

    /// Replaces a server's config file (checked as redis-server would at
    /// start); it takes effect at the next start, as on a real machine.
    pub fn set_config_lines<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        Config::parse(config_lines).map_err(SimError::BadConfig)?;
        self.replace_config(port, config_lines)
    }

    pub fn sentinel_config_lines(&self, port: u16) -> Option<&[String]> {
        self.config_lines(port).filter(|_| self.is_sentinel(port))
    }

    /// Replaces a Sentinel's config file, for its next start.
    pub fn set_sentinel_config_lines<S: AsRef<str>>(&mut self, port: u16, lines: &[S]) -> Result<(), SimError> {
        check_config(port, Program::RedisSentinel, lines)?;
        self.replace_config(port, lines)
    }

    fn replace_config<S: AsRef<str>>(&mut self, port: u16, lines: &[S]) -> Result<(), SimError> {
        let machine = self.machines.get_mut(&port).ok_or(SimError::NoSuchServer(port))?;
        machine.config_lines = lines.iter().map(|l| l.as_ref().to_string()).collect();
        Ok(())
    }

    /// Where a server keeps its dump (its `dir` and `dbfilename`).
    pub fn dump_path(&self, port: u16) -> Option<String> {
        let lines = self.config_lines(port)?;
        let settings = match self.server(port) {
            Some(server) => server.settings.clone(),
            None => crate::engine::params::Settings::from_config(&Config::parse(lines).ok()?),
        };
        Some(crate::engine::disk::join(&settings.dir, &settings.dbfilename))
    }

    /// The disk of a server, running or not.
    pub fn disk(&self, port: u16) -> Option<&Disk> {
        self.machines.get(&port).map(|m| &m.disk)
    }

    /// A server's disk, to change it (an uploaded dump).
    pub fn disk_mut(&mut self, port: u16) -> Option<&mut Disk> {
        self.machines.get_mut(&port).map(|m| &mut m.disk)
    }

    // ----- driving the nodes -----

    /// Feeds the inputs waiting at this instant to their nodes, each
    /// followed by everything that node then wants done, until nothing is
    /// left (or, past a guard, the rest waits for the next millisecond).
    fn settle(&mut self) {
        for _ in 0..MAX_INPUTS_PER_MS {
            let Some((port, input)) = self.queue.pop_front() else { return };
            self.feed(port, input);
        }
    }

    fn feed(&mut self, port: u16, input: Input) {
        let now = self.now;
        let Some(process) = self.processes.get_mut(&port) else { return };
        let node = process.node();
        match input {
            Input::Bytes(conn, bytes) => node.handle_input(conn, &bytes, now),
            Input::Dialled(dial, outcome) => node.handle_dialled(dial, outcome, now),
            Input::Closed(conn) => node.handle_closed(conn, now),
        }
        self.drain(port);
    }

    /// Carries out what a node wants done, in its order.
    fn drain(&mut self, port: u16) {
        while let Some(output) = self.processes.get_mut(&port).and_then(|p| p.node().poll_output()) {
            self.carry_out(port, output);
        }
        if self.stopping.remove(&port) {
            self.power_off(port, false);
        }
    }

    fn carry_out(&mut self, port: u16, output: Output) {
        match output {
            Output::Send { conn, bytes } => self.send_from(port, conn, bytes),
            Output::Dial { dial, host, port: to, purpose } => self.dial(port, dial, &host, to, purpose),
            Output::Close { conn } => self.close_from(port, conn),
            Output::Log(line) => self.record(TraceEvent::Log { port, line }),
            Output::Psync(decision) => self.record(TraceEvent::Psync { at: self.now, master: port, decision }),
            Output::Ranking(ranking) => self.record(TraceEvent::Ranking { at: self.now, sentinel: port, ranking }),
            Output::ConfigRewritten(lines) => {
                if let Some(machine) = self.machines.get_mut(&port) {
                    machine.config_lines = lines;
                }
            }
            Output::DiskWrite { path, bytes } => {
                self.record(TraceEvent::DiskWrite { at: self.now, port, path: path.clone(), size: bytes.len() });
                if let Some(machine) = self.machines.get_mut(&port) {
                    machine.disk.write(&path, bytes);
                }
            }
            Output::DiskAppend { path, bytes } => {
                self.record(TraceEvent::DiskWrite { at: self.now, port, path: path.clone(), size: bytes.len() });
                if let Some(machine) = self.machines.get_mut(&port) {
                    machine.disk.append(&path, &bytes);
                }
            }
            Output::DiskRemove { path } => {
                if let Some(machine) = self.machines.get_mut(&port) {
                    machine.disk.remove(&path);
                }
            }
            Output::Stopped => {
                self.stopping.insert(port);
            }
        }
    }

    // ----- clients from outside (consoles, tests) -----

    /// Opens a client connection, or `None` when nothing listens (ECONNREFUSED).
    pub fn connect(&mut self, port: u16) -> Option<ClientHandle> {
        let now = self.now;
        let Some(process) = self.processes.get_mut(&port) else {
            self.record(TraceEvent::ConnectionRefused { at: now, port });
            return None;
        };
        let id = process.node().accept(now);
        let handle = ClientHandle { port, id };
        self.inboxes.insert(handle, Vec::new());
        self.record(TraceEvent::ClientConnected { at: now, port, client: id });
        Some(handle)
    }

    /// Whether the node still holds this connection open. A handle from
    /// before the node restarted stays closed, even when the new process
    /// gave its id to another client (the inbox went with the old process).
    pub fn is_open(&self, handle: ClientHandle) -> bool {
        self.inboxes.contains_key(&handle)
            && self.processes.get(&handle.port).is_some_and(|p| p.node_ref().is_connected(handle.id))
    }

    pub fn close(&mut self, handle: ClientHandle) {
        if self.processes.contains_key(&handle.port) {
            self.queue.push_back((handle.port, Input::Closed(Conn::Client(handle.id))));
            self.settle();
        }
        self.inboxes.remove(&handle);
        self.record(TraceEvent::ClientClosed { at: self.now, port: handle.port, client: handle.id });
    }

    /// A client lets go of a connection its node already closed, once it
    /// took the last bytes (nothing reaches the node: it is gone there).
    pub fn forget(&mut self, handle: ClientHandle) {
        if !self.is_open(handle) {
            self.inboxes.remove(&handle);
        }
    }

    /// Delivers bytes from a client to its node; replies land in the
    /// client's inbox. A loopback connection has no latency worth modelling.
    pub fn send(&mut self, handle: ClientHandle, bytes: &[u8]) {
        if !self.processes.contains_key(&handle.port) {
            return;
        }
        self.record(TraceEvent::Request { at: self.now, port: handle.port, client: handle.id, bytes: bytes.to_vec() });
        self.queue.push_back((handle.port, Input::Bytes(Conn::Client(handle.id), bytes.to_vec())));
        self.settle();
    }

    /// The bytes that arrived for a client since the last call.
    pub fn take_inbox(&mut self, handle: ClientHandle) -> Vec<u8> {
        self.inboxes.get_mut(&handle).map(std::mem::take).unwrap_or_default()
    }

    /// Bytes a node wrote to an outside client.
    fn deliver_to_client(&mut self, port: u16, client: ClientId, bytes: Vec<u8>) {
        let handle = ClientHandle { port, id: client };
        let Some(inbox) = self.inboxes.get_mut(&handle) else { return };
        inbox.extend_from_slice(&bytes);
        let pending = inbox.len();
        self.record(TraceEvent::Reply { at: self.now, port, client, bytes });
        // What the client has not taken yet is the node's output buffer.
        let now = self.now;
        if let Some(process) = self.processes.get_mut(&port) {
            let node = process.node();
            let was_open = node.is_connected(client);
            node.output_pending(client, pending, now);
            if was_open && !node.is_connected(client) {
                // Closed over its limit: what waited is never sent.
                if let Some(inbox) = self.inboxes.get_mut(&handle) {
                    inbox.clear();
                }
            }
        }
    }

    // ----- time -----

    /// The time of the next scheduled event, if any: a node's timer or
    /// bytes arriving.
    pub fn next_event_at(&self) -> Option<Millis> {
        let timers = self.processes.values().filter_map(|p| p.node_ref().poll_timeout());
        let waiting = (!self.queue.is_empty()).then_some(self.now + 1);
        timers.chain(self.net.next_arrival()).chain(waiting).min()
    }

    /// Lets `ms` of virtual time pass, running every event due meanwhile in
    /// time order (ties broken by port, so the order never varies).
    pub fn advance(&mut self, ms: Millis) {
        let until = self.now + ms.max(0);
        while self.step_until(until) {}
        self.now = until;
    }

    /// Runs the next instant at which something is due, if it comes by
    /// `until`; false (and the clock stays) when nothing does.
    pub fn step_until(&mut self, until: Millis) -> bool {
        match self.next_event_at().filter(|&at| at <= until) {
            Some(at) => {
                self.now = at;
                self.run_instant(at);
                true
            }
            None => false,
        }
    }

    /// Everything due at `at`: what waited from the last instant, then
    /// bytes arriving, then the nodes' timers in port order.
    fn run_instant(&mut self, at: Millis) {
        self.settle();
        self.deliver_due();
        let due: Vec<u16> = self.processes.iter().filter(|(_, p)| p.node_ref().poll_timeout() == Some(at)).map(|(port, _)| *port).collect();
        for port in due {
            if let Some(process) = self.processes.get_mut(&port) {
                process.node().handle_timeout(at);
            }
            self.drain(port);
            self.settle();
        }
    }

    // ----- what is known of the nodes -----

    /// Whether a replica's link to its master is up.
    pub fn link_up(&self, port: u16) -> bool {
        self.server(port).is_some_and(|s| s.link_status() == LinkStatus::Online)
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
