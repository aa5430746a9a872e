//! Runs a scenario's steps on a fresh session and prints the transcript:
//! consoles print what redis-cli prints, other steps are echoed as `# STEP`.

use std::collections::BTreeMap;

use super::{Line, ScenarioError};
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
        // 2026-01-01T00:00:00Z: a fixed start keeps transcripts reproducible.
        RunOptions { seed: 1, start: 1_767_225_600_000, disks: BTreeMap::new() }
    }
}

/// Runs the steps and returns the transcript lines.
pub fn run(steps: &[Line], options: RunOptions) -> Result<Vec<String>, ScenarioError> {
    run_session(steps, options).map(|(transcript, _)| transcript)
}

/// `run`, also handing back the simulator as the run left it (its trace).
pub fn run_on_sim(steps: &[Line], options: RunOptions) -> Result<(Vec<String>, Sim), ScenarioError> {
    run_session(steps, options).map(|(transcript, session)| (transcript, session.into_sim()))
}

/// `run`, also handing back the session (its steps replay the run).
pub fn run_session(steps: &[Line], options: RunOptions) -> Result<(Vec<String>, Session), ScenarioError> {
    let mut session = Session::new(options.seed, options.start, Options::TRANSCRIPT);
    let mut transcript = Vec::new();
    for line in steps {
        let fail = |message: String| ScenarioError { line: line.line, message };
        match &line.step {
            Step::Command { port, .. } => {
                if session.console(*port).is_some_and(|c| c.is_reading_messages()) {
                    return Err(fail(format!("redis-cli on port {port} is reading messages (after SUBSCRIBE) and takes no more commands")));
                }
                apply(&mut session, line.step.clone()).map_err(fail)?;
                // Like redis-cli, wait for a blocked command's answer; in a
                // scenario only its timeout can end the wait.
                if session.console(*port).is_some_and(|c| c.is_blocked()) {
                    let waited = apply(&mut session, Step::wait(Until::Answered(*port))).map_err(fail)?;
                    if matches!(waited, Applied::Waited { met: false, .. }) {
                        return Err(fail("the command is still blocked after 60 s and nothing in the scenario can wake it".into()));
                    }
                }
                print(&mut session, &mut transcript, Some(*port));
                continue;
            }
            Step::Wait { .. } => {
                let waited = apply(&mut session, line.step.clone()).map_err(fail)?;
                let met = matches!(waited, Applied::Waited { met: true, .. });
                transcript.push(if met { format!("# {}", line.text) } else { format!("# {} timed out", line.text) });
            }
            Step::Server { port, config } => {
                transcript.push(format!("# {}", line.text));
                start_server(&mut session, *port, config, &options).map_err(fail)?;
                // The recorder waits for a started redis-server to answer
                // PING, which it does with LOADING until its dump is in.
                apply(&mut session, Step::wait(Until::Loaded(*port))).map_err(fail)?;
            }
            Step::Restart { port } => {
                transcript.push(format!("# {}", line.text));
                apply(&mut session, line.step.clone()).map_err(fail)?;
                apply(&mut session, Step::wait(Until::Loaded(*port))).map_err(fail)?;
            }
            step => {
                transcript.push(format!("# {}", line.text));
                apply(&mut session, step.clone()).map_err(fail)?;
            }
        }
        // Messages that reached consoles reading pub/sub print right after
        // the step that sent them.
        print(&mut session, &mut transcript, None);
    }
    transcript.extend(session.flush_consoles());
    Ok((transcript, session))
}

fn apply(session: &mut Session, step: Step) -> Result<Applied, String> {
    session.apply(step)
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
    session.apply(Step::Restart { port })
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
}
