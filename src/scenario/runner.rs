//! Runs parsed steps on a fresh simulator and prints the transcript:
//! consoles print what redis-cli prints, other steps are echoed as `# STEP`.

use std::collections::BTreeMap;

use super::{ScenarioError, Step, StepKind};
use crate::engine::config::Config;
use crate::engine::disk::{join, Disk};
use crate::engine::time::Millis;
use crate::engine::params::Settings;
use crate::sim::console::Console;
use crate::sim::Sim;

/// How long a blocked command may wait for its answer in a scenario.
const MAX_BLOCK_MS: Millis = 60_000;

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

/// The port's files from the options, placed in the `dir` its config names.
fn initial_disk(options: &RunOptions, port: u16, directives: &[String]) -> Disk {
    let mut disk = Disk::default();
    let Some(files) = options.disks.get(&port) else { return disk };
    let dir = Config::parse(directives).map(|c| Settings::from_config(&c).dir).unwrap_or_default();
    for (name, bytes) in files {
        disk.write(&join(&dir, name), bytes.clone());
    }
    disk
}

/// Runs the steps and returns the transcript lines.
pub fn run(steps: &[Step], options: RunOptions) -> Result<Vec<String>, ScenarioError> {
    run_on_sim(steps, options).map(|(transcript, _)| transcript)
}

/// `run`, also handing back the simulator as the run left it (its trace).
pub fn run_on_sim(steps: &[Step], options: RunOptions) -> Result<(Vec<String>, Sim), ScenarioError> {
    let mut sim = Sim::new(options.seed, options.start);
    let options = &options;
    // The recorder waits for a started redis-server to answer PING, which
    // it does with LOADING until its dump is in: so does the runner.
    fn wait_until_loaded(sim: &mut Sim, port: u16) {
        let give_up = sim.now() + 600_000;
        while sim.server(port).is_some_and(|s| s.is_loading()) && sim.now() < give_up {
            sim.advance(10);
        }
    }
    let mut consoles: BTreeMap<u16, Console> = BTreeMap::new();
    let mut transcript = Vec::new();
    for step in steps {
        match &step.kind {
            StepKind::Server { port, directives } => {
                transcript.push(format!("# {}", step.text));
                let disk = initial_disk(&options, *port, directives);
                sim.start_server_with_disk(*port, directives, disk)
                    .map_err(|e| ScenarioError { line: step.line, message: e.to_string() })?;
                wait_until_loaded(&mut sim, *port);
            }
            StepKind::Sentinel { port, directives } => {
                transcript.push(format!("# {}", step.text));
                sim.start_sentinel(*port, directives).map_err(|e| ScenarioError { line: step.line, message: e.to_string() })?;
            }
            StepKind::Command { port, line } => {
                let console = consoles.entry(*port).or_insert_with(|| Console::open(&mut sim, *port));
                if console.is_reading_messages() {
                    return Err(ScenarioError {
                        line: step.line,
                        message: format!("redis-cli on port {port} is reading messages (after SUBSCRIBE) and takes no more commands"),
                    });
                }
                let exchange = console.run(&mut sim, line);
                transcript.push(exchange.prompt_line);
                transcript.extend(exchange.output);
                if exchange.pending {
                    // Like redis-cli, wait for the blocked command's answer;
                    // in a scenario only its timeout can end the wait.
                    let give_up = sim.now() + MAX_BLOCK_MS;
                    let output = loop {
                        if let Some(output) = console.poll(&mut sim) {
                            break output;
                        }
                        match sim.next_event_at().filter(|&at| at <= give_up) {
                            Some(at) => sim.advance(at - sim.now()),
                            None => {
                                return Err(ScenarioError {
                                    line: step.line,
                                    message: "the command is still blocked after 60 s and nothing in the scenario can wake it".into(),
                                })
                            }
                        }
                    };
                    transcript.extend(output);
                }
            }
            StepKind::Sleep { ms } => {
                transcript.push(format!("# {}", step.text));
                sim.advance(*ms);
            }
            StepKind::WaitSync { port } => {
                // Until the replica's link is up, 60 s at most.
                let give_up = sim.now() + 60_000;
                let mut up = sim.link_up(*port);
                while !up && sim.now() < give_up {
                    sim.advance(100);
                    up = sim.link_up(*port);
                }
                transcript.push(if up { format!("# {}", step.text) } else { format!("# {} timed out", step.text) });
            }
            StepKind::Crash { port } => {
                transcript.push(format!("# {}", step.text));
                sim.crash(*port).map_err(|e| ScenarioError { line: step.line, message: e.to_string() })?;
            }
            StepKind::Restart { port } => {
                transcript.push(format!("# {}", step.text));
                sim.restart(*port).map_err(|e| ScenarioError { line: step.line, message: e.to_string() })?;
                wait_until_loaded(&mut sim, *port);
            }
            StepKind::Cut { a, b } => {
                transcript.push(format!("# {}", step.text));
                sim.cut(*a, *b);
            }
            StepKind::Heal { a, b } => {
                transcript.push(format!("# {}", step.text));
                sim.heal(*a, *b);
            }
        }
        // Messages that reached consoles reading pub/sub print right after
        // the step that sent them.
        for console in consoles.values_mut().filter(|c| c.is_reading_messages()) {
            if let Some(output) = console.poll(&mut sim) {
                transcript.extend(output);
            }
        }
    }
    for console in consoles.values_mut() {
        transcript.extend(console.flush());
    }
    Ok((transcript, sim))
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
