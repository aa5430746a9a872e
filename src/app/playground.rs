//! What the web page drives: a session plus what the page keeps of each
//! console (its printed lines and its history). Every change is a step
//! applied to the session, so a page session is its seed plus its steps.
//! It has no web dependency: its behaviour is tested natively, and the UI
//! only sends it actions and renders its views.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::data_view::{data_view, DataView};
use super::metrics::{LagChart, Metrics};
use super::views::{lag_of, local_master, ConsoleView, EventView, Line, LineKind, Link, NodeView, Role, SentinelView};
use crate::engine::config::Config;
use crate::engine::log::log_stamp;
use crate::engine::rdb;
use crate::engine::sentinel::conf::SentinelConf;
use crate::engine::time::Millis;
use crate::engine::value::Limits;
use crate::session::{Applied, Options, Printed, Session, Step, Until};
use crate::sim::Sim;

/// The first port the page uses, as in the lesson.
pub const FIRST_PORT: u16 = 6379;
/// The first port a new Sentinel takes (redis-sentinel's default).
const FIRST_SENTINEL_PORT: u16 = 26379;
/// A console keeps this many printed lines; older ones scroll away for good.
const MAX_LINES: usize = 2000;
const MAX_HISTORY: usize = 500;
/// Trace events a playground keeps (the newest): enough to inspect a run,
/// bounded so a page left open does not keep growing.
const TRACE_KEPT: usize = 20_000;
/// How many lines the event log shows.
const EVENTS_SHOWN: usize = 200;

/// How the page's sessions behave: consoles notice a closed connection
/// at once, and the trace keeps its newest events.
pub const PAGE_OPTIONS: Options = Options { notice_closes: true, trace_limit: Some(TRACE_KEPT), memory_guard: Some(MEMORY_GUARD) };

/// The largest config file the page takes: it is kept in the browser's
/// storage with the cluster, and no real one comes near.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

fn check_config_size(lines: &[String]) -> Result<(), String> {
    let size: usize = lines.iter().map(|l| l.len() + 1).sum();
    if size > MAX_CONFIG_BYTES {
        return Err(format!("This config file is {} KiB: the playground takes config files of up to 256 KiB.", size / 1024));
    }
    Ok(())
}

/// The largest dump file the page takes (checked before it is read).
pub const MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file of `size` bytes is not taken as a dump, if it is not.
pub fn upload_refusal(size: u64) -> Option<String> {
    (size > MAX_UPLOAD_BYTES).then(|| {
        format!("This file is {} MB: the playground takes dumps of up to {} MB.", size.div_ceil(1 << 20), MAX_UPLOAD_BYTES >> 20)
    })
}

/// The memory (Redis's `used_memory`) each server of the page may reach:
/// every server lives in one browser tab, whose wasm memory stops at 4 GB
/// and which takes a few times Redis's figure for the same data.
pub const MEMORY_GUARD: u64 = 256 * 1024 * 1024;

/// What the page keeps of one console.
#[derive(Clone, Default)]
struct Screen {
    lines: Rc<Vec<Line>>,
    history: Rc<Vec<String>>,
    /// Lines ever printed, the scrolled-away ones included.
    printed: usize,
}

#[derive(Clone)]
pub struct Playground {
    session: Session,
    /// The page's nodes, servers and Sentinels, each with its console's screen.
    screens: BTreeMap<u16, Screen>,
    /// Replicas' lag and offsets over time, for the chart.
    metrics: Metrics,
}

impl Playground {
    /// A playground with servers on `ports`, each started with an empty config.
    pub fn new(seed: u64, start: Millis, ports: &[u16]) -> Playground {
        let mut playground = Playground::empty(Session::new(seed, start, PAGE_OPTIONS));
        for &port in ports {
            // Distinct fresh ports cannot clash; a duplicate is simply skipped.
            let _ = playground.add_node(Step::Server { port, config: Vec::new() });
        }
        playground
    }

    pub(super) fn empty(session: Session) -> Playground {
        Playground { session, screens: BTreeMap::new(), metrics: Metrics::default() }
    }

    /// A page session rebuilt from its seed and steps.
    pub fn replay(seed: u64, start: Millis, steps: impl IntoIterator<Item = Step>) -> Playground {
        let mut playground = Playground::empty(Session::new(seed, start, PAGE_OPTIONS));
        for step in steps {
            let _ = playground.apply(step);
        }
        playground
    }

    /// The page's nodes, servers and Sentinels.
    pub(super) fn ports(&self) -> Vec<u16> {
        self.screens.keys().copied().collect()
    }

    pub fn sim(&self) -> &Sim {
        self.session.sim()
    }

    /// A copy to rewind to (its trace's events left out: they come back
    /// from the present when it is rewound to).
    pub fn checkpoint(&self) -> Playground {
        Playground { session: self.session.checkpoint(), screens: self.screens.clone(), metrics: self.metrics.clone() }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Applies a step and moves what the consoles printed onto their
    /// screens (a typed line into its console's history too).
    pub(super) fn apply(&mut self, step: Step) -> Result<Applied, String> {
        match &step {
            Step::Connect { port } => {
                self.screens.entry(*port).or_default();
            }
            Step::Remove { port } => {
                self.screens.remove(port);
            }
            _ => {}
        }
        let typed = match &step {
            Step::Command { port, line } => Some((*port, line.clone())),
            _ => None,
        };
        let outcome = self.session.apply(step);
        for (&port, screen) in self.screens.iter_mut() {
            print(screen, self.session.take_printed(port));
        }
        if let Some(screen) = typed.as_ref().and_then(|(port, _)| self.screens.get_mut(port)) {
            remember(screen, typed.as_ref().map_or("", |(_, line)| line.as_str()));
        }
        self.metrics.sample(self.session.sim());
        outcome
    }

    /// Takes a step again (a rewind replaying the session's own steps).
    pub(super) fn take(&mut self, step: Step) {
        let _ = self.apply(step);
    }

    /// A playground rebuilt from a checkpoint takes back the trace events
    /// from before it from the present.
    pub(super) fn restore_trace(&mut self, present: &Playground) {
        self.session.restore_trace(&present.session);
    }

    /// Each replica's lag and offsets over the last minutes.
    pub fn lag_charts(&self) -> Vec<LagChart> {
        self.metrics.charts(self.session.sim(), self.session.steps(), self.session.start())
    }

    /// Starts a node and opens its console.
    fn add_node(&mut self, start: Step) -> Result<(), String> {
        let port = match &start {
            Step::Server { port, .. } | Step::Sentinel { port, .. } => *port,
            _ => return Err("not a node's start".into()),
        };
        self.apply(start)?;
        self.apply(Step::Connect { port })?;
        Ok(())
    }

    /// Starts a node and opens its console, unless `connect` is the
    /// scenario's next step anyway (a permalink records it).
    pub(super) fn start_node(&mut self, start: &Step, connect_follows: bool) -> Result<Applied, String> {
        let applied = crate::scenario::perform(self, start)?;
        if let Step::Server { port, .. } | Step::Sentinel { port, .. } = start {
            if !connect_follows && !self.screens.contains_key(port) {
                self.apply(Step::Connect { port: *port })?;
            }
        }
        Ok(applied)
    }

    /// How many lines the node's console has printed so far.
    pub fn printed_count(&self, port: u16) -> usize {
        self.screens.get(&port).map_or(0, |s| s.printed)
    }

    /// What the node's console printed after the first `count` lines
    /// (those still on its screen).
    pub fn printed_since(&self, port: u16, count: usize) -> Vec<Line> {
        let Some(screen) = self.screens.get(&port) else { return Vec::new() };
        let new = screen.printed.saturating_sub(count).min(screen.lines.len());
        screen.lines[screen.lines.len() - new..].to_vec()
    }

    /// The session as a scenario: its seed and every step taken (typed
    /// commands, drags, buttons, time passing). Loading it replays the
    /// session to the identical state: a permalink.
    pub fn scenario_text(&self) -> String {
        let mut text = format!("# A session of the Redis replication playground.\nseed {}\nexact\n", self.session.seed());
        for (_, step) in self.session.steps() {
            text.push_str(&step.to_string());
            text.push('\n');
        }
        text
    }

    /// The lowest free port from 6379 up.
    pub fn next_free_port(&self) -> Option<u16> {
        (FIRST_PORT..=u16::MAX).find(|p| !self.sim().is_up(*p) && !self.screens.contains_key(p))
    }

    /// The sentinel.conf the lesson gives a new Sentinel: watch the
    /// cluster's master as `mymaster`, quorum 1 (default timings).
    pub fn lesson_sentinel_config(&self, port: u16) -> Vec<String> {
        let sim = self.sim();
        let servers: Vec<_> = sim.ports().filter_map(|p| sim.server(p).map(|s| (p, s))).collect();
        // The master with the most replicas on this playground (6379 at first).
        let master = servers
            .iter()
            .filter(|(_, s)| !s.is_replica())
            .max_by_key(|(m, _)| {
                let replicas = servers.iter().filter(|(_, r)| r.master_address().is_some_and(|(_, p)| p == *m)).count();
                (replicas, std::cmp::Reverse(*m))
            })
            .map_or(FIRST_PORT, |(m, _)| *m);
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
            .find(|p| !self.screens.contains_key(p) && !self.sim().has_machine(*p))
            .unwrap_or(FIRST_SENTINEL_PORT)
    }

    /// Whether the server or Sentinel on `port` runs.
    pub fn is_running(&self, port: u16) -> bool {
        self.sim().is_up(port)
    }

    /// Starts a Sentinel from its sentinel.conf: on the port the file
    /// names (the next free one from 26379 if none), which must be free.
    /// The error is what redis-sentinel would print, or why the port is taken.
    pub fn add_sentinel(&mut self, lines: &[String]) -> Result<u16, String> {
        check_config_size(lines)?;
        let fallback = self.next_sentinel_port();
        let conf = SentinelConf::parse(lines, fallback).map_err(|e| e.to_string())?;
        let port = conf.port;
        if self.screens.contains_key(&port) || self.sim().has_machine(port) {
            return Err(format!("Port {port} is taken by another node here: choose another `port`."));
        }
        self.add_node(Step::Sentinel { port, config: lines.to_vec() })?;
        Ok(port)
    }

    pub fn add_server(&mut self) -> Result<u16, String> {
        let port = self.next_free_port().ok_or("every port is taken")?;
        self.add_node(Step::Server { port, config: Vec::new() })?;
        Ok(port)
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
        check_config_size(lines)?;
        let config = Config::parse(lines).map_err(|e| e.to_string())?;
        let port = config.get("port").and_then(|a| a[0].parse::<u16>().ok()).unwrap_or(6379);
        if self.screens.contains_key(&port) || self.sim().has_machine(port) {
            return Err(format!("Port {port} is taken by another server here: choose another `port`."));
        }
        self.add_node(Step::Server { port, config: lines.to_vec() })?;
        Ok(port)
    }

    /// A server's config file, as its next start will read it (CONFIG
    /// REWRITE included), or a Sentinel's.
    pub fn config_of(&self, port: u16) -> Option<Vec<String>> {
        self.sim().config_lines(port).map(<[String]>::to_vec)
    }

    /// Replaces a node's config file; it applies from the next start. The
    /// `port` cannot change: that would be another node.
    pub fn edit_config(&mut self, port: u16, lines: &[String]) -> Result<(), String> {
        check_config_size(lines)?;
        let wanted = if self.sim().is_sentinel(port) {
            let conf = SentinelConf::parse(lines, port).map_err(|e| e.to_string())?;
            if conf.port != port {
                return Err(format!(
                    "This is the Sentinel on port {port}: its config must keep `port {port}` (add a Sentinel for another port)."
                ));
            }
            port
        } else {
            let config = Config::parse(lines).map_err(|e| e.to_string())?;
            // A file without `port` (the page's first servers have none) keeps the server's own.
            config.get("port").and_then(|a| a[0].parse::<u16>().ok()).unwrap_or(port)
        };
        if wanted != port {
            return Err(format!(
                "This is the server on port {port}: its config must keep `port {port}` (add a server for another port)."
            ));
        }
        self.apply(Step::Config { port, config: lines.to_vec() }).map(|_| ())
    }

    pub fn remove_server(&mut self, port: u16) -> Result<(), String> {
        self.apply(Step::Remove { port }).map(|_| ())
    }

    /// kill -9: the process dies, its disk stays.
    pub fn crash(&mut self, port: u16) -> Result<(), String> {
        self.apply(Step::Crash { port }).map(|_| ())
    }

    /// Starts a stopped or crashed server again from its config and disk.
    pub fn restart(&mut self, port: u16) -> Result<(), String> {
        self.apply(Step::Restart { port }).map(|_| ())
    }

    /// The node's dump file, if its disk has one: (file name, bytes).
    pub fn dump_file(&self, port: u16) -> Option<(String, Vec<u8>)> {
        let path = self.sim().dump_path(port)?;
        let bytes = self.sim().disk(port)?.read(&path)?.to_vec();
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        Some((name, bytes))
    }

    /// Puts an uploaded dump on the node's disk, to be loaded at its next
    /// start. A file that is not a loadable RDB changes nothing.
    pub fn upload_dump(&mut self, port: u16, bytes: Vec<u8>) -> Result<String, String> {
        if let Some(refusal) = upload_refusal(bytes.len() as u64) {
            return Err(refusal);
        }
        let dump = rdb::decode(&bytes, &Limits::default()).map_err(|e| format!("This file cannot be loaded: {e}."))?;
        let keys = dump.key_count();
        // What it would take once loaded, as the server counts memory.
        let (keyspace, _, _) = dump.into_keyspace(16, 0).map_err(|db| format!("This file cannot be loaded: it uses database {db}."))?;
        let data = crate::engine::memory::STARTUP_BYTES + keyspace.dataset_bytes();
        if data > MEMORY_GUARD {
            return Err(format!(
                "This dump holds {} MB of data once loaded: more than the {} MB a server may take in this page.",
                data >> 20,
                MEMORY_GUARD >> 20
            ));
        }
        let path = self.sim().dump_path(port).ok_or_else(|| format!("There is no server on port {port}."))?;
        self.apply(Step::File { port, path: path.clone(), bytes })?;
        Ok(format!("{path} now holds a dump of {keys} keys: server {port} loads it when it next starts."))
    }

    /// Types a line into a node's console.
    pub fn run(&mut self, port: u16, line: &str) {
        if !self.screens.contains_key(&port) {
            return;
        }
        let _ = self.apply(Step::Command { port, line: line.to_string() });
    }

    /// Ctrl-C in a console: stops a blocked command or message reading.
    pub fn interrupt(&mut self, port: u16) {
        if self.session.console(port).is_some_and(|c| c.is_waiting()) {
            let _ = self.apply(Step::Interrupt { port });
        }
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
        if !self.sim().is_up(port) {
            return Err(format!("{port} is not running: restart it before pointing it at a master."));
        }
        let follows = |sim: &Sim, node: u16| sim.server(node).and_then(|s| s.master_address()).map(|(_, port)| port);
        let current = follows(self.sim(), port);
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
            while let Some(master) = follows(self.sim(), node) {
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
            Some(t) if !self.sim().is_up(t) => {
                Some(format!("{t} is not running: {port} keeps trying to connect until it is back."))
            }
            _ => None,
        })
    }

    /// The data view of a running server: its keys, compared with its
    /// master's when that master runs on this playground.
    pub fn data_view(&self, port: u16) -> Option<DataView> {
        let sim = self.sim();
        let server = sim.server(port)?;
        let master = server.master_address().map(|(_, m)| m).filter(|&m| m != port);
        let master = master.and_then(|m| sim.server(m).map(|s| (m, s)));
        Some(data_view(port, server, master, sim.now()))
    }

    /// Sets the one-way delay of the link between two nodes.
    pub fn set_latency(&mut self, a: u16, b: u16, ms: Millis) {
        let _ = self.apply(Step::Latency { a, b, ms });
    }

    /// Every other node on the playground (servers and Sentinels).
    fn others(&self, port: u16) -> Vec<u16> {
        self.screens.keys().copied().filter(|&p| p != port).collect()
    }

    /// Whether the network between `port` and every other node is cut.
    pub fn is_isolated(&self, port: u16) -> bool {
        let others = self.others(port);
        !others.is_empty() && others.iter().all(|&o| self.sim().is_cut(port, o))
    }

    /// A partition around one node: cut it off from every other node, or
    /// (when it is cut off already) let it rejoin them all.
    pub fn toggle_isolation(&mut self, port: u16) {
        let step = if self.is_isolated(port) { Step::Rejoin { port } } else { Step::Isolate { port } };
        let _ = self.apply(step);
    }

    /// Cuts the network between two nodes, or heals it if it was cut.
    pub fn toggle_cut(&mut self, a: u16, b: u16) {
        let step = if self.sim().is_cut(a, b) { Step::Heal { a, b } } else { Step::Cut { a, b } };
        let _ = self.apply(step);
    }

    /// Lets virtual time pass until some server logs a line (the next
    /// step of a handshake, a sync, a timeout), in cron-sized steps, for at
    /// most `limit` ms; returns the virtual ms that passed.
    pub fn advance_to_next_event(&mut self, limit: Millis) -> Millis {
        self.wait(Until::NextLogLine, limit)
    }

    /// "Run until idle": lets virtual time pass until no server has work
    /// under way (a sync, a load, a save, a sleep; see
    /// `Server::has_work_in_progress`) and none has had for `quiet` ms,
    /// for at most `limit` ms; returns the virtual ms that passed. Pings,
    /// acks and retries of an absent master go on forever and do not count.
    pub fn advance_until_idle(&mut self, quiet: Millis, limit: Millis) -> Millis {
        self.wait(Until::Idle { quiet }, limit)
    }

    fn wait(&mut self, until: Until, limit: Millis) -> Millis {
        match self.apply(Step::Wait { until, limit }) {
            Ok(Applied::Waited { passed, .. }) => passed,
            _ => 0,
        }
    }

    /// Lets virtual time pass; blocked consoles print their answers.
    pub fn advance(&mut self, ms: Millis) {
        let _ = self.apply(Step::Sleep { ms });
    }

    /// The newest log lines of every node, oldest first.
    pub fn events(&self) -> Vec<EventView> {
        let lines: Vec<_> = self.sim().recent_log().collect();
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

    fn console_view(&self, port: u16, screen: &Screen) -> ConsoleView {
        let console = self.session.console(port);
        ConsoleView {
            prompt: console.map_or_else(|| format!("127.0.0.1:{port}> "), |c| c.prompt()),
            waiting: console.is_some_and(|c| c.is_waiting()),
            lines: Rc::clone(&screen.lines),
            history: Rc::clone(&screen.history),
        }
    }

    /// The servers, running or not, with their consoles.
    pub fn nodes(&self) -> Vec<NodeView> {
        let sim = self.sim();
        self.screens
            .iter()
            .filter(|(port, _)| !sim.is_sentinel(**port))
            .map(|(&port, screen)| {
                let server = sim.server(port);
                let master_port = server.and_then(|s| s.master_address()).map(|(_, m)| m);
                NodeView {
                    port,
                    up: server.is_some(),
                    role: match server {
                        None => Role::Down,
                        Some(s) if s.is_replica() => Role::Replica,
                        Some(_) => Role::Master,
                    },
                    keys: server.map_or(0, |s| s.key_count()),
                    loading: server.is_some_and(|s| s.is_loading()),
                    sync_progress: sim.transfer_progress(port),
                    has_dump: self.dump_file(port).is_some(),
                    master: server.and_then(local_master),
                    link: server.map_or(Link::None, |s| s.link_status()),
                    cut: master_port.is_some_and(|m| sim.is_cut(port, m)),
                    isolated: self.is_isolated(port),
                    latency: master_port.map_or(0, |m| sim.latency(port, m)),
                    lag: master_port.and_then(|m| sim.server(m)).and_then(|m| lag_of(m, port, sim.now())),
                    offset: server.map_or(0, |s| s.repl_offset()),
                    console: self.console_view(port, screen),
                }
            })
            .collect()
    }

    /// The Sentinels, running or not, with their consoles.
    pub fn sentinels(&self) -> Vec<SentinelView> {
        let sim = self.sim();
        self.screens
            .iter()
            .filter(|(port, _)| sim.is_sentinel(**port))
            .map(|(&port, screen)| {
                let watching = sim.sentinel(port).map(|s| s.watching()).unwrap_or_default();
                let cut = watching.first().is_some_and(|w| sim.is_cut(port, w.port));
                SentinelView { port, up: sim.sentinel_running(port), watching, cut, isolated: self.is_isolated(port), console: self.console_view(port, screen) }
            })
            .collect()
    }
}

impl crate::scenario::Taker for Playground {
    fn apply(&mut self, step: Step) -> Result<Applied, String> {
        Playground::apply(self, step)
    }

    fn session(&self) -> &Session {
        &self.session
    }
}

/// A line typed into a console goes into its history; `clear` empties
/// the screen, as in redis-cli.
fn remember(screen: &mut Screen, line: &str) {
    if !line.trim().is_empty() {
        let history = Rc::make_mut(&mut screen.history);
        if history.last().map(String::as_str) != Some(line) {
            history.push(line.to_string());
        }
        if history.len() > MAX_HISTORY {
            history.remove(0);
        }
    }
    if line.trim().eq_ignore_ascii_case("clear") {
        Rc::make_mut(&mut screen.lines).clear();
    }
}

/// Lines a console printed, onto its screen.
fn print(screen: &mut Screen, printed: Vec<Printed>) {
    if printed.is_empty() {
        return;
    }
    screen.printed += printed.len();
    let lines = Rc::make_mut(&mut screen.lines);
    for item in printed {
        let line = match item {
            Printed::Typed(text) => Line { kind: LineKind::Input, text },
            Printed::Line(text) if text.starts_with("(error) ") || text.starts_with("Could not connect") => Line { kind: LineKind::Error, text },
            Printed::Line(text) => Line { kind: LineKind::Output, text },
        };
        lines.push(line);
    }
    if lines.len() > MAX_LINES {
        lines.drain(..lines.len() - MAX_LINES);
    }
}
