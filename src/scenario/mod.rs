//! Scenario files (the contract in SCENARIO.md): parsing them into steps,
//! and running them on the simulator to print a transcript.
//!
//! Parsing checks the whole file first, so a mistake anywhere is reported
//! with its line number before anything runs.

mod runner;

pub use runner::{run, run_on_sim, RunOptions};

use std::fmt;

use crate::engine::config::Config;
use crate::engine::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    Server { port: u16, directives: Vec<String> },
    Sentinel { port: u16, directives: Vec<String> },
    Command { port: u16, line: String },
    Sleep { ms: Millis },
    WaitSync { port: u16 },
    Crash { port: u16 },
    Restart { port: u16 },
    Cut { a: u16, b: u16 },
    Heal { a: u16, b: u16 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the file.
    pub line: usize,
    /// The step as written (trimmed), echoed in transcripts.
    pub text: String,
    pub kind: StepKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ScenarioError {}

fn parse_port(word: &str, line: usize) -> Result<u16, ScenarioError> {
    match word.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ScenarioError { line, message: format!("'{word}' is not a port (1-65535)") }),
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

/// Directives after the port, separated by ` ; `.
fn split_directives(rest: &str) -> Vec<String> {
    rest.split(" ; ").map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect()
}

fn parse_line(text: &str, line: usize) -> Result<StepKind, ScenarioError> {
    let fail = |message: String| ScenarioError { line, message };
    // `PORT> COMMAND`
    if let Some((port, command)) = text.split_once('>') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            let port = parse_port(port, line)?;
            let command = command.strip_prefix(' ').unwrap_or(command);
            return Ok(StepKind::Command { port, line: command.to_string() });
        }
    }
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let args: Vec<&str> = rest.split_whitespace().collect();
    let one_port = |what: &str| -> Result<u16, ScenarioError> {
        match args.as_slice() {
            [port] => parse_port(port, line),
            _ => Err(fail(format!("'{what}' takes one port, e.g. '{what} 6379'"))),
        }
    };
    let two_ports = |what: &str| -> Result<(u16, u16), ScenarioError> {
        match args.as_slice() {
            [a, b] => Ok((parse_port(a, line)?, parse_port(b, line)?)),
            _ => Err(fail(format!("'{what}' takes two ports, e.g. '{what} 6379 6380'"))),
        }
    };
    match word {
        "server" | "sentinel" => {
            let Some(port_word) = args.first() else {
                return Err(fail(format!("'{word}' needs a port, e.g. '{word} 6379'")));
            };
            let port = parse_port(port_word, line)?;
            let directives = split_directives(rest[port_word.len()..].trim());
            if word == "sentinel" {
                if directives.is_empty() {
                    return Err(fail("'sentinel' needs its sentinel.conf directives, e.g. 'sentinel 26379 sentinel monitor mymaster 127.0.0.1 6379 2'".into()));
                }
                return Ok(StepKind::Sentinel { port, directives });
            }
            let config = Config::parse(&directives).map_err(|e| fail(format!("bad directive '{}': {}", e.text, e.reason)))?;
            if let Some(p) = config.get("port") {
                if p[0] != port.to_string() {
                    return Err(fail(format!("'port {}' contradicts the server's port {port}", p[0])));
                }
            }
            Ok(StepKind::Server { port, directives })
        }
        "sleep" => match args.as_slice() {
            [d] => parse_duration(d)
                .map(|ms| StepKind::Sleep { ms })
                .ok_or_else(|| fail(format!("'{d}' is not a duration (e.g. 250ms, 2s, 1.5s)"))),
            _ => Err(fail("'sleep' takes one duration, e.g. 'sleep 2s'".into())),
        },
        "waitsync" => Ok(StepKind::WaitSync { port: one_port(word)? }),
        "crash" => Ok(StepKind::Crash { port: one_port(word)? }),
        "restart" => Ok(StepKind::Restart { port: one_port(word)? }),
        "cut" => two_ports(word).map(|(a, b)| StepKind::Cut { a, b }),
        "heal" => two_ports(word).map(|(a, b)| StepKind::Heal { a, b }),
        _ => Err(fail(format!(
            "unknown step '{word}' (steps are: server, sentinel, PORT> COMMAND, sleep, waitsync, crash, restart, cut, heal)"
        ))),
    }
}

/// Parses a whole scenario file.
pub fn parse(source: &str) -> Result<Vec<Step>, ScenarioError> {
    let mut steps = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let kind = parse_line(text, i + 1)?;
        steps.push(Step { line: i + 1, text: text.to_string(), kind });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step_kind() {
        let steps = parse(
            "# c\n\nserver 6379\nserver 6380 replicaof 127.0.0.1 6379 ; replica-priority 50\n6379> SET k \"a b\"\nsleep 1.5s\nsleep 250ms\ncut 6379 6380\n",
        )
        .unwrap();
        assert_eq!(steps[0].kind, StepKind::Server { port: 6379, directives: vec![] });
        assert_eq!(
            steps[1].kind,
            StepKind::Server { port: 6380, directives: vec!["replicaof 127.0.0.1 6379".into(), "replica-priority 50".into()] }
        );
        assert_eq!(steps[2].kind, StepKind::Command { port: 6379, line: "SET k \"a b\"".into() });
        assert_eq!(steps[3].kind, StepKind::Sleep { ms: 1500 });
        assert_eq!(steps[4].kind, StepKind::Sleep { ms: 250 });
        assert_eq!(steps[5].kind, StepKind::Cut { a: 6379, b: 6380 });
        assert_eq!(steps[2].line, 5);
    }

    #[test]
    fn mistakes_name_their_line() {
        let e = parse("server 6379\nfly 6379\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown step 'fly'"));
        assert_eq!(parse("sleep forever").unwrap_err().line, 1);
        assert_eq!(parse("server 99999").unwrap_err().line, 1);
        assert!(parse("server 6379 port 6380").unwrap_err().message.contains("contradicts"));
        assert!(parse("server 6379 nosuch directive").unwrap_err().message.contains("Bad directive"));
        assert_eq!(parse("\n\n70000> PING").unwrap_err().line, 3);
    }
}
