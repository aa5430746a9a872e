//! Runs a scenario on a fresh session and prints the transcript: consoles
//! print what redis-cli prints, other steps are echoed as `# STEP`, a
//! guided scenario's narration and tasks as `# say TEXT` and `# task
//! TEXT`; its `solve` steps are taken, its `expect` checks answer `# expect
//! ok` or `# expect failed: ...`.

use std::collections::BTreeMap;

use super::{Item, Line, ScenarioError};
use crate::engine::config::Config;
use crate::engine::disk::join;
use crate::engine::params::Settings;
use crate::engine::time::Millis;
use crate::session::{Applied, Options, Printed, Session, Step, Until};
use crate::sim::{Program, Sim};

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub seed: u64,
    /// Virtual Unix time (ms) at which the run starts.
    pub start: Millis,
    /// Files each port's disk starts with, by file name (the runner's
    /// `--dir`): they appear in the server's `dir`.
    pub disks: BTreeMap<u16, BTreeMap<String, Vec<u8>>>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { seed: 1, start: super::START, disks: BTreeMap::new() }
    }
}

/// A scenario run: its transcript, the session as it left it, and the
/// checks that failed (their line, and why).
pub struct Run {
    pub transcript: Vec<String>,
    pub session: Session,
    pub failed: Vec<(usize, String)>,
}

/// Runs the steps and returns the transcript lines.
pub fn run(lines: &[Line], options: RunOptions) -> Result<Vec<String>, ScenarioError> {
    run_session(lines, options).map(|run| run.transcript)
}

/// `run`, also handing back the simulator as the run left it (its trace).
pub fn run_on_sim(lines: &[Line], options: RunOptions) -> Result<(Vec<String>, Sim), ScenarioError> {
    run_session(lines, options).map(|run| (run.transcript, run.session.into_sim()))
}

/// Runs a scenario, keeping everything about the run.
pub fn run_session(lines: &[Line], options: RunOptions) -> Result<Run, ScenarioError> {
    let mut run = Run { transcript: Vec::new(), session: Session::new(options.seed, options.start, Options::TRANSCRIPT), failed: Vec::new() };
    let mut exact = false;
    for line in lines {
        let fail = |message: String| ScenarioError { line: line.line, message };
        match &line.item {
            Item::Seed(_) | Item::Exact if !run.session.steps().is_empty() => {
                return Err(fail(format!("'{}' comes before any other step", line.text)));
            }
            Item::Seed(seed) => {
                run.session = Session::new(*seed, options.start, Options::TRANSCRIPT);
                run.transcript.push(format!("# {}", line.text));
            }
            Item::Exact => {
                exact = true;
                run.transcript.push(format!("# {}", line.text));
            }
            Item::Say(_) | Item::Task(_) => run.transcript.push(format!("# {}", line.text)),
            Item::Step(step) | Item::Solve(step) => take(&mut run, step, &line.text, &options, exact).map_err(fail)?,
            Item::Expect(expectation) => {
                let verdict = run.session.probe(expectation.port, &expectation.command).and_then(|printed| expectation.verdict(&printed));
                match verdict {
                    Ok(()) => run.transcript.push("# expect ok".into()),
                    Err(why) => {
                        run.transcript.push(format!("# expect failed: {why}"));
                        run.failed.push((line.line, why));
                    }
                }
            }
        }
    }
    let flushed = run.session.flush_consoles();
    run.transcript.extend(flushed);
    Ok(run)
}

/// What takes a scenario's steps: a bare session (the runner) or the
/// page's playground (which also shows what the consoles print).
pub trait Taker {
    fn apply(&mut self, step: Step) -> Result<Applied, String>;
    fn session(&self) -> &Session;
}

impl Taker for Session {
    fn apply(&mut self, step: Step) -> Result<Applied, String> {
        Session::apply(self, step)
    }

    fn session(&self) -> &Session {
        self
    }
}

/// A scenario's step, as the runner and a guided page both take it. Like
/// the recorder on real Redis, a started server is waited for until it
/// answers (its dump read), and a blocked command until its answer, as an
/// interactive redis-cli waits.
pub fn perform(taker: &mut impl Taker, step: &Step) -> Result<Applied, String> {
    match step {
        Step::Command { port, .. } => {
            if taker.session().console(*port).is_some_and(|c| c.is_reading_messages()) {
                return Err(format!("redis-cli on port {port} is reading messages (after SUBSCRIBE) and takes no more commands"));
            }
            taker.apply(step.clone())?;
            // In a scenario only the command's timeout can end the wait.
            if taker.session().console(*port).is_some_and(|c| c.is_blocked()) {
                let waited = taker.apply(Step::wait(Until::Answered(*port)))?;
                if matches!(waited, Applied::Waited { met: false, .. }) {
                    return Err("the command is still blocked after 60 s and nothing in the scenario can wake it".into());
                }
            }
            Ok(Applied::Done)
        }
        Step::Server { port, .. } | Step::Restart { port } => {
            taker.apply(step.clone())?;
            taker.apply(Step::wait(Until::Loaded(*port)))
        }
        step => taker.apply(step.clone()),
    }
}

/// One step, and what it prints.
fn take(run: &mut Run, step: &Step, text: &str, options: &RunOptions, exact: bool) -> Result<(), String> {
    let session = &mut run.session;
    let printed = match step {
        Step::Server { port, config } if options.disks.contains_key(port) => {
            let mut printed = vec![format!("# {text}")];
            start_server(session, *port, config, options)?;
            print(session, &mut printed, None);
            printed
        }
        step if exact => transcribe(session, step, text, |session, step| session.apply(step.clone()))?,
        step => transcribe(session, step, text, |session, step| perform(session, step))?,
    };
    run.transcript.extend(printed);
    Ok(())
}

/// A step taken as a scenario takes it (`perform`), and the transcript
/// lines it gives: its echo, what the consoles printed, the verdicts of
/// `explain` and `writes`. `text` is the step as it was written.
pub fn take_step(session: &mut Session, step: &Step, text: &str) -> Result<Vec<String>, String> {
    transcribe(session, step, text, |session, step| perform(session, step))
}

fn transcribe(
    session: &mut Session,
    step: &Step,
    text: &str,
    apply: impl FnOnce(&mut Session, &Step) -> Result<Applied, String>,
) -> Result<Vec<String>, String> {
    let mut transcript = Vec::new();
    let first = match step {
        Step::Command { port, .. } => Some(*port),
        _ => None,
    };
    if first.is_none() && !matches!(step, Step::Wait { .. }) {
        transcript.push(format!("# {text}"));
    }
    let applied = apply(session, step)?;
    if let Applied::Waited { met, .. } = applied {
        if matches!(step, Step::Wait { .. }) {
            transcript.push(if met { format!("# {text}") } else { format!("# {text} timed out") });
        }
    }
    if let Step::Writes = step {
        transcript.extend(writes_lines(session));
    }
    if let Step::Explain { port } = step {
        transcript.push(match session.sim().latest_psync(*port) {
            Some(record) => format!("# psync: {}", record.decision.summary()),
            None => format!("# psync: none ({port} has not asked a master to sync)"),
        });
    }
    // Messages that reached consoles reading pub/sub print right after
    // the step that sent them.
    print(session, &mut transcript, first);
    Ok(transcript)
}

/// `writes`: the writing client's tally, and the acknowledged writes the
/// master now lacks.
fn writes_lines(session: &Session) -> Vec<String> {
    let Some(writer) = session.writer() else { return vec!["# writes: no writer".into()] };
    let r = crate::session::writer::reckon(session.sim(), writer);
    let mut errors: Vec<&str> = r.refused.iter().map(|(_, e)| e.split(' ').next().unwrap_or("")).collect();
    errors.sort_unstable();
    errors.dedup();
    let master = r.master.map_or("none".to_string(), |m| m.to_string());
    vec![
        format!(
            "# writes: {} acknowledged, {} refused{}",
            r.acknowledged,
            r.refused.len(),
            if errors.is_empty() { String::new() } else { format!(" ({})", errors.join(", ")) }
        ),
        format!(
            "# lost: {} acknowledged writes are not on the master now ({master}){}",
            r.lost.len(),
            if r.lost.is_empty() { String::new() } else { format!(": {}", crate::session::writer::runs(&r.lost)) }
        ),
    ]
}

/// What the consoles printed: the one a command was typed into first,
/// then the others in port order.
fn print(session: &mut Session, transcript: &mut Vec<String>, first: Option<u16>) {
    let ports = first.into_iter().chain(session.console_ports().into_iter().filter(|p| Some(*p) != first));
    for port in ports.collect::<Vec<_>>() {
        transcript.extend(session.take_printed(port).into_iter().map(|p| match p {
            Printed::Typed(line) | Printed::Line(line) => line,
        }));
    }
}

/// A `server` step: with the runner's `--dir` files for that port, the
/// machine is set up with them first (they appear in the server's `dir`).
fn start_server(session: &mut Session, port: u16, config: &[String], options: &RunOptions) -> Result<Applied, String> {
    let Some(files) = options.disks.get(&port) else {
        return session.apply(Step::Server { port, config: config.to_vec() });
    };
    let dir = Config::parse(config).map(|c| Settings::from_config(&c).dir).unwrap_or_default();
    session.apply(Step::Machine { port, program: Program::RedisServer, config: config.to_vec() })?;
    for (name, bytes) in files {
        session.apply(Step::File { port, path: join(&dir, name), bytes: bytes.clone() })?;
    }
    perform(session, &Step::Restart { port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    #[test]
    fn transcript_shape() {
        let steps = parse("server 6379\n6379> SET k v\nsleep 1s\n6380> GET k\n").unwrap();
        let t = run(&steps, RunOptions::default()).unwrap();
        assert_eq!(
            t,
            [
                "# server 6379",
                "127.0.0.1:6379> SET k v",
                "OK",
                "# sleep 1s",
                "not connected> GET k",
                "Could not connect to Redis at 127.0.0.1:6380: Connection refused"
            ]
        );
    }

    #[test]
    fn a_guided_scenario_narrates_solves_and_checks() {
        let lines = parse(
            "seed 3\nsay Two servers.\nserver 6379\nserver 6380\n6379> SET k v\ntask Make 6380 a replica of 6379.\nsolve 6380> REPLICAOF 127.0.0.1 6379\nsolve waitsync 6380\nexpect 6380> GET k\n= \"v\"\nexpect 6380> ROLE ~ connected\nexpect 6380> GET k ~ nope\n",
        )
        .unwrap();
        let run = run_session(&lines, RunOptions::default()).unwrap();
        let t = &run.transcript;
        assert_eq!(t[..3], ["# seed 3", "# say Two servers.", "# server 6379"]);
        assert!(t.contains(&"# task Make 6380 a replica of 6379.".to_string()), "{t:?}");
        assert!(t.contains(&"127.0.0.1:6380> REPLICAOF 127.0.0.1 6379".to_string()), "{t:?}");
        assert!(t.contains(&"# solve waitsync 6380".to_string()), "{t:?}");
        assert_eq!(t.iter().filter(|l| *l == "# expect ok").count(), 2, "{t:?}");
        assert!(t.last().unwrap().starts_with("# expect failed: GET k printed"), "{t:?}");
        assert_eq!(run.failed.len(), 1);
        assert_eq!(run.failed[0].0, 12);
        // The checks touched nothing: only the console's connection and this
        // probe's own are counted, not the three checks'.
        let info = run.session.probe(6380, "INFO stats").unwrap();
        assert!(info.iter().any(|l| l == "total_connections_received:2"), "{info:?}");
        // A seed after a step is refused.
        assert!(run_session(&parse("server 6379\nseed 3\n").unwrap(), RunOptions::default()).is_err());
    }
}
