//! Scenario files (the contract in SCENARIO.md): parsing them into items,
//! and running them on a session to print a transcript.
//!
//! Most lines are a `session::Step` in its text form. A guided scenario
//! also narrates (`say`), sets exercises (`task`, with the steps that
//! solve them, `solve`, and the checks that they were done, `expect`), and
//! may fix its seed (`seed`). Parsing checks the whole file first, so a
//! mistake anywhere is reported with its line number before anything runs.

mod runner;

pub use runner::{perform, run, run_on_sim, run_session, take_step, Run, RunOptions, Taker};

use std::fmt;

pub use crate::session::step::parse_duration;
pub use crate::session::Step;

/// The virtual time every scenario starts at, in the runner and on the
/// page alike (2026-01-01T00:00:00Z): a fixed start keeps transcripts and
/// permalinks reproducible.
pub const START: crate::engine::time::Millis = 1_767_225_600_000;

/// The largest scenario accepted (from a URL, a file, an embedding page).
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;

/// One item of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A step the runner and the page take.
    Step(Step),
    /// The simulation's seed; before any node starts.
    Seed(u64),
    /// Every step is taken exactly as written: no wait for a started
    /// server or a blocked command, no console opened on the page but by
    /// `connect`. A permalink is written so, since the page's session
    /// already holds every wait and connection it made.
    Exact,
    /// Narration.
    Say(String),
    /// An exercise: a guided page stops here and waits for the learner.
    Task(String),
    /// A step that solves the current task: the runner takes it, a
    /// guided page waits for the learner to.
    Solve(Step),
    /// A check of the cluster: a command's reply as redis-cli prints it.
    Expect(Expectation),
}

/// `expect PORT> COMMAND` with its `= LINE` lines, or `~ TEXT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub port: u16,
    pub command: String,
    pub want: Want,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// The reply is exactly these lines.
    Lines(Vec<String>),
    /// The reply contains this text.
    Contains(String),
}

impl Expectation {
    /// Whether the printed reply is what is expected; if not, why.
    pub fn verdict(&self, printed: &[String]) -> Result<(), String> {
        match &self.want {
            Want::Lines(lines) if lines.as_slice() == printed => Ok(()),
            Want::Lines(lines) => Err(format!("{} printed {:?}, not {:?}", self.command, printed.join("\n"), lines.join("\n"))),
            Want::Contains(text) if printed.join("\n").contains(text.as_str()) => Ok(()),
            Want::Contains(text) => Err(format!("{} printed {:?}, without {text:?}", self.command, printed.join("\n"))),
        }
    }
}

/// One item of a scenario file, where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line in the file.
    pub line: usize,
    /// The item as written (trimmed), echoed in transcripts.
    pub text: String,
    pub item: Item,
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
    if source.len() > MAX_SCENARIO_BYTES {
        return Err(ScenarioError { line: 1, message: format!("a scenario may be at most {} KiB", MAX_SCENARIO_BYTES / 1024) });
    }
    let mut lines: Vec<Line> = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        let text = raw.trim();
        let fail = |message: String| ScenarioError { line: i + 1, message };
        if let Some(rest) = raw.trim_start().strip_prefix('=') {
            // A line of the reply the `expect` above waits for, kept as written.
            let expected = rest.strip_prefix(' ').unwrap_or(rest).trim_end_matches('\r');
            match lines.last_mut().map(|l| &mut l.item) {
                Some(Item::Expect(Expectation { want: Want::Lines(want), .. })) => want.push(expected.to_string()),
                _ => return Err(fail("a '= LINE' belongs under an 'expect PORT> COMMAND'".into())),
            }
            continue;
        }
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let item = parse_item(text).map_err(fail)?;
        lines.push(Line { line: i + 1, text: text.to_string(), item });
    }
    Ok(lines)
}

fn parse_item(text: &str) -> Result<Item, String> {
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    match word {
        "seed" => rest.parse().map(Item::Seed).map_err(|_| format!("'{rest}' is not a seed (a number)")),
        "exact" if rest.is_empty() => Ok(Item::Exact),
        "exact" => Err("'exact' takes nothing after it".into()),
        "say" if !rest.is_empty() => Ok(Item::Say(rest.to_string())),
        "task" if !rest.is_empty() => Ok(Item::Task(rest.to_string())),
        "say" | "task" => Err(format!("'{word}' needs its text")),
        "solve" => crate::session::step::parse(rest).map(Item::Solve),
        "expect" => parse_expectation(rest).map(Item::Expect),
        _ => crate::session::step::parse(text).map(Item::Step).map_err(|e| match e.strip_suffix(')') {
            // A scenario has words of its own besides the session's steps.
            Some(head) if e.starts_with("unknown step") => format!("{head}; in a scenario also: seed, exact, say, task, solve, expect)"),
            _ => e,
        }),
    }
}

/// `PORT> COMMAND` (its lines follow as `= LINE`), or `PORT> COMMAND ~ TEXT`.
fn parse_expectation(rest: &str) -> Result<Expectation, String> {
    let Ok(Step::Command { port, line }) = crate::session::step::parse(rest) else {
        return Err("'expect' takes PORT> COMMAND, e.g. 'expect 6380> GET k' then '= \"v\"' lines, or 'expect 6380> ROLE ~ slave'".into());
    };
    Ok(match line.rsplit_once(" ~ ") {
        Some((command, text)) => Expectation { port, command: command.trim().to_string(), want: Want::Contains(text.to_string()) },
        None => Expectation { port, command: line.trim().to_string(), want: Want::Lines(Vec::new()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(lines: &[Line]) -> Vec<&Step> {
        lines.iter().filter_map(|l| match &l.item {
            Item::Step(step) => Some(step),
            _ => None,
        }).collect()
    }

    #[test]
    fn parses_every_step_kind() {
        let lines = parse(
            "# c\n\nserver 6379\nserver 6380 replicaof 127.0.0.1 6379 ; replica-priority 50\n6379> SET k \"a b\"\nsleep 1.5s\nsleep 250ms\ncut 6379 6380\n",
        )
        .unwrap();
        let steps = steps(&lines);
        assert_eq!(*steps[0], Step::Server { port: 6379, config: vec![] });
        assert_eq!(
            *steps[1],
            Step::Server { port: 6380, config: vec!["replicaof 127.0.0.1 6379".into(), "replica-priority 50".into()] }
        );
        assert_eq!(*steps[2], Step::Command { port: 6379, line: "SET k \"a b\"".into() });
        assert_eq!(*steps[3], Step::Sleep { ms: 1500 });
        assert_eq!(*steps[4], Step::Sleep { ms: 250 });
        assert_eq!(*steps[5], Step::Cut { a: 6379, b: 6380 });
        assert_eq!(lines[2].line, 5);
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

    #[test]
    fn guided_items() {
        let lines = parse("seed 42\nsay Hello <b>there</b>\ntask Do it\nsolve 6380> REPLICAOF 127.0.0.1 6379\nexpect 6380> GET k\n= \"v\"\n=   1) x\nexpect 6380> ROLE ~ slave\n").unwrap();
        assert_eq!(lines[0].item, Item::Seed(42));
        assert_eq!(lines[1].item, Item::Say("Hello <b>there</b>".into()));
        assert_eq!(lines[2].item, Item::Task("Do it".into()));
        assert_eq!(lines[3].item, Item::Solve(Step::Command { port: 6380, line: "REPLICAOF 127.0.0.1 6379".into() }));
        assert_eq!(lines[4].item, Item::Expect(Expectation { port: 6380, command: "GET k".into(), want: Want::Lines(vec!["\"v\"".into(), "  1) x".into()]) }));
        assert_eq!(lines[5].item, Item::Expect(Expectation { port: 6380, command: "ROLE".into(), want: Want::Contains("slave".into()) }));
        assert_eq!(parse("= stray").unwrap_err().line, 1);
        assert!(parse("seed nope").is_err());
        assert!(parse(&"#".repeat(MAX_SCENARIO_BYTES + 1)).is_err());
    }
}
