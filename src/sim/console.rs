//! A redis-cli session against one node of the simulator: what an
//! interactive `redis-cli -p PORT` does with a typed line (split it, handle
//! its own words like `quit` and repeat counts, send the command, print the
//! reply, keep the prompt). Scenario transcripts and the web consoles both
//! use it, so they print the same thing.

use super::{ClientHandle, Sim};
use crate::engine::cli::{self, PromptState};
use crate::engine::resp::{encode_command, parse_frame, Frame};

/// One typed line and what redis-cli printed for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The prompt as it stood when the line was typed, followed by the line.
    pub prompt_line: String,
    pub output: Vec<String>,
}

pub struct Console {
    port: u16,
    prompt: PromptState,
    client: Option<ClientHandle>,
}

impl Console {
    /// Starts a session; like redis-cli, it connects at once if it can.
    pub fn open(sim: &mut Sim, port: u16) -> Console {
        let mut console = Console { port, prompt: PromptState::default(), client: None };
        console.client = sim.connect(port);
        console
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn connected(&self, sim: &Sim) -> bool {
        self.client.is_some_and(|h| sim.is_open(h))
    }

    /// The prompt redis-cli would show now.
    pub fn prompt(&self, sim: &Sim) -> String {
        self.prompt.prompt(self.port, self.connected(sim))
    }

    /// Types `line` and returns what the terminal shows for it.
    pub fn run(&mut self, sim: &mut Sim, line: &str) -> Exchange {
        let prompt_line = format!("{}{}", self.prompt(sim), line);
        let output = self.run_line(sim, line);
        Exchange { prompt_line, output }
    }

    fn run_line(&mut self, sim: &mut Sim, line: &str) -> Vec<String> {
        let Ok(mut args) = cli::split_args(line.as_bytes()) else {
            return vec!["Invalid argument(s)".to_string()];
        };
        if args.is_empty() {
            return Vec::new();
        }
        let mut repeat = 1;
        if args.len() > 1 {
            if let Some(n) = parse_repeat(&args[0]) {
                if n <= 0 {
                    return vec!["Invalid redis-cli repeat command option value.".to_string()];
                }
                repeat = n;
                args.remove(0);
            }
        }
        let name = args[0].to_ascii_lowercase();
        if name == b"quit" || name == b"exit" {
            // redis-cli itself exits; the console drops its connection and
            // reconnects on the next line, as starting redis-cli again would.
            if let Some(handle) = self.client.take() {
                sim.close(handle);
            }
            self.prompt = PromptState::default();
            return Vec::new();
        }
        if name == b"clear" && args.len() == 1 {
            return Vec::new();
        }
        let mut output = Vec::new();
        for _ in 0..repeat.min(MAX_REPEAT) {
            match self.send(sim, &args) {
                Ok(reply) => {
                    output.extend(cli::reply_lines(&args, &reply));
                    self.prompt.after_reply(&args, &reply);
                }
                Err(message) => {
                    output.push(message);
                    break;
                }
            }
        }
        output
    }

    /// Sends one command and waits for its reply, reconnecting first if the
    /// connection is gone, as redis-cli does.
    fn send(&mut self, sim: &mut Sim, args: &[Vec<u8>]) -> Result<Frame, String> {
        if !self.connected(sim) {
            self.client = sim.connect(self.port);
            let Some(handle) = self.client else {
                return Err(format!("Could not connect to Redis at 127.0.0.1:{}: Connection refused", self.port));
            };
            // redis-cli selects its database again on a new connection.
            if self.prompt.db != 0 {
                let select = vec![b"SELECT".to_vec(), self.prompt.db.to_string().into_bytes()];
                let mut bytes = Vec::new();
                encode_command(&select, &mut bytes);
                sim.send(handle, &bytes);
                sim.take_inbox(handle);
            }
        }
        let handle = self.client.ok_or_else(|| "not connected".to_string())?;
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        sim.send(handle, &bytes);
        let inbox = sim.take_inbox(handle);
        match parse_frame(&inbox) {
            Ok(Some((frame, _))) => Ok(frame),
            Ok(None) => Err("Error: Server closed the connection".to_string()),
            Err(e) => Err(format!("Error: {e}")),
        }
    }
}

/// More repeats than anyone types on purpose would only freeze the page.
const MAX_REPEAT: i64 = 10_000;

/// The repeat count redis-cli reads from a first word made only of a number
/// (`strtol` with nothing left over).
fn parse_repeat(word: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(word).ok()?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return None;
    }
    match trimmed.parse::<i64>() {
        Ok(n) => Some(n),
        // strtol saturates on overflow and sets ERANGE, which redis-cli refuses.
        Err(_) if trimmed.trim_start_matches(['+', '-']).bytes().all(|b| b.is_ascii_digit()) => Some(0),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_like_redis_cli() {
        let mut sim = Sim::new(1, 0);
        sim.start_server(6379, &[] as &[&str]).unwrap();
        let mut c = Console::open(&mut sim, 6379);
        let e = c.run(&mut sim, "SET k1 v1");
        assert_eq!(e.prompt_line, "127.0.0.1:6379> SET k1 v1");
        assert_eq!(e.output, ["OK"]);
        assert_eq!(c.run(&mut sim, "GET k1").output, ["\"v1\""]);
        assert_eq!(c.run(&mut sim, "SELECT 3").output, ["OK"]);
        assert_eq!(c.run(&mut sim, "GET k1").prompt_line, "127.0.0.1:6379[3]> GET k1");
        assert_eq!(c.run(&mut sim, "3 INCR n").output, ["(integer) 1", "(integer) 2", "(integer) 3"]);
        assert_eq!(c.run(&mut sim, "GET \"a").output, ["Invalid argument(s)"]);
        assert_eq!(c.run(&mut sim, "-2 PING").output, ["Invalid redis-cli repeat command option value."]);
    }

    #[test]
    fn a_node_that_is_down() {
        let mut sim = Sim::new(1, 0);
        let mut c = Console::open(&mut sim, 6380);
        let e = c.run(&mut sim, "PING");
        assert_eq!(e.prompt_line, "not connected> PING");
        assert_eq!(e.output, ["Could not connect to Redis at 127.0.0.1:6380: Connection refused"]);
        sim.start_server(6380, &[] as &[&str]).unwrap();
        assert_eq!(c.run(&mut sim, "PING").output, ["PONG"]);
    }
}
