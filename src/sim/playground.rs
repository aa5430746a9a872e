//! What the web page drives: a simulator plus one redis-cli console per
//! node, with each console's printed lines and history. It has no web
//! dependency, so its behaviour is tested natively; the UI only sends it
//! actions and renders its snapshots.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::console::Console;
use super::{Sim, SimError};
use crate::engine::disk::{base64_decode, base64_encode, Disk};
use crate::engine::time::Millis;
use crate::engine::rdb;
use crate::engine::value::Limits;

/// The first port the page uses, as in the lesson.
pub const FIRST_PORT: u16 = 6379;
/// A console keeps this many printed lines; older ones scroll away for good.
const MAX_LINES: usize = 2000;
const MAX_HISTORY: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The prompt and the line typed at it.
    Input,
    Output,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

struct ConsoleLog {
    console: Console,
    lines: Rc<Vec<Line>>,
    history: Rc<Vec<String>>,
}

/// What a console shows, cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleView {
    pub prompt: String,
    /// A blocked command is waiting (redis-cli shows no prompt meanwhile).
    pub waiting: bool,
    pub lines: Rc<Vec<Line>>,
    pub history: Rc<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub port: u16,
    pub up: bool,
    pub role: &'static str,
    pub keys: usize,
    /// Whether its disk holds a dump to download.
    pub has_dump: bool,
    /// The port of its master, when it follows one on this playground.
    pub master: Option<u16>,
    /// The state of that link (connect, handshake, sync, online, down).
    pub link: &'static str,
    /// Whether the network to that master is cut.
    pub cut: bool,
    /// Cut off from every other node (a partition).
    pub isolated: bool,
    /// The one-way delay on the link to that master, in ms.
    pub latency: Millis,
    /// Seconds since its master last heard its ACK (INFO's `lag`), while
    /// the master counts it online.
    pub lag: Option<i64>,
    pub offset: i64,
    /// Reading its dump at start-up.
    pub loading: bool,
    /// A snapshot on its way from its master: (bytes arrived, bytes in all).
    pub sync_progress: Option<(u64, u64)>,
    pub console: ConsoleView,
}

/// One Sentinel as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelView {
    pub port: u16,
    pub up: bool,
    /// What it monitors: name, the master's port as it sees it, its
    /// status (ok, sdown, odown), the replicas it knows, the Sentinels it
    /// knows (itself included), the quorum, and the failover step while
    /// one runs.
    pub watching: Vec<crate::engine::sentinel::WatchView>,
    /// Whether the network between it and the (first) master it watches is cut.
    pub cut: bool,
    /// Cut off from every other node (a partition).
    pub isolated: bool,
    pub console: ConsoleView,
}

/// The first port a new Sentinel takes (redis-sentinel's default).
const FIRST_SENTINEL_PORT: u16 = 26379;

/// A line of a node's log, for the page's event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventView {
    pub port: u16,
    /// `25 Nov 2026 04:47:50.561`, in virtual time, as Redis stamps it.
    pub stamp: String,
    pub role: char,
    pub level: char,
    pub text: String,
}

/// Trace events a playground keeps (the newest): enough to inspect a run,
/// bounded so a page left open does not keep growing.
const TRACE_KEPT: usize = 20_000;

/// "Next event" moves time in steps of one cron tick.
const NEXT_EVENT_STEP: Millis = 100;

/// How many lines the event log shows.
const EVENTS_SHOWN: usize = 200;

/// The first line of a saved playground; the format may grow, the version says how.
const STATE_HEADER: &str = "redis-playground-state 1";

pub struct Playground {
    sim: Sim,
    consoles: BTreeMap<u16, ConsoleLog>,
}

impl Playground {
    /// A playground with servers on `ports`, each started with an empty config.
    pub fn new(seed: u64, start: Millis, ports: &[u16]) -> Playground {
        let mut playground = Playground { sim: Sim::new(seed, start), consoles: BTreeMap::new() };
        playground.sim.limit_trace(TRACE_KEPT);
        for &port in ports {
            // Distinct fresh ports cannot clash; a duplicate is simply skipped.
            let _ = playground.add_server_on(port);
        }
        playground
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The lowest free port from 6379 up.
    pub fn next_free_port(&self) -> Option<u16> {
        (FIRST_PORT..=u16::MAX).find(|p| !self.sim.is_up(*p) && !self.consoles.contains_key(p))
    }

    /// The sentinel.conf the lesson gives a new Sentinel: watch the
    /// cluster's master as `mymaster`, quorum 1 (default timings).
    pub fn lesson_sentinel_config(&self, port: u16) -> Vec<String> {
        let snapshot = self.sim.snapshot();
        // The master with the most replicas on this playground (6379 at first).
        let master = snapshot
            .iter()
            .filter(|n| n.role == "master")
            .max_by_key(|m| (snapshot.iter().filter(|r| r.master.as_ref().is_some_and(|(_, p)| *p == m.port)).count(), std::cmp::Reverse(m.port)))
            .map_or(FIRST_PORT, |m| m.port);
        vec![
            format!("port {port}"),
            format!("sentinel monitor mymaster 127.0.0.1 {master} 1"),
            "# How long the master may be silent before it counts as down (30000 by default):".into(),
            "# sentinel down-after-milliseconds mymaster 5000".into(),
        ]
    }

    /// The port a new Sentinel would take: its own from 26379 up.
    pub fn next_sentinel_port(&self) -> u16 {
        (FIRST_SENTINEL_PORT..=u16::MAX)
            .find(|p| !self.consoles.contains_key(p) && !self.sim.has_machine(*p) && !self.sim.is_sentinel(*p))
            .unwrap_or(FIRST_SENTINEL_PORT)
    }

    /// Whether the server or Sentinel on `port` runs.
    pub fn is_running(&self, port: u16) -> bool {
        self.sim.is_up(port) || self.sim.sentinel_running(port)
    }

    /// Starts a Sentinel from its sentinel.conf: on the port the file
    /// names (the next free one from 26379 if none), which must be free.
    /// The error is what redis-sentinel would print, or why the port is taken.
    pub fn add_sentinel(&mut self, lines: &[String]) -> Result<u16, String> {
        let fallback = self.next_sentinel_port();
        let conf = crate::engine::sentinel::conf::SentinelConf::parse(lines, fallback).map_err(|e| e.to_string())?;
        let port = conf.port;
        if self.consoles.contains_key(&port) || self.sim.has_machine(port) || self.sim.is_sentinel(port) {
            return Err(format!("Port {port} is taken by another node here: choose another `port`."));
        }
        self.sim.start_sentinel(port, lines).map_err(|e| e.to_string())?;
        let console = Console::open(&mut self.sim, port);
        self.consoles.insert(port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
        Ok(port)
    }

    /// The Sentinels, running or not, with their consoles.
    pub fn sentinels(&self) -> Vec<SentinelView> {
        let snapshot = self.sim.sentinel_snapshot();
        self.consoles
            .iter()
            .filter(|(port, _)| self.sim.is_sentinel(**port))
            .map(|(&port, log)| {
                let watching: Vec<_> = snapshot.iter().find(|s| s.port == port).map(|s| s.watching.clone()).unwrap_or_default();
                let cut = watching.first().is_some_and(|w| self.sim.is_cut(port, w.port));
                let isolated = self.is_isolated(port);
                SentinelView { port, up: self.sim.sentinel_running(port), watching, cut, isolated, console: self.console_view(log) }
            })
            .collect()
    }

    fn console_view(&self, log: &ConsoleLog) -> ConsoleView {
        ConsoleView {
            prompt: log.console.prompt(&self.sim),
            waiting: log.console.is_waiting(),
            lines: Rc::clone(&log.lines),
            history: Rc::clone(&log.history),
        }
    }

    pub fn add_server(&mut self) -> Result<u16, SimError> {
        let port = self.next_free_port().ok_or(SimError::PortInUse(u16::MAX))?;
        self.add_server_on(port)?;
        Ok(port)
    }

    fn add_server_on(&mut self, port: u16) -> Result<(), SimError> {
        self.sim.start_server(port, &[] as &[&str])?;
        let console = Console::open(&mut self.sim, port);
        self.consoles.insert(port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
        Ok(())
    }

    /// The config file the lesson gives each server: the stock file, then
    /// what differs for this one.
    pub fn lesson_config(port: u16) -> Vec<String> {
        vec![
            "# Redis's stock config file: its defaults.".into(),
            "include /etc/redis/redis.conf".into(),
            format!("port {port}"),
            "daemonize yes".into(),
            format!("pidfile /var/run/redis_{port}.pid"),
            format!("dbfilename dump{port}.rdb"),
            "appendonly no".into(),
        ]
    }

    /// Starts a new server from a config file written by the user: on the
    /// config's `port` (6379 if it has none), which must be free. The
    /// error is what redis-server would print, or why the port is taken.
    pub fn add_server_with_config(&mut self, lines: &[String]) -> Result<u16, String> {
        let config = crate::engine::config::Config::parse(lines).map_err(|e| e.to_string())?;
        let port = config.get("port").and_then(|a| a[0].parse::<u16>().ok()).unwrap_or(6379);
        if self.consoles.contains_key(&port) || self.sim.has_machine(port) {
            return Err(format!("Port {port} is taken by another server here: choose another `port`."));
        }
        self.sim.start_server(port, lines).map_err(|e| e.to_string())?;
        let console = Console::open(&mut self.sim, port);
        self.consoles.insert(port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
        Ok(port)
    }

    /// A server's config file, as its next start will read it (CONFIG
    /// REWRITE included).
    pub fn config_of(&self, port: u16) -> Option<Vec<String>> {
        self.sim.config_lines(port).or_else(|| self.sim.sentinel_config_lines(port)).map(<[String]>::to_vec)
    }

    /// Replaces a server's config file; it applies from the next start. The
    /// `port` cannot change: that would be another server.
    pub fn edit_config(&mut self, port: u16, lines: &[String]) -> Result<(), String> {
        if self.sim.is_sentinel(port) {
            let conf = crate::engine::sentinel::conf::SentinelConf::parse(lines, port).map_err(|e| e.to_string())?;
            if conf.port != port {
                return Err(format!(
                    "This is the Sentinel on port {port}: its config must keep `port {port}` (add a Sentinel for another port)."
                ));
            }
            return self.sim.set_sentinel_config_lines(port, lines).map_err(|e| e.to_string());
        }
        let config = crate::engine::config::Config::parse(lines).map_err(|e| e.to_string())?;
        // A file without `port` (the page's first servers have none) keeps the server's own.
        let wanted = config.get("port").and_then(|a| a[0].parse::<u16>().ok()).unwrap_or(port);
        if wanted != port {
            return Err(format!(
                "This is the server on port {port}: its config must keep `port {port}` (add a server for another port)."
            ));
        }
        self.sim.set_config_lines(port, lines).map_err(|e| e.to_string())
    }

    pub fn remove_server(&mut self, port: u16) -> Result<(), SimError> {
        self.consoles.remove(&port);
        self.sim.remove_server(port)
    }

    /// kill -9: the process dies, its disk stays.
    pub fn crash(&mut self, port: u16) -> Result<(), SimError> {
        self.sim.crash(port)?;
        self.poll_consoles();
        Ok(())
    }

    /// Starts a stopped or crashed server again from its config and disk.
    pub fn restart(&mut self, port: u16) -> Result<(), SimError> {
        self.sim.restart(port)
    }

    /// The node's dump file, if its disk has one: (file name, bytes).
    pub fn dump_file(&self, port: u16) -> Option<(String, Vec<u8>)> {
        let path = self.sim.dump_path(port)?;
        let bytes = self.sim.disk(port)?.read(&path)?.to_vec();
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        Some((name, bytes))
    }

    /// Puts an uploaded dump on the node's disk, to be loaded at its next
    /// start. A file that is not a loadable RDB changes nothing.
    pub fn upload_dump(&mut self, port: u16, bytes: Vec<u8>) -> Result<String, String> {
        let snapshot = rdb::decode(&bytes, &Limits::default()).map_err(|e| format!("This file cannot be loaded: {e}."))?;
        let path = self.sim.dump_path(port).ok_or_else(|| format!("There is no server on port {port}."))?;
        let disk = self.sim.disk_mut(port).ok_or_else(|| format!("There is no server on port {port}."))?;
        disk.write(&path, bytes);
        let keys = snapshot.key_count();
        Ok(format!("{path} now holds a dump of {keys} keys: server {port} loads it when it next starts."))
    }

    /// Everything that outlives a page reload: each server's config, its
    /// disk and whether it runs. (Data in memory does not: a reload is a
    /// power cut, and the servers come back with what they saved.)
    pub fn export_state(&self) -> String {
        let mut out = vec![STATE_HEADER.to_string()];
        for port in self.consoles.keys().filter(|p| !self.sim.is_sentinel(**p)) {
            let up = self.sim.is_up(*port);
            out.push(format!("server {port} {}", if up { "up" } else { "down" }));
            for line in self.sim.config_lines(*port).unwrap_or_default() {
                out.push(format!("config {line}"));
            }
            for (path, bytes) in self.sim.disk(*port).map(|d| d.files.iter()).into_iter().flatten() {
                out.push(format!("file {} {}", base64_encode(path.as_bytes()), base64_encode(bytes)));
            }
        }
        for port in self.sim.sentinel_ports() {
            let up = self.sim.sentinel_running(port);
            out.push(format!("sentinel {port} {}", if up { "up" } else { "down" }));
            for line in self.sim.sentinel_config_lines(port).unwrap_or_default() {
                out.push(format!("config {line}"));
            }
        }
        // The network's state: cut links and latencies.
        out.extend(self.sim.cuts().map(|(a, b)| format!("cut {a} {b}")));
        out.extend(self.sim.latencies().map(|(a, b, ms)| format!("latency {a} {b} {ms}")));
        out.join("\n")
    }

    /// Changes whenever what `export_state` would write changes (disks by
    /// their revision, so that no dump is hashed on every frame).
    pub fn state_fingerprint(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut mix = |bytes: &[u8]| {
            for &b in bytes.iter().chain(b"\n") {
                hash = (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for &port in self.consoles.keys().filter(|p| !self.sim.is_sentinel(**p)) {
            let disk = self.sim.disk(port).map_or(0, |d| d.revision);
            mix(format!("{port} {} {disk}", self.sim.is_up(port)).as_bytes());
            for line in self.sim.config_lines(port).unwrap_or_default() {
                mix(line.as_bytes());
            }
        }
        for port in self.sim.sentinel_ports() {
            mix(format!("sentinel {port} {}", self.sim.sentinel_running(port)).as_bytes());
            for line in self.sim.sentinel_config_lines(port).unwrap_or_default() {
                mix(line.as_bytes());
            }
        }
        for (a, b) in self.sim.cuts() {
            mix(format!("cut {a} {b}").as_bytes());
        }
        for (a, b, ms) in self.sim.latencies() {
            mix(format!("latency {a} {b} {ms}").as_bytes());
        }
        hash
    }

    /// Rebuilds a playground saved by `export_state`. Running servers load
    /// their dumps; a server whose dump no longer loads stays down.
    pub fn import_state(seed: u64, start: Millis, text: &str) -> Result<Playground, String> {
        let mut lines = text.lines();
        if lines.next() != Some(STATE_HEADER) {
            return Err("not a saved playground".into());
        }
        struct Saved {
            port: u16,
            up: bool,
            sentinel: bool,
            config: Vec<String>,
            disk: Disk,
        }
        let mut servers: Vec<Saved> = Vec::new();
        let mut network: Vec<(u16, u16, Option<Millis>)> = Vec::new();
        for line in lines {
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "server" | "sentinel" => {
                    let (port, state) = rest.split_once(' ').ok_or("a server line without its state")?;
                    let port = port.parse().map_err(|_| "a bad port")?;
                    servers.push(Saved { port, up: state == "up", sentinel: word == "sentinel", config: Vec::new(), disk: Disk::default() });
                }
                "config" => servers.last_mut().ok_or("config before any server")?.config.push(rest.to_string()),
                "cut" | "latency" => {
                    let numbers: Vec<i64> = rest.split(' ').filter_map(|w| w.parse().ok()).collect();
                    match (word, numbers.as_slice()) {
                        ("cut", [a, b]) => network.push((*a as u16, *b as u16, None)),
                        ("latency", [a, b, ms]) => network.push((*a as u16, *b as u16, Some(*ms))),
                        _ => return Err(format!("a bad '{word}' line")),
                    }
                }
                "file" => {
                    let (path, data) = rest.split_once(' ').ok_or("a file line without data")?;
                    let path = base64_decode(path).ok_or("a bad file name")?;
                    let data = base64_decode(data).ok_or("bad file data")?;
                    let server = servers.last_mut().ok_or("a file before any server")?;
                    server.disk.write(&String::from_utf8_lossy(&path), data);
                }
                _ => return Err(format!("unknown line '{word}'")),
            }
        }
        let mut playground = Playground { sim: Sim::new(seed, start), consoles: BTreeMap::new() };
        playground.sim.limit_trace(TRACE_KEPT);
        // Servers first, so that Sentinels find them.
        servers.sort_by_key(|s| s.sentinel);
        for saved in servers {
            if saved.sentinel {
                playground.sim.start_sentinel(saved.port, &saved.config).map_err(|e| e.to_string())?;
                if !saved.up {
                    playground.sim.crash(saved.port).map_err(|e| e.to_string())?;
                }
                let console = Console::open(&mut playground.sim, saved.port);
                playground.consoles.insert(saved.port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
                continue;
            }
            let started = if saved.up {
                playground.sim.start_server_with_disk(saved.port, &saved.config, saved.disk.clone())
            } else {
                Err(SimError::NotRunning(saved.port))
            };
            if started.is_err() && !playground.sim.has_machine(saved.port) {
                playground.sim.add_stopped_server(saved.port, &saved.config, saved.disk).map_err(|e| e.to_string())?;
            }
            let console = Console::open(&mut playground.sim, saved.port);
            playground.consoles.insert(saved.port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
        }
        for (a, b, latency) in network {
            match latency {
                None => playground.sim.cut(a, b),
                Some(ms) => playground.sim.set_latency(a, b, ms),
            }
        }
        // A reloaded page shows the cluster as it was: the servers read
        // their dumps before the learner gets the page back (at most 10
        // minutes of virtual time, for a dump of about 28 GB).
        let give_up = playground.sim.now() + 600_000;
        while playground.sim.ports().any(|p| playground.sim.server(p).is_some_and(|s| s.is_loading())) && playground.sim.now() < give_up {
            match playground.sim.next_event_at() {
                Some(at) => playground.sim.advance((at - playground.sim.now()).max(1)),
                None => break,
            }
        }
        Ok(playground)
    }

    /// Types a line into a node's console.
    pub fn run(&mut self, port: u16, line: &str) {
        let Some(log) = self.consoles.get_mut(&port) else { return };
        // `help ...` is redis-cli's own: answered here, never sent.
        let words = crate::engine::cli::split_args(line.as_bytes()).unwrap_or_default();
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case(b"help")) && !log.console.is_waiting() {
            let prompt = log.console.prompt(&self.sim);
            Rc::make_mut(&mut log.lines).push(Line { kind: LineKind::Input, text: format!("{prompt}{line}") });
            let args: Vec<String> = words[1..].iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            Self::print(log, crate::engine::cli_help::help(&args));
        } else {
            let exchange = log.console.run(&mut self.sim, line);
            Rc::make_mut(&mut log.lines).push(Line { kind: LineKind::Input, text: exchange.prompt_line });
            Self::print(log, exchange.output);
        }
        if !line.trim().is_empty() {
            let history = Rc::make_mut(&mut log.history);
            if history.last().map(String::as_str) != Some(line) {
                history.push(line.to_string());
            }
            if history.len() > MAX_HISTORY {
                history.remove(0);
            }
        }
        // `clear` empties the screen, as in redis-cli.
        if line.trim().eq_ignore_ascii_case("clear") {
            Rc::make_mut(&mut log.lines).clear();
        }
        // The command may have woken a blocked command in another console.
        self.poll_consoles();
    }

    fn print(log: &mut ConsoleLog, output: Vec<String>) {
        let lines = Rc::make_mut(&mut log.lines);
        for text in output {
            let kind = if text.starts_with("(error) ") || text.starts_with("Could not connect") {
                LineKind::Error
            } else {
                LineKind::Output
            };
            lines.push(Line { kind, text });
        }
        if lines.len() > MAX_LINES {
            lines.drain(..lines.len() - MAX_LINES);
        }
    }

    /// Ctrl-C in a console: stops a blocked command or message reading.
    pub fn interrupt(&mut self, port: u16) {
        let Some(log) = self.consoles.get_mut(&port) else { return };
        if !log.console.is_waiting() {
            return;
        }
        let output = log.console.interrupt(&mut self.sim);
        Self::print(log, output);
        Self::print(log, vec!["^C".to_string()]);
    }

    /// Drag and drop on the graph, or the card's "replica of" choice: types
    /// `REPLICAOF 127.0.0.1 <target>` (or `REPLICAOF NO ONE` for `None`)
    /// into the node's console, where it shows with its reply. Returns a
    /// message for the user when there is something to know; refuses what
    /// would do nothing.
    pub fn reparent(&mut self, port: u16, target: Option<u16>) -> Result<Option<String>, String> {
        if target == Some(port) {
            return Err(format!("{port} was dropped onto itself: nothing to do."));
        }
        if !self.sim.is_up(port) {
            return Err(format!("{port} is not running: restart it before pointing it at a master."));
        }
        let follows = |sim: &Sim, node: u16| sim.server(node).and_then(|s| s.repl.master.as_ref()).map(|m| m.port);
        let current = follows(&self.sim, port);
        if current == target && (target.is_some() || current.is_none()) {
            return Err(match target {
                Some(t) => format!("{port} already replicates from {t}."),
                None => format!("{port} is already a master."),
            });
        }
        // Would the target end up following `port`, directly or down a chain?
        let mut loop_through = Vec::new();
        if let Some(target) = target {
            let mut node = target;
            while let Some(master) = follows(&self.sim, node) {
                if loop_through.contains(&master) || loop_through.len() > 64 {
                    break;
                }
                loop_through.push(master);
                if master == port {
                    break;
                }
                node = master;
            }
        }
        let line = match target {
            Some(t) => format!("REPLICAOF 127.0.0.1 {t}"),
            None => "REPLICAOF NO ONE".to_string(),
        };
        self.run(port, &line);
        Ok(match target {
            Some(t) if loop_through.last() == Some(&port) => Some(format!(
                "{t} already replicates from {port}: now they follow each other in a loop, and no write can reach them. \
                 Redis allows it; drag one of them onto empty space to break the loop."
            )),
            Some(t) if !self.sim.is_up(t) => {
                Some(format!("{t} is not running: {port} keeps trying to connect until it is back."))
            }
            _ => None,
        })
    }

    /// The data view of a running server: its keys, compared with its
    /// master's when that master runs on this playground.
    pub fn data_view(&self, port: u16) -> Option<super::data_view::DataView> {
        let server = self.sim.server(port)?;
        let master = server.repl.master.as_ref().map(|m| m.port).filter(|&m| m != port);
        let master = master.and_then(|m| self.sim.server(m).map(|s| (m, s)));
        Some(super::data_view::data_view(port, server, master, self.sim.now()))
    }

    /// A replica's lag as its master reports it in INFO (`slaveN:...,lag=`).
    fn lag_of(&self, replica: u16, master: u16) -> Option<i64> {
        use crate::engine::server::replication::ReplicaState;
        let server = self.sim.server(master)?;
        let entry = server.repl.replicas.values().find(|r| r.listening_port == replica && r.state == ReplicaState::Online)?;
        let now = self.sim.now();
        Some(now.div_euclid(1000) - entry.ack_time.div_euclid(1000))
    }

    /// Sets the one-way delay of the link between two nodes.
    pub fn set_latency(&mut self, a: u16, b: u16, ms: Millis) {
        self.sim.set_latency(a, b, ms);
    }

    /// Cuts the network between two nodes, or heals it if it was cut.
    /// Every other node on the playground (servers and Sentinels).
    fn others(&self, port: u16) -> Vec<u16> {
        self.consoles.keys().copied().filter(|&p| p != port).collect()
    }

    /// Whether the network between `port` and every other node is cut.
    pub fn is_isolated(&self, port: u16) -> bool {
        let others = self.others(port);
        !others.is_empty() && others.iter().all(|&o| self.sim.is_cut(port, o))
    }

    /// A partition around one node: cut it off from every other node, or
    /// (when it is cut off already) let it rejoin them all.
    pub fn toggle_isolation(&mut self, port: u16) {
        let isolated = self.is_isolated(port);
        for other in self.others(port) {
            if isolated {
                self.sim.heal(port, other);
            } else {
                self.sim.cut(port, other);
            }
        }
        self.poll_consoles();
    }

    pub fn toggle_cut(&mut self, a: u16, b: u16) {
        if self.sim.is_cut(a, b) {
            self.sim.heal(a, b);
        } else {
            self.sim.cut(a, b);
        }
        self.poll_consoles();
    }

    /// Lets virtual time pass until some server logs a line (the next
    /// step of a handshake, a sync, a timeout), in cron-sized steps, for at
    /// most `limit` ms; returns the virtual ms that passed.
    pub fn advance_to_next_event(&mut self, limit: Millis) -> Millis {
        let before = self.sim.log_lines_written();
        let mut passed = 0;
        while passed < limit && self.sim.log_lines_written() == before {
            let step = NEXT_EVENT_STEP.min(limit - passed);
            self.sim.advance(step);
            passed += step;
        }
        self.poll_consoles();
        passed
    }

    /// "Run until idle": lets virtual time pass until no server has work
    /// under way (a sync, a load, a save, a sleep; see
    /// `Server::has_work_in_progress`) and none has had for `quiet` ms,
    /// for at most `limit` ms; returns the virtual ms that passed. Pings,
    /// acks and retries of an absent master go on forever and do not count.
    pub fn advance_until_idle(&mut self, quiet: Millis, limit: Millis) -> Millis {
        let mut passed = 0;
        let mut quiet_for = 0;
        while passed < limit && quiet_for < quiet {
            let step = NEXT_EVENT_STEP.min(limit - passed);
            self.sim.advance(step);
            passed += step;
            let busy = self.sim.ports().any(|p| {
                self.sim.server(p).is_some_and(|s| s.has_work_in_progress()) || self.sim.transfer_progress(p).is_some()
            });
            quiet_for = if busy { 0 } else { quiet_for + step };
        }
        self.poll_consoles();
        passed
    }

    /// Lets virtual time pass; blocked consoles print their answers.
    pub fn advance(&mut self, ms: Millis) {
        self.sim.advance(ms);
        self.poll_consoles();
    }

    fn poll_consoles(&mut self) {
        for log in self.consoles.values_mut() {
            log.console.notice_closed(&self.sim);
            if log.console.is_waiting() {
                if let Some(output) = log.console.poll(&mut self.sim) {
                    Self::print(log, output);
                }
            }
        }
    }

    /// The newest log lines of every node, oldest first.
    pub fn events(&self) -> Vec<EventView> {
        let lines: Vec<_> = self.sim.recent_log().collect();
        let skip = lines.len().saturating_sub(EVENTS_SHOWN);
        lines[skip..]
            .iter()
            .map(|(port, line)| EventView {
                port: *port,
                stamp: log_stamp(line.at),
                role: line.role,
                level: line.level,
                text: line.text.clone(),
            })
            .collect()
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let snapshot = self.sim.snapshot();
        self.consoles
            .iter()
            .filter(|(port, _)| !self.sim.is_sentinel(**port))
            .map(|(&port, log)| {
                let node = snapshot.iter().find(|n| n.port == port);
                NodeView {
                    port,
                    up: node.is_some(),
                    role: node.map_or("down", |n| n.role),
                    keys: node.map_or(0, |n| n.keys),
                    loading: node.is_some_and(|n| n.loading),
                    sync_progress: self.sim.transfer_progress(port),
                    has_dump: self.dump_file(port).is_some(),
                    master: node.and_then(|n| n.master.as_ref()).and_then(|(host, p)| {
                        (host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")).then_some(*p)
                    }),
                    link: node.map_or("none", |n| n.link),
                    cut: node
                        .and_then(|n| n.master.as_ref())
                        .is_some_and(|(_, master)| self.sim.is_cut(port, *master)),
                    isolated: self.is_isolated(port),
                    latency: node.and_then(|n| n.master.as_ref()).map_or(0, |(_, master)| self.sim.latency(port, *master)),
                    lag: node.and_then(|n| n.master.as_ref()).and_then(|(_, master)| self.lag_of(port, *master)),
                    offset: node.map_or(0, |n| n.offset),
                    console: self.console_view(log),
                }
            })
            .collect()
    }
}

pub use crate::engine::log::log_stamp;

/// `43.4 s`, `12 min 03.4 s`: tenths are enough to follow a 100 ms cron.
pub fn format_elapsed(ms: i64) -> String {
    let tenths = ms.max(0) / 100;
    let (minutes, tenths) = (tenths / 600, tenths % 600);
    if minutes == 0 {
        format!("{}.{} s", tenths / 10, tenths % 10)
    } else {
        format!("{} min {:02}.{} s", minutes, tenths / 10, tenths % 10)
    }
}

/// Where each server goes on the topology graph: masters on top, each
/// replica under the server it follows, trees side by side. Returns
/// (port, column, depth); columns are centred over their children.
pub fn layout(nodes: &[NodeView]) -> Vec<(u16, f64, usize)> {
    let present: BTreeMap<u16, Option<u16>> = nodes.iter().map(|n| (n.port, n.master)).collect();
    // A node whose chain of masters loops or leaves the playground is a root.
    let parent = |port: u16| -> Option<u16> {
        let master = present.get(&port).copied().flatten().filter(|m| present.contains_key(m))?;
        let mut seen = vec![port];
        let mut at = master;
        while let Some(next) = present.get(&at).copied().flatten().filter(|m| present.contains_key(m)) {
            if seen.contains(&at) {
                return None;
            }
            seen.push(at);
            at = next;
        }
        (!seen.contains(&at)).then_some(master)
    };
    let mut children: BTreeMap<u16, Vec<u16>> = BTreeMap::new();
    let mut roots = Vec::new();
    for &port in present.keys() {
        match parent(port) {
            Some(m) => children.entry(m).or_default().push(port),
            None => roots.push(port),
        }
    }
    fn place(port: u16, depth: usize, children: &BTreeMap<u16, Vec<u16>>, next: &mut f64, out: &mut Vec<(u16, f64, usize)>) -> f64 {
        let kids = children.get(&port).cloned().unwrap_or_default();
        let x = if kids.is_empty() {
            let x = *next;
            *next += 1.0;
            x
        } else {
            let xs: Vec<f64> = kids.iter().map(|&k| place(k, depth + 1, children, next, out)).collect();
            (xs[0] + xs[xs.len() - 1]) / 2.0
        };
        out.push((port, x, depth));
        x
    }
    let mut out = Vec::new();
    let mut next = 0.0;
    for root in roots {
        place(root, 0, &children, &mut next, &mut out);
    }
    out.sort_by_key(|(port, _, _)| *port);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_stamps_read_like_redis() {
        assert_eq!(log_stamp(0), "1 Jan 1970 00:00:00.000");
        // 2026-11-25T04:47:50.561Z
        assert_eq!(log_stamp(1_795_582_070_561), "25 Nov 2026 04:47:50.561");
        // 2024-02-29T23:59:59.999Z, a leap day
        assert_eq!(log_stamp(1_709_251_199_999), "29 Feb 2024 23:59:59.999");
    }

    #[test]
    fn events_show_what_the_nodes_logged() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(6000);
        let events = p.events();
        let has = |port: u16, text: &str| events.iter().any(|e| e.port == port && e.text == text);
        assert!(has(6380, "Connecting to MASTER 127.0.0.1:6379"), "{events:?}");
        assert!(has(6379, "Synchronization with replica 127.0.0.1:6380 succeeded"), "{events:?}");
        assert!(has(6380, "MASTER <-> REPLICA sync: Finished with success"), "{events:?}");
        assert!(events.iter().all(|e| e.stamp.starts_with("1 Jan 1970 00:00:0")));
    }

    #[test]
    fn next_event_stops_at_the_next_log_line() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        // The master waits 5 s (repl-diskless-sync-delay) before the transfer.
        let passed = p.advance_to_next_event(60_000);
        assert!((4_900..=5_100).contains(&passed), "{passed} ms");
        assert!(p.events().iter().any(|e| e.text == "Starting BGSAVE for SYNC with target: replicas sockets"));
        // Nothing else is due: it gives up at the limit.
        let mut idle = Playground::new(1, 0, &[6379]);
        assert_eq!(idle.advance_to_next_event(3_000), 3_000);
    }

    #[test]
    fn elapsed_reads_in_seconds_then_minutes() {
        assert_eq!(format_elapsed(0), "0.0 s");
        assert_eq!(format_elapsed(43_449), "43.4 s");
        assert_eq!(format_elapsed(83_449), "1 min 23.4 s");
        assert_eq!(format_elapsed(59_999), "59.9 s");
        assert_eq!(format_elapsed(60_000), "1 min 00.0 s");
        assert_eq!(format_elapsed(723_400), "12 min 03.4 s");
        assert_eq!(format_elapsed(-5), "0.0 s");
    }

    #[test]
    fn three_servers_add_and_remove() {
        let mut p = Playground::new(1, 0, &[6379, 6380, 6381]);
        assert_eq!(p.nodes().iter().map(|n| n.port).collect::<Vec<_>>(), [6379, 6380, 6381]);
        assert_eq!(p.add_server().unwrap(), 6382);
        p.remove_server(6380).unwrap();
        assert_eq!(p.add_server().unwrap(), 6380);
        assert!(p.remove_server(7000).is_err());
    }

    #[test]
    fn state_survives_export_and_import() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6379, "SET saved yes");
        p.run(6379, "SAVE");
        p.run(6379, "SET unsaved yes");
        p.crash(6380).unwrap();
        let text = p.export_state();
        let mut q = Playground::import_state(2, 10_000, &text).unwrap();
        let nodes = q.nodes();
        assert!(nodes[0].up && !nodes[1].up);
        // The page comes back once the dumps are in.
        q.run(6379, "GET saved");
        q.run(6379, "GET unsaved");
        let lines: Vec<String> = q.nodes()[0].console.lines.iter().map(|l| l.text.clone()).collect();
        assert_eq!(lines, ["127.0.0.1:6379> GET saved", "\"yes\"", "127.0.0.1:6379> GET unsaved", "(nil)"]);
        assert!(Playground::import_state(1, 0, "garbage").is_err());
    }

    #[test]
    fn edited_configs_cuts_and_latencies_survive_a_reload() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        let before = p.state_fingerprint();
        let mut config = p.config_of(6380).unwrap();
        config.push("hz 20".into());
        p.edit_config(6380, &config).unwrap();
        assert_ne!(p.state_fingerprint(), before, "an edited config must be saved");
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.toggle_cut(6380, 6379);
        p.set_latency(6379, 6380, 50);
        let q = Playground::import_state(2, 0, &p.export_state()).unwrap();
        assert_eq!(q.config_of(6380).unwrap().last().map(String::as_str), Some("hz 20"));
        assert!(q.sim().is_cut(6379, 6380));
        assert_eq!(q.sim().latency(6380, 6379), 50);
        assert!(Playground::import_state(1, 0, &format!("{STATE_HEADER}\ncut 1")).is_err());
    }

    #[test]
    fn sentinels_start_from_their_conf_show_what_they_watch_and_survive_a_reload() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(6000);
        let conf = p.lesson_sentinel_config(p.next_sentinel_port());
        assert_eq!(conf[..2], ["port 26379".to_string(), "sentinel monitor mymaster 127.0.0.1 6379 1".to_string()]);
        let bad = vec!["sentinel monitor mymaster 127.0.0.1 6379 0".to_string()];
        assert!(p.add_sentinel(&bad).unwrap_err().contains("Quorum must be 1 or greater."));
        assert_eq!(p.add_sentinel(&conf), Ok(26379));
        assert!(p.add_sentinel(&conf).unwrap_err().contains("Port 26379 is taken"));
        p.advance(1000);
        let sentinels = p.sentinels();
        assert_eq!(sentinels.len(), 1);
        let watch = &sentinels[0].watching[0];
        assert_eq!((watch.name.as_str(), watch.port, watch.status, watch.replicas.as_slice()), ("mymaster", 6379, "ok", &[6380][..]));
        assert!(p.nodes().iter().all(|n| n.port != 26379), "a Sentinel is not a server");
        p.run(26379, "SENTINEL get-master-addr-by-name mymaster");
        assert_eq!(sentinels[0].console.prompt, "127.0.0.1:26379> ");
        assert!(!sentinels[0].cut);
        p.toggle_cut(26379, 6379);
        assert!(p.sentinels()[0].cut, "the card offers to heal what was cut");
        p.toggle_cut(26379, 6379);
        // A partition around 6379: cut from every node, then whole again.
        p.toggle_isolation(6379);
        assert!(p.is_isolated(6379) && p.nodes()[0].isolated && p.sentinels()[0].cut);
        assert!(p.sim().is_cut(6379, 6380) && p.sim().is_cut(6379, 26379));
        p.toggle_isolation(6379);
        assert!(!p.is_isolated(6379) && !p.sim().is_cut(6379, 6380));
        // Its sentinel.conf is edited like a server's, and keeps its port.
        let mut edited = p.config_of(26379).unwrap();
        edited.push("sentinel down-after-milliseconds mymaster 5000".into());
        assert!(p.edit_config(26379, &["port 26400".to_string()]).unwrap_err().contains("must keep `port 26379`"));
        p.edit_config(26379, &edited).unwrap();
        let q = Playground::import_state(2, 0, &p.export_state()).unwrap();
        assert!(q.config_of(26379).unwrap().iter().any(|l| l == "sentinel down-after-milliseconds mymaster 5000"));
        assert!(q.is_running(26379));
        assert_eq!(q.sentinels()[0].port, 26379);
    }

    #[test]
    fn uploads_are_checked_before_they_land() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6379, "RPUSH l a b");
        p.run(6379, "SAVE");
        let (name, dump) = p.dump_file(6379).unwrap();
        assert_eq!(name, "dump.rdb");
        assert!(p.upload_dump(6380, b"not a dump".to_vec()).is_err());
        assert!(p.dump_file(6380).is_none());
        let message = p.upload_dump(6380, dump).unwrap();
        assert!(message.contains("1 keys"));
        p.crash(6380).unwrap();
        p.restart(6380).unwrap();
        p.advance(1);
        p.run(6380, "PING");
        p.run(6380, "LLEN l");
        assert_eq!(p.nodes()[1].console.lines.last().unwrap().text, "(integer) 2");
    }

    #[test]
    fn reparenting_types_replicaof_and_says_what_a_careful_user_needs_to_know() {
        let mut p = Playground::new(1, 0, &[6379, 6380, 6381]);
        assert_eq!(p.reparent(6380, Some(6379)), Ok(None));
        let lines: Vec<String> = p.nodes()[1].console.lines.iter().map(|l| l.text.clone()).collect();
        assert_eq!(lines, ["127.0.0.1:6380> REPLICAOF 127.0.0.1 6379", "OK"]);
        assert!(p.reparent(6380, Some(6380)).unwrap_err().contains("onto itself"));
        assert!(p.reparent(6380, Some(6379)).unwrap_err().contains("already replicates from 6379"));
        assert!(p.reparent(6379, None).unwrap_err().contains("already a master"));
        // 6381 under 6380, then 6379 under 6381: a loop through the chain.
        assert_eq!(p.reparent(6381, Some(6380)), Ok(None));
        let warning = p.reparent(6379, Some(6381)).unwrap().unwrap();
        assert!(warning.contains("loop"), "{warning}");
        assert_eq!(p.reparent(6379, None), Ok(None));
        assert_eq!(p.nodes()[0].console.lines.last().unwrap().text, "OK");
        p.crash(6381).unwrap();
        assert!(p.reparent(6381, None).unwrap_err().contains("not running"));
        let note = p.reparent(6380, Some(6381)).unwrap().unwrap();
        assert!(note.contains("keeps trying"), "{note}");
    }

    #[test]
    fn help_is_answered_by_the_console_itself() {
        let mut p = Playground::new(1, 0, &[6379]);
        p.run(6379, "HELP get");
        let lines: Vec<String> = p.nodes()[0].console.lines.iter().map(|l| l.text.clone()).collect();
        assert_eq!(lines[..3], ["127.0.0.1:6379> HELP get", "", "  GET key"]);
        assert_eq!(p.sim.server(6379).map(|s| s.changes_since_save()), Some(0));
        p.run(6379, "help nosuch");
        assert_eq!(p.nodes()[0].console.lines.last().unwrap().text, "");
    }

    #[test]
    fn run_until_idle_stops_once_a_sync_has_settled() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        let passed = p.advance_until_idle(2_000, 120_000);
        // The 5 s diskless delay and the transfer, then two quiet seconds.
        assert!((6_500..12_000).contains(&passed), "{passed}");
        assert_eq!(p.nodes()[1].link, "online");
        // Already idle: it stops after the quiet time alone.
        assert_eq!(p.advance_until_idle(2_000, 120_000), 2_000);
    }

    #[test]
    fn servers_start_from_a_config_file_and_keep_edits_for_their_next_start() {
        let mut p = Playground::new(1, 0, &[6379]);
        let lines = Playground::lesson_config(6390);
        assert_eq!(p.add_server_with_config(&lines), Ok(6390));
        assert!(p.add_server_with_config(&lines).unwrap_err().contains("taken"));
        let bad = vec!["port 6391".to_string(), "maxmemory lots".to_string()];
        let error = p.add_server_with_config(&bad).unwrap_err();
        assert!(error.starts_with("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "{error}");
        assert!(error.contains("maxmemory lots"), "{error}");
        p.run(6390, "CONFIG GET dbfilename");
        assert_eq!(p.nodes()[1].console.lines.last().unwrap().text, "2) \"dump6390.rdb\"");
        // An edit waits for the next start.
        let mut edited = p.config_of(6390).unwrap();
        edited.push("replicaof 127.0.0.1 6379".into());
        assert!(p.edit_config(6390, &["port 6391".to_string()]).unwrap_err().contains("keep `port 6390`"));
        p.edit_config(6390, &edited).unwrap();
        assert_eq!(p.nodes()[1].role, "master");
        p.crash(6390).unwrap();
        p.restart(6390).unwrap();
        assert_eq!(p.nodes()[1].role, "replica");
    }

    #[test]
    fn the_data_view_shows_where_a_replica_still_differs() {
        use crate::sim::data_view::KeyState;
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6379, "SET a 1");
        p.run(6379, "RPUSH l x y");
        p.run(6380, "SET stale yes");
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        // Before the sync: a is missing, stale is extra.
        let view = p.data_view(6380).unwrap();
        assert_eq!(view.master, Some(6379));
        let state = |view: &crate::sim::data_view::DataView, key: &str| view.rows.iter().find(|r| r.key == key).map(|r| r.state);
        assert_eq!(state(&view, "a"), Some(KeyState::Missing));
        assert_eq!(state(&view, "stale"), Some(KeyState::Extra));
        assert_eq!(view.differing, 3);
        p.advance(7_000);
        let view = p.data_view(6380).unwrap();
        assert_eq!(view.differing, 0);
        assert_eq!(state(&view, "l"), Some(KeyState::Same));
        assert_eq!(view.rows.iter().find(|r| r.key == "l").unwrap().summary, "2 items");
        let master = p.data_view(6379).unwrap();
        assert_eq!(master.master, None);
        assert_eq!(master.rows.iter().find(|r| r.key == "a").unwrap().summary, "\"1\"");
        assert!(p.data_view(7000).is_none());
    }

    #[test]
    fn a_replica_shows_the_lag_its_master_reports() {
        let mut p = Playground::new(1, 0, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(7_000);
        assert_eq!(p.nodes()[1].lag, Some(0));
        // Behind a cut no ACK gets through: the lag grows as INFO shows it.
        p.toggle_cut(6380, 6379);
        p.advance(3_000);
        assert!(p.nodes()[1].lag.is_some_and(|lag| lag >= 2), "{:?}", p.nodes()[1].lag);
        assert_eq!(p.nodes()[0].lag, None);
    }

    #[test]
    fn layout_puts_replicas_under_their_masters() {
        let mut p = Playground::new(1, 0, &[6379, 6380, 6381, 6382]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.run(6381, "REPLICAOF 127.0.0.1 6380");
        p.run(6382, "REPLICAOF 127.0.0.1 6382");
        let nodes = p.nodes();
        let at: BTreeMap<u16, (f64, usize)> = layout(&nodes).into_iter().map(|(p, x, d)| (p, (x, d))).collect();
        assert_eq!(at[&6379].1, 0);
        assert_eq!(at[&6380].1, 1);
        assert_eq!(at[&6381].1, 2);
        assert_eq!(at[&6382].1, 0, "a server following itself is a root");
        assert_eq!(at[&6379].0, at[&6381].0);
        assert_ne!(at[&6379].0, at[&6382].0);
        assert_eq!(nodes[1].master, Some(6379));
    }

    #[test]
    fn console_lines_and_history() {
        let mut p = Playground::new(1, 0, &[6379]);
        p.run(6379, "SET k1 v1");
        p.run(6379, "GET");
        p.run(6379, "GET");
        let node = &p.nodes()[0];
        assert_eq!(node.keys, 1);
        let texts: Vec<&str> = node.console.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[..2], ["127.0.0.1:6379> SET k1 v1", "OK"]);
        assert_eq!(node.console.lines[3].kind, LineKind::Error);
        assert_eq!(*node.console.history, ["SET k1 v1", "GET"]);
        p.run(6379, "clear");
        assert!(p.nodes()[0].console.lines.is_empty());
    }
}
