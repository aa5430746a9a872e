//! The bridge's loop: one session (the simulated cluster) that owns every
//! node, fed by the sockets' events, with virtual time kept up with the
//! wall clock. Each TCP connection is a client connection of its node in
//! the simulator: its bytes go in as they come, whatever the node writes
//! to it goes out, and when the node closes it the socket closes. Nothing
//! here answers for a node.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis_playground::engine::log::log_stamp;
use redis_playground::scenario::take_step;
use redis_playground::session::{step, Printed, Session, Step};
use redis_playground::sim::{ClientHandle, Program};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::net::{self, Event};

/// How long the loop sleeps at most when nothing is due (it wakes for
/// sockets at once).
const IDLE_WAKE: Duration = Duration::from_millis(50);
/// Events taken in one batch before time and replies are looked at again.
const BATCH: usize = 512;
/// A port the bridge could not listen on is tried again this often.
const BIND_RETRY: Duration = Duration::from_secs(1);
/// A connection its node closed gets this long to write its last replies.
const LINGER: Duration = Duration::from_secs(2);
/// The newest trace events kept: the bridge runs for hours.
const TRACE_KEEP: usize = 10_000;

struct Connection {
    handle: ClientHandle,
    replies: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes handed to the socket's task and not written yet.
    unwritten: Arc<AtomicUsize>,
    /// Tells the socket's task its last bytes were run (it may read more).
    processed: Arc<tokio::sync::Notify>,
    task: JoinHandle<()>,
}

impl Connection {
    fn hand_over(&self, bytes: Vec<u8>) {
        self.unwritten.fetch_add(bytes.len(), Ordering::AcqRel);
        let _ = self.replies.send(bytes);
    }
}

/// Where the nodes' log lines go.
pub struct LogSink {
    /// Printed to stdout as `PORT:ROLE date LEVEL text`.
    pub stdout: bool,
    /// Written to `DIR/PORT/redis.log` as redis-server writes its logfile.
    pub dir: Option<PathBuf>,
}

pub struct Bridge {
    session: Session,
    clock: Clock,
    conns: BTreeMap<u64, Connection>,
    next_conn: u64,
    listeners: BTreeMap<u16, JoinHandle<()>>,
    bind_failed: BTreeMap<u16, Instant>,
    events: mpsc::Sender<Event>,
    logs: LogSink,
    log_lines_seen: u64,
    stopping: bool,
}

impl Bridge {
    /// `wall_clock_ms`: Unix time now. At real speed, virtual time is Unix
    /// time (clients compare it with their own clock: EXPIREAT, GETEX
    /// PXAT), unless the scenario's waits took it further ahead.
    pub fn new(mut session: Session, speed: f64, wall_clock_ms: i64, events: mpsc::Sender<Event>, logs: LogSink) -> Bridge {
        session.limit_trace(TRACE_KEEP);
        let behind = wall_clock_ms - session.sim().now();
        if behind > 0 {
            let _ = session.apply(Step::Sleep { ms: behind });
        }
        let clock = Clock::new(session.sim().now(), speed);
        let log_lines_seen = session.sim().log_lines_written();
        Bridge {
            session,
            clock,
            conns: BTreeMap::new(),
            next_conn: 1,
            listeners: BTreeMap::new(),
            bind_failed: BTreeMap::new(),
            events,
            logs,
            log_lines_seen,
            stopping: false,
        }
    }

    /// Binds the listeners of every running node; the ports it could not
    /// have, with why.
    pub fn listen_all(&mut self) -> Vec<(u16, String)> {
        let mut failed = Vec::new();
        for port in self.session.sim().ports().collect::<Vec<_>>() {
            if let Err(e) = self.listen(port) {
                failed.push((port, e));
            }
        }
        failed
    }

    /// The running nodes, as the control surface's `nodes` lists them.
    pub fn describe(&self) -> Vec<String> {
        let sim = self.session.sim();
        sim.all_machine_ports()
            .into_iter()
            .map(|port| {
                let program = match sim.program_of(port) {
                    Some(Program::RedisSentinel) => "redis-sentinel",
                    _ => "redis-server",
                };
                let state = if !sim.is_up(port) {
                    "down"
                } else if self.listeners.contains_key(&port) {
                    "listening"
                } else {
                    "up, port unavailable"
                };
                format!("127.0.0.1:{port} {program} {state}")
            })
            .collect()
    }

    pub async fn run(mut self, mut events: mpsc::Receiver<Event>) {
        loop {
            self.catch_up();
            self.sync_listeners();
            self.flush();
            self.write_logs();
            self.print_consoles();
            if self.stopping {
                return;
            }
            let wake = self.next_wake();
            let event = tokio::select! {
                event = events.recv() => event,
                _ = tokio::time::sleep_until(wake.into()) => continue,
            };
            let Some(event) = event else { return };
            self.catch_up();
            self.handle(event);
            for _ in 0..BATCH {
                match events.try_recv() {
                    Ok(event) => self.handle(event),
                    Err(_) => break,
                }
            }
        }
    }

    /// When the loop must look again: the simulator's next event in wall
    /// time, or a little later when nothing is due.
    fn next_wake(&self) -> Instant {
        let idle = Instant::now() + IDLE_WAKE;
        let due = self.session.sim().next_event_at().and_then(|at| self.clock.wall_at(at));
        due.map_or(idle, |at| at.min(idle))
    }

    /// Lets virtual time pass up to where the wall clock says it is.
    fn catch_up(&mut self) {
        let target = self.clock.virtual_at(Instant::now());
        let now = self.session.sim().now();
        if target > now {
            let _ = self.session.apply(Step::Sleep { ms: target - now });
        } else if now > target {
            // A step jumped ahead (a wait on the control surface): go on from there.
            self.clock.rebase(now);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Accepted { port, stream } => {
                let Some(handle) = self.session.sim_mut().connect(port) else { return };
                let conn = self.next_conn;
                self.next_conn += 1;
                let (replies, outgoing) = mpsc::unbounded_channel();
                let unwritten = Arc::new(AtomicUsize::new(0));
                let processed = Arc::new(tokio::sync::Notify::new());
                let task = net::serve(conn, stream, self.events.clone(), outgoing, unwritten.clone(), processed.clone());
                self.conns.insert(conn, Connection { handle, replies, unwritten, processed, task });
            }
            Event::Bytes { conn, bytes } => {
                if let Some(c) = self.conns.get(&conn) {
                    self.session.sim_mut().send(c.handle, &bytes);
                    c.processed.notify_one();
                }
            }
            Event::Closed { conn } => {
                if let Some(c) = self.conns.remove(&conn) {
                    let sim = self.session.sim_mut();
                    if sim.is_open(c.handle) {
                        sim.close(c.handle);
                    } else {
                        sim.forget(c.handle);
                    }
                }
            }
            // The loop flushes after every batch of events.
            Event::Drained => {}
            Event::Control { line, answer } => {
                let lines = self.control(line.trim());
                // A node the step started answers as soon as the step is done.
                self.sync_listeners();
                self.flush();
                let _ = answer.send(lines);
            }
            Event::Stop => self.stopping = true,
        }
    }

    /// Whatever the nodes wrote goes to the sockets, a connection at a time
    /// as each socket takes it: while a client does not read, its replies
    /// wait in its node's output buffer (where `client-output-buffer-limit`
    /// sees them). Connections the nodes closed (or whose node died) close
    /// after their last bytes.
    fn flush(&mut self) {
        let sim = self.session.sim_mut();
        let mut closed = Vec::new();
        for (&conn, c) in &self.conns {
            let open = sim.is_open(c.handle);
            if !open || c.unwritten.load(Ordering::Acquire) == 0 {
                let bytes = sim.take_inbox(c.handle);
                if !bytes.is_empty() {
                    c.hand_over(bytes);
                }
            }
            if !open {
                closed.push(conn);
            }
        }
        for conn in closed {
            if let Some(c) = self.conns.remove(&conn) {
                sim.forget(c.handle);
                drop(c.replies);
                // A client that never reads would keep its socket forever.
                let task = c.task.abort_handle();
                tokio::spawn(async move {
                    tokio::time::sleep(LINGER).await;
                    task.abort();
                });
            }
        }
    }

    /// A listener for every running node, none for the others (a client
    /// of a crashed node is refused, as it would be).
    fn sync_listeners(&mut self) {
        let running: Vec<u16> = self.session.sim().ports().collect();
        let gone: Vec<u16> = self.listeners.keys().copied().filter(|p| !running.contains(p)).collect();
        for port in gone {
            if let Some(task) = self.listeners.remove(&port) {
                task.abort();
            }
        }
        for port in running {
            if self.listeners.contains_key(&port) || self.bind_failed.get(&port).is_some_and(|at| at.elapsed() < BIND_RETRY) {
                continue;
            }
            if let Err(e) = self.listen(port) {
                eprintln!("bridge: cannot listen on 127.0.0.1:{port}: {e}");
            }
        }
    }

    fn listen(&mut self, port: u16) -> Result<(), String> {
        match net::listen(port, self.events.clone()) {
            Ok(task) => {
                self.bind_failed.remove(&port);
                self.listeners.insert(port, task);
                Ok(())
            }
            Err(e) => {
                self.bind_failed.insert(port, Instant::now());
                Err(e.to_string())
            }
        }
    }

    /// The nodes' new log lines, where they were asked to go.
    fn write_logs(&mut self) {
        let sim = self.session.sim();
        let written = sim.log_lines_written();
        let new = (written - self.log_lines_seen) as usize;
        self.log_lines_seen = written;
        if new == 0 || (!self.logs.stdout && self.logs.dir.is_none()) {
            return;
        }
        let recent: Vec<_> = sim.recent_log().collect();
        let lines = &recent[recent.len().saturating_sub(new)..];
        let mut stdout = std::io::stdout().lock();
        for (port, line) in lines {
            let text = format!("{port}:{} {} {} {}", line.role, log_stamp(line.at), line.level, line.text);
            if self.logs.stdout {
                let _ = writeln!(stdout, "{text}");
            }
            if let Some(dir) = &self.logs.dir {
                let folder = dir.join(port.to_string());
                let appended = std::fs::create_dir_all(&folder).and_then(|_| {
                    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(folder.join("redis.log"))?;
                    writeln!(file, "{text}")
                });
                if let Err(e) = appended {
                    eprintln!("bridge: cannot write the log of {port} into {}: {e}", folder.display());
                }
            }
        }
        let _ = stdout.flush();
    }

    /// What the bridge's own consoles (the control surface's `PORT>` lines)
    /// printed since: messages to one reading pub/sub, a blocked command's
    /// answer. Printed with the logs, never kept.
    fn print_consoles(&mut self) {
        let mut out = Vec::new();
        for port in self.session.console_ports() {
            for printed in self.session.take_printed(port) {
                let (Printed::Typed(line) | Printed::Line(line)) = printed;
                out.push(line);
            }
        }
        if self.logs.stdout && !out.is_empty() {
            let mut stdout = std::io::stdout().lock();
            for line in out {
                let _ = writeln!(stdout, "{line}");
            }
            let _ = stdout.flush();
        }
    }

    /// One line of the control surface; the answer's lines end with `ok`
    /// or `error: WHY`. Any scenario step is taken as a scenario takes it,
    /// and answers the lines its transcript would print.
    pub fn control(&mut self, line: &str) -> Vec<String> {
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match word {
            "" => vec!["ok".into()],
            "help" => HELP.lines().map(str::to_owned).chain(["ok".to_string()]).collect(),
            "nodes" => self.describe().into_iter().chain(["ok".to_string()]).collect(),
            "speed" => match rest.trim().parse::<f64>() {
                Ok(speed) if speed.is_finite() && speed >= 0.0 => {
                    self.clock.set_speed(speed, self.session.sim().now());
                    vec![format!("speed {}", self.clock.speed()), "ok".into()]
                }
                _ => vec![format!("error: 'speed' takes a number from 0 (paused) to {}", crate::clock::MAX_SPEED)],
            },
            "pause" => self.control("speed 0"),
            "quit" => {
                self.stopping = true;
                vec!["ok".into()]
            }
            _ => match step::parse(line) {
                Ok(step) => match take_step(&mut self.session, &step, line) {
                    Ok(mut printed) => {
                        printed.push("ok".into());
                        printed
                    }
                    Err(why) => vec![format!("error: {why}")],
                },
                Err(why) => vec![format!("error: {why}")],
            },
        }
    }
}

const HELP: &str = "\
Any scenario step (SCENARIO.md), e.g.:
  server 6381 replicaof 127.0.0.1 6379
  crash 6379 | restart 6379 | cut 6379 6380 | heal 6379 6380
  isolate 6379 | rejoin 6379 | latency 6379 6380 50ms
  6379> SET k v        (typed into the bridge's own redis-cli session)
  sleep 2s | waitsync 6380   (virtual time jumps ahead)
speed X   virtual ms per real ms (0 pauses; 1 is real time)
pause     speed 0
nodes     each node, its program and whether it listens
quit      stop the bridge";
