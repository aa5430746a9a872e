//! Scenario files (the contract in SCENARIO.md): parsing them into steps
//! (each line is a `session::Step` in its text form), and running them on
//! a session to print a transcript.
//!
//! Parsing checks the whole file first, so a mistake anywhere is reported
//! with its line number before anything runs.

mod runner;

pub use runner::{run, run_on_sim, run_session, RunOptions};

use std::fmt;

pub use crate::session::step::parse_duration;
pub use crate::session::Step;

/// One step of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line in the file.
    pub line: usize,
    /// The step as written (trimmed), echoed in transcripts.
    pub text: String,
    pub step: Step,
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

/// Parses a whole scenario file.
pub fn parse(source: &str) -> Result<Vec<Line>, ScenarioError> {
    let mut lines = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let step = crate::session::step::parse(text).map_err(|message| ScenarioError { line: i + 1, message })?;
        lines.push(Line { line: i + 1, text: text.to_string(), step });
    }
    Ok(lines)
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
        assert_eq!(steps[0].step, Step::Server { port: 6379, config: vec![] });
        assert_eq!(
            steps[1].step,
            Step::Server { port: 6380, config: vec!["replicaof 127.0.0.1 6379".into(), "replica-priority 50".into()] }
        );
        assert_eq!(steps[2].step, Step::Command { port: 6379, line: "SET k \"a b\"".into() });
        assert_eq!(steps[3].step, Step::Sleep { ms: 1500 });
        assert_eq!(steps[4].step, Step::Sleep { ms: 250 });
        assert_eq!(steps[5].step, Step::Cut { a: 6379, b: 6380 });
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
