//! What the web page drives: a simulator plus one redis-cli console per
//! node, with each console's printed lines and history. It has no web
//! dependency, so its behaviour is tested natively; the UI only sends it
//! actions and renders its snapshots.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::console::Console;
use super::{Sim, SimError};
use crate::engine::keyspace::Millis;

/// The first port the page uses, as in the lesson.
pub const FIRST_PORT: u16 = 6379;
/// A console keeps this many printed lines; older ones scroll away for good.
const MAX_LINES: usize = 2000;
const MAX_HISTORY: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The prompt and the line typed at it.
    Input,
    Output,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

struct ConsoleLog {
    console: Console,
    lines: Rc<Vec<Line>>,
    history: Rc<Vec<String>>,
}

/// What a console shows, cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleView {
    pub prompt: String,
    /// A blocked command is waiting (redis-cli shows no prompt meanwhile).
    pub waiting: bool,
    pub lines: Rc<Vec<Line>>,
    pub history: Rc<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub port: u16,
    pub role: &'static str,
    pub keys: usize,
    pub console: ConsoleView,
}

pub struct Playground {
    sim: Sim,
    consoles: BTreeMap<u16, ConsoleLog>,
}

impl Playground {
    /// A playground with servers on `ports`, each started with an empty config.
    pub fn new(seed: u64, start: Millis, ports: &[u16]) -> Playground {
        let mut playground = Playground { sim: Sim::new(seed, start), consoles: BTreeMap::new() };
        for &port in ports {
            // Distinct fresh ports cannot clash; a duplicate is simply skipped.
            let _ = playground.add_server_on(port);
        }
        playground
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The lowest free port from 6379 up.
    pub fn next_free_port(&self) -> Option<u16> {
        (FIRST_PORT..=u16::MAX).find(|p| !self.sim.is_up(*p) && !self.consoles.contains_key(p))
    }

    pub fn add_server(&mut self) -> Result<u16, SimError> {
        let port = self.next_free_port().ok_or(SimError::PortInUse(u16::MAX))?;
        self.add_server_on(port)?;
        Ok(port)
    }

    fn add_server_on(&mut self, port: u16) -> Result<(), SimError> {
        self.sim.start_server(port, &[] as &[&str])?;
        let console = Console::open(&mut self.sim, port);
        self.consoles.insert(port, ConsoleLog { console, lines: Rc::default(), history: Rc::default() });
        Ok(())
    }

    pub fn remove_server(&mut self, port: u16) -> Result<(), SimError> {
        self.consoles.remove(&port);
        self.sim.remove_server(port)
    }

    /// Types a line into a node's console.
    pub fn run(&mut self, port: u16, line: &str) {
        let Some(log) = self.consoles.get_mut(&port) else { return };
        let exchange = log.console.run(&mut self.sim, line);
        Rc::make_mut(&mut log.lines).push(Line { kind: LineKind::Input, text: exchange.prompt_line });
        Self::print(log, exchange.output);
        if !line.trim().is_empty() {
            let history = Rc::make_mut(&mut log.history);
            if history.last().map(String::as_str) != Some(line) {
                history.push(line.to_string());
            }
            if history.len() > MAX_HISTORY {
                history.remove(0);
            }
        }
        // `clear` empties the screen, as in redis-cli.
        if line.trim().eq_ignore_ascii_case("clear") {
            Rc::make_mut(&mut log.lines).clear();
        }
        // The command may have woken a blocked command in another console.
        self.poll_consoles();
    }

    fn print(log: &mut ConsoleLog, output: Vec<String>) {
        let lines = Rc::make_mut(&mut log.lines);
        for text in output {
            let kind = if text.starts_with("(error) ") || text.starts_with("Could not connect") {
                LineKind::Error
            } else {
                LineKind::Output
            };
            lines.push(Line { kind, text });
        }
        if lines.len() > MAX_LINES {
            lines.drain(..lines.len() - MAX_LINES);
        }
    }

    /// Ctrl-C in a console: stops a blocked command or message reading.
    pub fn interrupt(&mut self, port: u16) {
        let Some(log) = self.consoles.get_mut(&port) else { return };
        if !log.console.is_waiting() {
            return;
        }
        let output = log.console.interrupt(&mut self.sim);
        Self::print(log, output);
        Self::print(log, vec!["^C".to_string()]);
    }

    /// Lets virtual time pass; blocked consoles print their answers.
    pub fn advance(&mut self, ms: Millis) {
        self.sim.advance(ms);
        self.poll_consoles();
    }

    fn poll_consoles(&mut self) {
        for log in self.consoles.values_mut() {
            if log.console.is_waiting() {
                if let Some(output) = log.console.poll(&mut self.sim) {
                    Self::print(log, output);
                }
            }
        }
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let snapshot = self.sim.snapshot();
        self.consoles
            .iter()
            .map(|(&port, log)| {
                let node = snapshot.iter().find(|n| n.port == port);
                NodeView {
                    port,
                    role: node.map_or("down", |n| n.role),
                    keys: node.map_or(0, |n| n.keys),
                    console: ConsoleView {
                        prompt: log.console.prompt(&self.sim),
                        waiting: log.console.is_waiting(),
                        lines: Rc::clone(&log.lines),
                        history: Rc::clone(&log.history),
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_servers_add_and_remove() {
        let mut p = Playground::new(1, 0, &[6379, 6380, 6381]);
        assert_eq!(p.nodes().iter().map(|n| n.port).collect::<Vec<_>>(), [6379, 6380, 6381]);
        assert_eq!(p.add_server().unwrap(), 6382);
        p.remove_server(6380).unwrap();
        assert_eq!(p.add_server().unwrap(), 6380);
        assert!(p.remove_server(7000).is_err());
    }

    #[test]
    fn console_lines_and_history() {
        let mut p = Playground::new(1, 0, &[6379]);
        p.run(6379, "SET k1 v1");
        p.run(6379, "GET");
        p.run(6379, "GET");
        let node = &p.nodes()[0];
        assert_eq!(node.keys, 1);
        let texts: Vec<&str> = node.console.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[..2], ["127.0.0.1:6379> SET k1 v1", "OK"]);
        assert_eq!(node.console.lines[3].kind, LineKind::Error);
        assert_eq!(*node.console.history, ["SET k1 v1", "GET"]);
        p.run(6379, "clear");
        assert!(p.nodes()[0].console.lines.is_empty());
    }
}
