//! `bridge [SCENARIO.scn] [--control PORT] [--speed X] [--seed N] [--quiet] [--logdir DIR]`:
//! the scenario's cluster in the simulator, every server and Sentinel
//! listening on its own port of 127.0.0.1 for real clients (redis-cli,
//! redis-benchmark, client libraries, Redis's own test suite), with
//! virtual time following the wall clock.
//!
//! The scenario runs first, as the scenario runner runs it (its transcript
//! is printed); then the nodes listen. Steps can be taken while it runs:
//! lines on stdin, or on the control port, are scenario steps (`crash
//! 6379`, `cut 6379 6380`, ...) plus `speed`, `pause`, `nodes`, `quit`;
//! each answer ends with a line `ok` or `error: WHY`.
//!
//! Only this binary uses tokio (one thread): the engine stays sans-IO.

mod clock;
mod cluster;
mod net;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use redis_playground::scenario::{self, RunOptions, MAX_SCENARIO_BYTES};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use cluster::{Bridge, LogSink};
use net::Event;

const USAGE: &str = "usage: bridge [SCENARIO.scn] [--control PORT] [--speed X] [--seed N] [--quiet] [--logdir DIR]";

/// Without a scenario: one server, as `redis-server` alone gives.
const DEFAULT_SCENARIO: &str = "server 6379\n";

/// How many events may wait for the loop before sockets stop reading.
const EVENT_QUEUE: usize = 4096;

struct Args {
    scenario: Option<PathBuf>,
    control: Option<u16>,
    speed: f64,
    seed: Option<u64>,
    quiet: bool,
    logdir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { scenario: None, control: None, speed: 1.0, seed: None, quiet: false, logdir: None };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = |name: &str| words.next().ok_or_else(|| format!("{name} needs a value"));
        match word.as_str() {
            "--control" => args.control = Some(value("--control")?.parse().map_err(|_| "--control takes a port".to_string())?),
            "--speed" => {
                args.speed = value("--speed")?.parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.0).ok_or("--speed takes a number, 0 or more")?
            }
            "--seed" => args.seed = Some(value("--seed")?.parse().map_err(|_| "--seed takes a number".to_string())?),
            "--logdir" => args.logdir = Some(PathBuf::from(value("--logdir")?)),
            "--quiet" => args.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            _ if args.scenario.is_none() && !word.starts_with("--") => args.scenario = Some(PathBuf::from(word)),
            _ => return Err(format!("unexpected argument '{word}'")),
        }
    }
    Ok(args)
}

fn wall_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) if why.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("bridge: {why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let source = match &args.scenario {
        None => DEFAULT_SCENARIO.to_string(),
        Some(path) => match std::fs::metadata(path).and_then(|m| {
            if m.len() as usize > MAX_SCENARIO_BYTES {
                Err(std::io::Error::other(format!("larger than {MAX_SCENARIO_BYTES} bytes")))
            } else {
                std::fs::read_to_string(path)
            }
        }) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("bridge: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
    };
    let options = RunOptions { seed: args.seed.unwrap_or(1), start: wall_clock_ms(), ..RunOptions::default() };
    let run = match scenario::parse(&source).and_then(|lines| scenario::run_session(&lines, options)) {
        Ok(run) => run,
        Err(e) => {
            let name = args.scenario.as_ref().map_or("the scenario".to_string(), |p| p.display().to_string());
            eprintln!("bridge: {name}: {e}");
            return ExitCode::from(1);
        }
    };
    if !args.quiet {
        for line in &run.transcript {
            println!("{line}");
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bridge: cannot start its event loop: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(run.session, args))
}

async fn serve(session: redis_playground::session::Session, args: Args) -> ExitCode {
    let (events, receiver) = mpsc::channel(EVENT_QUEUE);
    let logs = LogSink { stdout: !args.quiet, dir: args.logdir.clone() };
    let mut bridge = Bridge::new(session, args.speed, wall_clock_ms(), events.clone(), logs);
    let failed = bridge.listen_all();
    if !failed.is_empty() {
        for (port, why) in failed {
            eprintln!("bridge: cannot listen on 127.0.0.1:{port}: {why}");
        }
        return ExitCode::from(1);
    }
    if let Some(port) = args.control {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => {
                tokio::spawn(control_port(listener, events.clone()));
            }
            Err(e) => {
                eprintln!("bridge: cannot listen for control on 127.0.0.1:{port}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    tokio::spawn(control_stdin(events.clone()));
    tokio::spawn(stop_on_signal(events.clone()));
    for line in bridge.describe() {
        println!("bridge: {line}");
    }
    if let Some(port) = args.control {
        println!("bridge: control on 127.0.0.1:{port}");
    }
    println!("bridge: ready");
    bridge.run(receiver).await;
    ExitCode::SUCCESS
}

/// Asks the loop to take a control line; its answer.
async fn ask(events: &mpsc::Sender<Event>, line: String) -> Option<Vec<String>> {
    let (answer, answered) = oneshot::channel();
    events.send(Event::Control { line, answer }).await.ok()?;
    answered.await.ok()
}

async fn control_stdin(events: mpsc::Sender<Event>) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    // At the end of stdin (a bridge started in the background) the control
    // port and signals remain.
    while let Ok(Some(line)) = lines.next_line().await {
        let Some(answer) = ask(&events, line).await else { return };
        let mut stdout = tokio::io::stdout();
        for line in answer {
            let _ = stdout.write_all(format!("{line}\n").as_bytes()).await;
        }
        let _ = stdout.flush().await;
    }
}

/// The longest control line read (a scenario step with its directives).
const MAX_CONTROL_LINE: usize = 64 * 1024;

async fn control_port(listener: tokio::net::TcpListener, events: mpsc::Sender<Event>) {
    while let Ok((stream, _)) = listener.accept().await {
        let events = events.clone();
        tokio::spawn(async move {
            let (reader, mut writer) = stream.into_split();
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                let read = (&mut reader).take(MAX_CONTROL_LINE as u64).read_until(b'\n', &mut line).await;
                match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) if !line.ends_with(b"\n") && line.len() >= MAX_CONTROL_LINE => {
                        let _ = writer.write_all(b"error: line too long\n").await;
                        return;
                    }
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string();
                let Some(answer) = ask(&events, text).await else { return };
                let mut bytes = Vec::new();
                for line in answer {
                    bytes.extend_from_slice(line.as_bytes());
                    bytes.push(b'\n');
                }
                if writer.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn stop_on_signal(events: mpsc::Sender<Event>) {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
    let _ = events.send(Event::Stop).await;
}
