//! A session: the simulator, the redis-cli consoles typed into it, and
//! every step taken, in order, with its virtual time. A session is its
//! seed plus its steps: `replay` rebuilds it to the identical trace. The
//! scenario runner and the page both go through `apply`; one `wait`
//! serves `waitsync`, loading, blocked commands and the page's "next
//! event" and "run until idle".

pub mod console;
pub mod step;
pub mod writer;

use std::collections::BTreeMap;

use crate::engine::node::{Conn, Output};
use crate::engine::time::Millis;
use crate::sim::{Program, Sim, SimError};
use console::Console;
use writer::Writer;
pub use step::{Step, Until};

/// What consoles print, in order: a line typed at its prompt, or a line
/// of output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Printed {
    Typed(String),
    Line(String),
}

/// How the session's consoles behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The page's consoles show `not connected>` as soon as the node
    /// closes their connection; redis-cli (and a transcript) finds out
    /// only with the next command.
    pub notice_closes: bool,
    /// Keep only about this many of the newest trace events.
    pub trace_limit: Option<usize>,
    /// Each server's memory guard (`Server::set_memory_guard`).
    pub memory_guard: Option<u64>,
}

impl Options {
    /// As redis-cli in a terminal, keeping the whole trace (transcripts, tests).
    pub const TRANSCRIPT: Options = Options { notice_closes: false, trace_limit: None, memory_guard: None };
}

/// What a step gave besides its effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// A wait: how long it waited, and whether what it waited for holds.
    Waited { passed: Millis, met: bool },
}

#[derive(Clone)]
struct Terminal {
    console: Console,
    printed: Vec<Printed>,
}

#[derive(Clone)]
pub struct Session {
    sim: Sim,
    seed: u64,
    start: Millis,
    options: Options,
    terminals: BTreeMap<u16, Terminal>,
    steps: Vec<(Millis, Step)>,
    /// The writing client (`writer`), and whether it still writes.
    writer: Option<Writer>,
    writing: bool,
}

/// How often a wait looks again.
enum Cadence {
    Every(Millis),
    /// At each next event of the simulation.
    NextEvent,
}

impl Session {
    pub fn new(seed: u64, start: Millis, options: Options) -> Session {
        let mut sim = Sim::new(seed, start);
        if let Some(keep) = options.trace_limit {
            sim.limit_trace(keep);
        }
        sim.set_memory_guard(options.memory_guard);
        Session { sim, seed, start, options, terminals: BTreeMap::new(), steps: Vec::new(), writer: None, writing: false }
    }

    /// A session rebuilt from its seed and steps: the same trace, the same
    /// consoles. Steps that failed when they were taken fail again here.
    pub fn replay(seed: u64, start: Millis, options: Options, steps: impl IntoIterator<Item = Step>) -> Session {
        let mut session = Session::new(seed, start, options);
        for step in steps {
            let _ = session.apply(step);
        }
        session
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The simulator, for clients that are not the session's steps (the
    /// bridge's sockets): what they send is not replayed from the steps.
    pub fn sim_mut(&mut self) -> &mut Sim {
        &mut self.sim
    }

    /// Keeps only about this many of the newest trace events from now on
    /// (a long-lived bridge).
    pub fn limit_trace(&mut self, keep: usize) {
        self.sim.limit_trace(keep);
    }

    /// A copy to rewind to, without the trace's events (see `Sim::checkpoint`).
    pub fn checkpoint(&self) -> Session {
        Session {
            sim: self.sim.checkpoint(),
            seed: self.seed,
            start: self.start,
            options: self.options,
            terminals: self.terminals.clone(),
            steps: self.steps.clone(),
            writer: self.writer.clone(),
            writing: self.writing,
        }
    }

    /// A session rebuilt from a checkpoint takes back the trace events
    /// from before it from `later`, the same session gone further.
    pub fn restore_trace(&mut self, later: &Session) {
        self.sim.restore_trace(&later.sim);
    }

    /// The simulator, as the session left it.
    pub fn into_sim(self) -> Sim {
        self.sim
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn start(&self) -> Millis {
        self.start
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// Every step taken, with the virtual time it was taken at.
    pub fn steps(&self) -> &[(Millis, Step)] {
        &self.steps
    }

    /// The console of a port, once it was opened.
    pub fn console(&self, port: u16) -> Option<&Console> {
        self.terminals.get(&port).map(|t| &t.console)
    }

    /// The ports with a console, in order.
    pub fn console_ports(&self) -> Vec<u16> {
        self.terminals.keys().copied().collect()
    }

    /// What a console printed since the last call.
    pub fn take_printed(&mut self, port: u16) -> Vec<Printed> {
        self.terminals.get_mut(&port).map(|t| std::mem::take(&mut t.printed)).unwrap_or_default()
    }

    /// Output left without a newline when the session ends, console by console.
    pub fn flush_consoles(&mut self) -> Vec<String> {
        self.terminals.values_mut().filter_map(|t| t.console.flush()).collect()
    }

    /// What a one-off `redis-cli -p PORT LINE` would print now, worked out
    /// on a copy of the node so that the session is untouched (no step, no
    /// trace, no client id taken): how scenario checks look at a cluster.
    pub fn probe(&self, port: u16, line: &str) -> Result<Vec<String>, String> {
        let now = self.sim.now();
        let mut process = self.sim.process(port).cloned().ok_or_else(|| format!("Could not connect to Redis at 127.0.0.1:{port}: Connection refused"))?;
        let args = crate::engine::cli::split_args(line.as_bytes()).map_err(|_| "Invalid argument(s)".to_string())?;
        if args.is_empty() {
            return Ok(Vec::new());
        }
        let node = process.node();
        let client = node.accept(now);
        let mut bytes = Vec::new();
        crate::engine::resp::encode_command(&args, &mut bytes);
        node.handle_input(Conn::Client(client), &bytes, now);
        let mut reply = Vec::new();
        while let Some(output) = node.poll_output() {
            if let Output::Send { conn: Conn::Client(id), bytes } = output {
                if id == client {
                    reply.extend_from_slice(&bytes);
                }
            }
        }
        match crate::engine::resp::parse_frame(&reply) {
            Ok(Some((frame, _))) => Ok(crate::engine::cli::reply_lines(&args, &frame)),
            _ => Err("no reply (the command blocks)".to_string()),
        }
    }

    /// Takes a step: it is recorded with its time (in the list and the
    /// trace) whether it succeeds or not, so a replay goes the same way.
    /// Sleeps in a row are one sleep (the page sleeps a little at every
    /// frame), and leave no mark in the trace but the time they let pass.
    pub fn apply(&mut self, step: Step) -> Result<Applied, String> {
        let at = self.sim.now();
        if !matches!(step, Step::Sleep { .. }) {
            self.sim.record_step(&step.to_string());
        }
        let outcome = self.run(&step);
        match (self.steps.last_mut(), &step) {
            (Some((_, Step::Sleep { ms: before })), Step::Sleep { ms }) => *before += ms,
            _ => self.steps.push((at, step)),
        }
        self.poll_consoles();
        outcome
    }

    fn run(&mut self, step: &Step) -> Result<Applied, String> {
        let sim_error = |e: SimError| e.to_string();
        match step {
            Step::Server { port, config } => self.sim.start_server(*port, config).map_err(sim_error)?,
            Step::Sentinel { port, config } => self.sim.start_sentinel(*port, config).map_err(sim_error)?,
            Step::Machine { port, program, config } => self.sim.add_machine(*port, *program, config).map_err(sim_error)?,
            Step::File { port, path, bytes } => {
                let disk = self.sim.disk_mut(*port).ok_or_else(|| format!("There is no server on port {port}."))?;
                disk.write(path, bytes.clone());
            }
            Step::Config { port, config } => match self.sim.program_of(*port) {
                Some(Program::RedisSentinel) => self.sim.set_sentinel_config_lines(*port, config).map_err(sim_error)?,
                _ => self.sim.set_config_lines(*port, config).map_err(sim_error)?,
            },
            Step::Remove { port } => {
                self.terminals.remove(port);
                self.sim.remove_server(*port).map_err(sim_error)?;
            }
            Step::Connect { port } => {
                let console = Console::open(&mut self.sim, *port);
                self.terminals.insert(*port, Terminal { console, printed: Vec::new() });
            }
            Step::Command { port, line } => self.type_line(*port, line),
            Step::Interrupt { port } => self.interrupt(*port),
            Step::Sleep { ms } => self.advance(*ms),
            Step::Wait { until, limit } => return Ok(self.wait(until, *limit)),
            Step::Crash { port } => self.sim.crash(*port).map_err(sim_error)?,
            Step::Restart { port } => self.sim.restart(*port).map_err(sim_error)?,
            Step::Cut { a, b } => self.sim.cut(*a, *b),
            Step::Heal { a, b } => self.sim.heal(*a, *b),
            Step::Latency { a, b, ms } => self.sim.set_latency(*a, *b, *ms),
            Step::Isolate { port } => {
                for other in self.others(*port) {
                    self.sim.cut(*port, other);
                }
            }
            Step::Explain { .. } => {}
            Step::Writer { port, every } => {
                self.writer = Some(Writer::new(*port, *every, self.sim.now()));
                self.writing = true;
                self.tick_writer();
            }
            Step::WriterStop => self.writing = false,
            Step::Writes => {}
            Step::Rejoin { port } => {
                for other in self.others(*port) {
                    self.sim.heal(*port, other);
                }
            }
        }
        Ok(Applied::Done)
    }

    /// Every other machine on the network.
    fn others(&self, port: u16) -> Vec<u16> {
        self.sim.all_machine_ports().into_iter().filter(|&p| p != port).collect()
    }

    /// A line typed into a port's console (opened now if it was not, as
    /// running `redis-cli -p PORT` does).
    fn type_line(&mut self, port: u16, line: &str) {
        let sim = &mut self.sim;
        let terminal = self.terminals.entry(port).or_insert_with(|| Terminal { console: Console::open(sim, port), printed: Vec::new() });
        let exchange = terminal.console.run(sim, line);
        terminal.printed.push(Printed::Typed(exchange.prompt_line));
        terminal.printed.extend(exchange.output.into_iter().map(Printed::Line));
    }

    /// Ctrl-C: stops a blocked command or message reading.
    fn interrupt(&mut self, port: u16) {
        let Some(terminal) = self.terminals.get_mut(&port) else { return };
        if !terminal.console.is_waiting() {
            return;
        }
        let output = terminal.console.interrupt(&mut self.sim);
        terminal.printed.extend(output.into_iter().map(Printed::Line));
        terminal.printed.push(Printed::Line("^C".to_string()));
    }

    /// Consoles waiting for something print what arrived; the page's
    /// consoles notice a connection the node closed.
    fn poll_consoles(&mut self) {
        for terminal in self.terminals.values_mut() {
            if self.options.notice_closes {
                terminal.console.notice_closed(&self.sim);
            }
            if terminal.console.is_waiting() {
                if let Some(output) = terminal.console.poll(&mut self.sim) {
                    terminal.printed.extend(output.into_iter().map(Printed::Line));
                }
            }
        }
    }

    /// Lets virtual time pass; consoles look at what arrived at every
    /// instant something happened, as a redis-cli blocked on its socket does.
    fn advance(&mut self, ms: Millis) {
        let until = self.sim.now() + ms.max(0);
        loop {
            // The writing client's next write is a moment of its own.
            let due = self.writer.as_ref().filter(|_| self.writing).map(|w| w.next_at()).filter(|&at| at <= until);
            let stop = due.unwrap_or(until);
            while self.sim.step_until(stop) {
                self.poll_consoles();
            }
            self.sim.advance(stop - self.sim.now());
            match due {
                Some(_) => self.tick_writer(),
                None => break,
            }
            if stop == until {
                break;
            }
        }
        if let Some(writer) = self.writer.as_mut() {
            writer.read(&mut self.sim);
        }
    }

    /// The writing client: replies read, the next write sent if due.
    fn tick_writer(&mut self) {
        if let Some(writer) = self.writer.as_mut() {
            writer.read(&mut self.sim);
            if self.writing {
                writer.tick(&mut self.sim);
            }
        }
    }

    /// The writing client and what became of its writes.
    pub fn writer(&self) -> Option<&Writer> {
        self.writer.as_ref()
    }

    /// Lets time pass until `until` holds, at most `limit` ms.
    fn wait(&mut self, until: &Until, limit: Millis) -> Applied {
        let lines_before = self.sim.log_lines_written();
        let mut quiet_for: Millis = 0;
        let mut passed: Millis = 0;
        loop {
            let met = match until {
                Until::LinkUp(port) => self.sim.link_up(*port),
                Until::Loaded(port) => !self.sim.server(*port).is_some_and(|s| s.is_loading()),
                Until::AllLoaded => !self.sim.ports().any(|p| self.sim.server(p).is_some_and(|s| s.is_loading())),
                Until::Answered(port) => !self.console(*port).is_some_and(|c| c.is_blocked()),
                Until::NextLogLine => self.sim.log_lines_written() > lines_before,
                Until::Idle { quiet } => quiet_for >= *quiet,
            };
            if met || passed >= limit {
                return Applied::Waited { passed, met };
            }
            let step = match Self::cadence(until) {
                Cadence::Every(ms) => ms.min(limit - passed),
                Cadence::NextEvent => match self.sim.next_event_at().filter(|&at| at - self.sim.now() <= limit - passed) {
                    Some(at) => (at - self.sim.now()).max(1),
                    None => return Applied::Waited { passed, met: false },
                },
            };
            self.advance(step);
            passed += step;
            if let Until::Idle { .. } = until {
                quiet_for = if self.busy() { 0 } else { quiet_for + step };
            }
        }
    }

    fn cadence(until: &Until) -> Cadence {
        match until {
            // The recorder polls a loading server with PING.
            Until::Loaded(_) => Cadence::Every(10),
            Until::LinkUp(_) | Until::NextLogLine | Until::Idle { .. } => Cadence::Every(100),
            Until::AllLoaded | Until::Answered(_) => Cadence::NextEvent,
        }
    }

    /// Whether some node has work under way that ends on its own (see
    /// `Server::has_work_in_progress`), or a snapshot is on its way.
    fn busy(&self) -> bool {
        self.sim.ports().any(|p| self.sim.server(p).is_some_and(|s| s.has_work_in_progress()) || self.sim.transfer_progress(p).is_some())
    }
}
