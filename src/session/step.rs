//! What can happen to a session, as values: every step the scenario
//! format, the page and the simulator's callers take. A session is its
//! seed plus its list of steps; each step has a one-line text form (the
//! scenario format, SCENARIO.md and README.md), which `parse` reads back.

use std::fmt;

use crate::engine::config::Config;
use crate::engine::disk::{base64_decode, base64_encode};
use crate::engine::time::Millis;
use crate::sim::Program;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Start a server with these `redis.conf` lines (an empty disk, or the
    /// files already on its machine).
    Server { port: u16, config: Vec<String> },
    /// Start a Sentinel with these `sentinel.conf` lines.
    Sentinel { port: u16, config: Vec<String> },
    /// A machine with its program and config file, not started (a saved
    /// page brought back; `file` puts its disk back, `restart` starts it).
    Machine { port: u16, program: Program, config: Vec<String> },
    /// A file on a machine's disk (an uploaded dump, a saved disk).
    File { port: u16, path: String, bytes: Vec<u8> },
    /// A machine's config file replaced, for its next start.
    Config { port: u16, config: Vec<String> },
    /// The machine taken away (its process dies first).
    Remove { port: u16 },
    /// Open the console to that node (the page does it for every node).
    Connect { port: u16 },
    /// A line typed into that port's redis-cli session (a drag on the
    /// graph is the REPLICAOF it types).
    Command { port: u16, line: String },
    /// Ctrl-C in that console.
    Interrupt { port: u16 },
    Sleep { ms: Millis },
    /// Let time pass until something holds, at most `limit` ms.
    Wait { until: Until, limit: Millis },
    Crash { port: u16 },
    Restart { port: u16 },
    Cut { a: u16, b: u16 },
    Heal { a: u16, b: u16 },
    /// A one-way delay on the link between two nodes (0: none).
    Latency { a: u16, b: u16, ms: Millis },
    /// Cut a node off from every other one / let it rejoin them all.
    Isolate { port: u16 },
    Rejoin { port: u16 },
    /// Why that replica's latest (re)connection was continued or fully
    /// resynchronized (the transcript prints it; nothing changes).
    Explain { port: u16 },
    /// A client from outside the network writes `SET w:N N` to that node
    /// every `every` ms (see `writer.rs`).
    Writer { port: u16, every: Millis },
    /// The writing client stops.
    WriterStop,
    /// What became of the writing client's writes: the transcript prints
    /// how many were acknowledged or refused, and which acknowledged ones
    /// the master now lacks (nothing changes).
    Writes,
}

/// What a wait waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Until {
    /// The replica's link to its master is up (`waitsync`).
    LinkUp(u16),
    /// The server has loaded its dump (it answers LOADING until then).
    Loaded(u16),
    /// No server is loading a dump.
    AllLoaded,
    /// The console's blocked command got its answer.
    Answered(u16),
    /// Some node logged a line.
    NextLogLine,
    /// No node has had work under way (a sync, a load, a save, a sleep)
    /// for `quiet` ms.
    Idle { quiet: Millis },
}

/// How long the scenario format's waits wait at most.
pub const WAITSYNC_LIMIT_MS: Millis = 60_000;
pub const LOAD_LIMIT_MS: Millis = 600_000;
pub const ANSWER_LIMIT_MS: Millis = 60_000;
pub const NEXT_EVENT_LIMIT_MS: Millis = 60_000;
pub const IDLE_LIMIT_MS: Millis = 600_000;
pub const IDLE_QUIET_MS: Millis = 2_000;

impl Until {
    /// The limit its text form implies.
    pub fn default_limit(&self) -> Millis {
        match self {
            Until::LinkUp(_) => WAITSYNC_LIMIT_MS,
            Until::Loaded(_) | Until::AllLoaded => LOAD_LIMIT_MS,
            Until::Answered(_) => ANSWER_LIMIT_MS,
            Until::NextLogLine => NEXT_EVENT_LIMIT_MS,
            Until::Idle { .. } => IDLE_LIMIT_MS,
        }
    }
}

impl Step {
    /// A wait with the limit its text form implies.
    pub fn wait(until: Until) -> Step {
        let limit = until.default_limit();
        Step::Wait { until, limit }
    }
}

fn directives(lines: &[String]) -> String {
    lines.join(" ; ")
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |word: &str, port: &u16, config: &[String]| {
            if config.is_empty() {
                format!("{word} {port}")
            } else {
                format!("{word} {port} {}", directives(config))
            }
        };
        match self {
            Step::Server { port, config } => f.write_str(&with("server", port, config)),
            Step::Sentinel { port, config } => f.write_str(&with("sentinel", port, config)),
            Step::Machine { port, program, config } => {
                let name = match program {
                    Program::RedisServer => "server",
                    Program::RedisSentinel => "sentinel",
                };
                write!(f, "machine {port} {name}")?;
                if !config.is_empty() {
                    write!(f, " {}", directives(config))?;
                }
                Ok(())
            }
            // An empty file has no data word (an empty word would not read back).
            Step::File { port, path, bytes } if bytes.is_empty() => write!(f, "file {port} {}", base64_encode(path.as_bytes())),
            Step::File { port, path, bytes } => write!(f, "file {port} {} {}", base64_encode(path.as_bytes()), base64_encode(bytes)),
            Step::Config { port, config } => f.write_str(&with("config", port, config)),
            Step::Remove { port } => write!(f, "remove {port}"),
            Step::Connect { port } => write!(f, "connect {port}"),
            Step::Command { port, line } => write!(f, "{port}> {line}"),
            Step::Interrupt { port } => write!(f, "interrupt {port}"),
            Step::Sleep { ms } => write!(f, "sleep {ms}ms"),
            Step::Wait { until, limit } => {
                let text = match until {
                    Until::LinkUp(port) => format!("waitsync {port}"),
                    Until::Loaded(port) => format!("wait loaded {port}"),
                    Until::AllLoaded => "wait loaded".to_string(),
                    Until::Answered(port) => format!("wait answer {port}"),
                    Until::NextLogLine => "wait event".to_string(),
                    Until::Idle { quiet } => format!("wait idle {quiet}ms"),
                };
                if *limit == until.default_limit() {
                    f.write_str(&text)
                } else {
                    write!(f, "{text} within {limit}ms")
                }
            }
            Step::Crash { port } => write!(f, "crash {port}"),
            Step::Restart { port } => write!(f, "restart {port}"),
            Step::Cut { a, b } => write!(f, "cut {a} {b}"),
            Step::Heal { a, b } => write!(f, "heal {a} {b}"),
            Step::Latency { a, b, ms } => write!(f, "latency {a} {b} {ms}ms"),
            Step::Isolate { port } => write!(f, "isolate {port}"),
            Step::Rejoin { port } => write!(f, "rejoin {port}"),
            Step::Explain { port } => write!(f, "explain {port}"),
            Step::Writer { port, every } => write!(f, "writer {port} {every}ms"),
            Step::WriterStop => f.write_str("writer stop"),
            Step::Writes => f.write_str("writes"),
        }
    }
}

fn parse_port(word: &str) -> Result<u16, String> {
    match word.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("'{word}' is not a port (1-65535)")),
    }
}

/// `250ms`, `2s`, `1.5s`.
pub fn parse_duration(word: &str) -> Option<Millis> {
    let (number, scale) = if let Some(ms) = word.strip_suffix("ms") {
        (ms, 1.0)
    } else if let Some(s) = word.strip_suffix('s') {
        (s, 1000.0)
    } else {
        return None;
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let ms = (value * scale).round();
    (ms.is_finite() && ms <= 86_400_000.0 * 365.0).then_some(ms as Millis)
}

fn duration(word: &str) -> Result<Millis, String> {
    parse_duration(word).ok_or_else(|| format!("'{word}' is not a duration (e.g. 250ms, 2s, 1.5s)"))
}

/// Directives after the port, separated by ` ; `.
fn split_directives(rest: &str) -> Vec<String> {
    rest.split(" ; ").map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect()
}

/// `redis.conf` directives as redis-server checks them, and a `port` that
/// agrees with the step's.
fn server_directives(port: u16, rest: &str) -> Result<Vec<String>, String> {
    let config = split_directives(rest);
    let parsed = Config::parse(&config).map_err(|e| format!("bad directive '{}': {}", e.text, e.reason))?;
    if let Some(p) = parsed.get("port") {
        if p[0] != port.to_string() {
            return Err(format!("'port {}' contradicts the server's port {port}", p[0]));
        }
    }
    Ok(config)
}

const STEP_NAMES: &str = "server, sentinel, PORT> COMMAND, sleep, waitsync, wait, crash, restart, cut, heal, latency, isolate, rejoin, explain, writer, writes, config, connect, interrupt, remove, machine, file";

/// Reads a step from its text form (one scenario line, trimmed).
pub fn parse(text: &str) -> Result<Step, String> {
    // `PORT> COMMAND`
    if let Some((port, command)) = text.split_once('>') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            let port = parse_port(port)?;
            let line = command.strip_prefix(' ').unwrap_or(command);
            return Ok(Step::Command { port, line: line.to_string() });
        }
    }
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let args: Vec<&str> = rest.split_whitespace().collect();
    let one_port = || match args.as_slice() {
        [port] => parse_port(port),
        _ => Err(format!("'{word}' takes one port, e.g. '{word} 6379'")),
    };
    let two_ports = || match args.as_slice() {
        [a, b] => Ok((parse_port(a)?, parse_port(b)?)),
        _ => Err(format!("'{word}' takes two ports, e.g. '{word} 6379 6380'")),
    };
    let port_then = || -> Result<(u16, &str), String> {
        let first = args.first().ok_or_else(|| format!("'{word}' needs a port, e.g. '{word} 6379'"))?;
        Ok((parse_port(first)?, rest[first.len()..].trim()))
    };
    match word {
        "server" => {
            let (port, rest) = port_then()?;
            Ok(Step::Server { port, config: server_directives(port, rest)? })
        }
        "sentinel" => {
            let (port, rest) = port_then()?;
            let config = split_directives(rest);
            if config.is_empty() {
                return Err("'sentinel' needs its sentinel.conf directives, e.g. 'sentinel 26379 sentinel monitor mymaster 127.0.0.1 6379 2'".into());
            }
            Ok(Step::Sentinel { port, config })
        }
        "config" => {
            let (port, rest) = port_then()?;
            Ok(Step::Config { port, config: split_directives(rest) })
        }
        "machine" => parse_machine(rest),
        "file" => match args.as_slice() {
            [port, path, data @ ..] if data.len() <= 1 => {
                let path = base64_decode(path).ok_or("a file name that is not base64")?;
                if path.is_empty() {
                    return Err("a file needs a name".into());
                }
                let bytes = match data.first() {
                    Some(data) => base64_decode(data).ok_or("file data that is not base64")?,
                    None => Vec::new(),
                };
                Ok(Step::File { port: parse_port(port)?, path: String::from_utf8_lossy(&path).into_owned(), bytes })
            }
            _ => Err("'file' takes a port, a base64 path and base64 data".into()),
        },
        "sleep" => match args.as_slice() {
            [d] => Ok(Step::Sleep { ms: duration(d)? }),
            _ => Err("'sleep' takes one duration, e.g. 'sleep 2s'".into()),
        },
        "waitsync" => Ok(Step::wait(Until::LinkUp(one_port()?))),
        "wait" => parse_wait(&args),
        "crash" => Ok(Step::Crash { port: one_port()? }),
        "restart" => Ok(Step::Restart { port: one_port()? }),
        "remove" => Ok(Step::Remove { port: one_port()? }),
        "connect" => Ok(Step::Connect { port: one_port()? }),
        "interrupt" => Ok(Step::Interrupt { port: one_port()? }),
        "isolate" => Ok(Step::Isolate { port: one_port()? }),
        "rejoin" => Ok(Step::Rejoin { port: one_port()? }),
        "explain" => Ok(Step::Explain { port: one_port()? }),
        "writes" if args.is_empty() => Ok(Step::Writes),
        "writer" => match args.as_slice() {
            ["stop"] => Ok(Step::WriterStop),
            [port, every] => Ok(Step::Writer { port: parse_port(port)?, every: duration(every)? }),
            _ => Err("'writer' takes a port and how often it writes, e.g. 'writer 6379 500ms', or 'writer stop'".into()),
        },
        "cut" => two_ports().map(|(a, b)| Step::Cut { a, b }),
        "heal" => two_ports().map(|(a, b)| Step::Heal { a, b }),
        "latency" => match args.as_slice() {
            [a, b, ms] => Ok(Step::Latency { a: parse_port(a)?, b: parse_port(b)?, ms: duration(ms)? }),
            _ => Err("'latency' takes two ports and a delay, e.g. 'latency 6379 6380 50ms'".into()),
        },
        _ => Err(format!("unknown step '{word}' (steps are: {STEP_NAMES})")),
    }
}

/// `machine PORT server|sentinel DIRECTIVES`.
fn parse_machine(rest: &str) -> Result<Step, String> {
    let (port, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (program, rest) = rest.trim().split_once(char::is_whitespace).unwrap_or((rest.trim(), ""));
    let port = parse_port(port)?;
    let program = match program {
        "server" => Program::RedisServer,
        "sentinel" => Program::RedisSentinel,
        other => return Err(format!("'machine' takes a port, then server or sentinel (not '{other}'), then directives")),
    };
    Ok(Step::Machine { port, program, config: split_directives(rest.trim()) })
}

/// `wait loaded [PORT]`, `wait answer PORT`, `wait event`, `wait idle
/// [QUIET]`, each optionally `within DURATION`.
fn parse_wait(args: &[&str]) -> Result<Step, String> {
    let (what, limit) = match args {
        [what @ .., "within", limit] => (what, Some(duration(limit)?)),
        what => (what, None),
    };
    let until = match what {
        ["loaded"] => Until::AllLoaded,
        ["loaded", port] => Until::Loaded(parse_port(port)?),
        ["answer", port] => Until::Answered(parse_port(port)?),
        ["event"] => Until::NextLogLine,
        ["idle"] => Until::Idle { quiet: IDLE_QUIET_MS },
        ["idle", quiet] => Until::Idle { quiet: duration(quiet)? },
        _ => return Err("'wait' takes: loaded [PORT], answer PORT, event, or idle [QUIET], then optionally 'within DURATION'".into()),
    };
    let limit = limit.unwrap_or_else(|| until.default_limit());
    Ok(Step::Wait { until, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_reads_back_from_its_text() {
        let steps = [
            Step::Server { port: 6379, config: vec![] },
            Step::Server { port: 6380, config: vec!["replicaof 127.0.0.1 6379".into(), "replica-priority 50".into()] },
            Step::Sentinel { port: 26379, config: vec!["sentinel monitor mymaster 127.0.0.1 6379 1".into()] },
            Step::Machine { port: 6381, program: Program::RedisServer, config: vec!["appendonly no".into()] },
            Step::Machine { port: 26380, program: Program::RedisSentinel, config: vec![] },
            Step::File { port: 6381, path: "dump.rdb".into(), bytes: b"REDIS0010\xff".to_vec() },
            Step::Config { port: 6381, config: vec!["hz 20".into()] },
            Step::Remove { port: 6381 },
            Step::Connect { port: 6379 },
            Step::Command { port: 6379, line: "SET k \"a b\"".into() },
            Step::Interrupt { port: 6379 },
            Step::Sleep { ms: 1500 },
            Step::wait(Until::LinkUp(6380)),
            Step::wait(Until::Loaded(6380)),
            Step::wait(Until::AllLoaded),
            Step::wait(Until::Answered(6380)),
            Step::wait(Until::NextLogLine),
            Step::Wait { until: Until::Idle { quiet: 2_000 }, limit: 120_000 },
            Step::Crash { port: 6379 },
            Step::Restart { port: 6379 },
            Step::Cut { a: 6379, b: 6380 },
            Step::Heal { a: 6379, b: 6380 },
            Step::Latency { a: 6379, b: 6380, ms: 50 },
            Step::Isolate { port: 6379 },
            Step::Rejoin { port: 6379 },
            Step::Explain { port: 6380 },
            Step::Writer { port: 6379, every: 500 },
            Step::WriterStop,
            Step::Writes,
        ];
        for step in steps {
            assert_eq!(parse(&step.to_string()), Ok(step.clone()), "{step}");
        }
    }

    #[test]
    fn an_empty_file_reads_back_and_a_nameless_one_is_refused() {
        let empty = Step::File { port: 6379, path: "dump.rdb".into(), bytes: vec![] };
        assert_eq!(empty.to_string(), "file 6379 ZHVtcC5yZGI=");
        assert_eq!(parse(&empty.to_string()), Ok(empty));
        assert_eq!(parse("file 6379 ==== AAAA"), Err("a file needs a name".to_string()));
    }
}
