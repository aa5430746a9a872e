//! A redis-cli session against one node of the simulator: what an
//! interactive `redis-cli -p PORT` does with a typed line (split it, handle
//! its own words like `quit` and repeat counts, send the command, print the
//! reply, keep the prompt). Scenario transcripts and the web consoles both
//! use it, so they print the same thing.

use crate::sim::{ClientHandle, Sim};
use crate::engine::cli::{self, PromptState};
use crate::engine::time::Millis;
use crate::engine::resp::{encode_command, parse_frame, Frame};

/// One typed line and what redis-cli printed for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The prompt as it stood when the line was typed, followed by the line.
    pub prompt_line: String,
    pub output: Vec<String>,
    /// The command is blocked (BLPOP...): the rest comes from `poll`.
    pub pending: bool,
}

/// A command sent and not answered yet.
#[derive(Clone)]
struct Waiting {
    args: Vec<Vec<u8>>,
    sent_at: Millis,
    /// Repeats still to send after this one (`3 BLPOP ...`).
    repeats_left: i64,
}

#[derive(Clone)]
pub struct Console {
    port: u16,
    prompt: PromptState,
    client: Option<ClientHandle>,
    /// Bytes received and not yet parsed into a reply.
    buffer: Vec<u8>,
    waiting: Option<Waiting>,
    /// After (P|S)SUBSCRIBE redis-cli only prints what arrives, until ^C.
    reading_messages: bool,
    /// Output already printed for the current line before it blocked.
    partial: Vec<String>,
    /// redis-cli remembers it sent SHUTDOWN (and never forgets): from then
    /// on a lost connection is dropped silently.
    shutdown_sent: bool,
    /// Output printed without a final newline: the next prompt follows it.
    unterminated: String,
    /// After SYNC: redis-cli's replica output mode, where it is in reading
    /// what the master sends.
    replica_mode: Option<ReplicaRead>,
}

/// redis-cli's replica output mode, step by step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplicaRead {
    /// Waiting for the `$<length>` line (newlines before it are keep-alives).
    Header,
    /// Skipping the snapshot: this many bytes are left.
    Payload(usize),
    /// Printing every command of the stream, as CSV.
    Stream,
}

impl Console {
    /// Starts a session; like redis-cli, it connects at once if it can.
    pub fn open(sim: &mut Sim, port: u16) -> Console {
        let mut console = Console {
            port,
            prompt: PromptState::default(),
            client: None,
            buffer: Vec::new(),
            waiting: None,
            reading_messages: false,
            partial: Vec::new(),
            shutdown_sent: false,
            unterminated: String::new(),
            replica_mode: None,
        };
        console.client = sim.connect(port);
        console
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The prompt redis-cli would show now: it believes it is connected
    /// until a command finds out otherwise.
    pub fn prompt(&self) -> String {
        self.prompt.prompt(self.port, self.client.is_some())
    }

    /// The page's consoles notice at once that the node closed their
    /// connection (it died, or killed the client) and show `not
    /// connected>`, where redis-cli, blocked reading the next line, finds
    /// out only with the next command. True if it changed.
    pub fn notice_closed(&mut self, sim: &Sim) -> bool {
        match self.client {
            Some(handle) if !self.is_waiting() && !sim.is_open(handle) => {
                self.client = None;
                self.buffer.clear();
                true
            }
            _ => false,
        }
    }

    /// Whether a command it sent waits for its answer (BLPOP...).
    pub fn is_blocked(&self) -> bool {
        self.waiting.is_some()
    }

    /// Whether it prints pub/sub messages and takes no commands.
    pub fn is_reading_messages(&self) -> bool {
        self.reading_messages
    }

    /// Whether the console shows no prompt: a command blocks, or it is
    /// reading pub/sub messages.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some() || self.reading_messages
    }

    /// Types `line` and returns what the terminal shows for it.
    pub fn run(&mut self, sim: &mut Sim, line: &str) -> Exchange {
        let prompt_line = format!("{}{}{}", std::mem::take(&mut self.unterminated), self.prompt(), line);
        if self.is_waiting() {
            // redis-cli reads no new line until the answer (or ^C).
            return Exchange { prompt_line, output: Vec::new(), pending: true };
        }
        let output = self.run_line(sim, line);
        if self.waiting.is_some() {
            self.partial = output;
            return Exchange { prompt_line, output: Vec::new(), pending: true };
        }
        Exchange { prompt_line, output, pending: false }
    }

    /// Ctrl-C: stops waiting or reading messages. redis-cli would exit; the
    /// console drops the connection and starts afresh, as running it again would.
    pub fn interrupt(&mut self, sim: &mut Sim) -> Vec<String> {
        let output = std::mem::take(&mut self.partial);
        if let Some(handle) = self.client.take() {
            sim.close(handle);
        }
        self.buffer.clear();
        self.waiting = None;
        self.reading_messages = false;
        self.replica_mode = None;
        self.prompt = PromptState::default();
        self.client = sim.connect(self.port);
        output
    }

    /// What arrived since the last call: a blocked command's answer, or
    /// pub/sub messages. `None` when there is nothing new.
    pub fn poll(&mut self, sim: &mut Sim) -> Option<Vec<String>> {
        if self.replica_mode.is_some() {
            let output = self.read_as_replica(sim);
            return (!output.is_empty()).then_some(output);
        }
        if self.reading_messages {
            let frames = self.read_frames(sim).ok()?;
            let mut output = std::mem::take(&mut self.partial);
            for frame in frames {
                output.extend(cli::reply_lines(&[], &frame));
                if matches!(frame, Frame::Error(_)) {
                    self.reading_messages = false;
                }
            }
            return (!output.is_empty()).then_some(output);
        }
        let waiting = self.waiting.take()?;
        let frames = match self.read_frames(sim) {
            Ok(frames) => frames,
            Err(message) => return Some(vec![message]),
        };
        let Some(reply) = frames.into_iter().next() else {
            self.waiting = Some(waiting);
            return None;
        };
        let mut output = std::mem::take(&mut self.partial);
        output.extend(self.print_reply(&waiting.args, &reply, sim.now() - waiting.sent_at));
        for left in (0..waiting.repeats_left).rev() {
            match self.send(sim, &waiting.args) {
                Ok(Some(reply)) => output.extend(self.print_reply(&waiting.args, &reply, 0)),
                Ok(None) => {
                    self.waiting = Some(Waiting { args: waiting.args.clone(), sent_at: sim.now(), repeats_left: left });
                    self.partial = output;
                    return None;
                }
                Err(message) => {
                    output.push(message);
                    break;
                }
            }
        }
        Some(output)
    }

    /// The lines for one reply, and redis-cli's elapsed-time line when the
    /// command took half a second or more.
    fn print_reply(&mut self, args: &[Vec<u8>], reply: &Frame, elapsed_ms: Millis) -> Vec<String> {
        let (mut lines, terminated) = cli::reply_output(args, reply);
        self.prompt.after_reply(args, reply);
        if !terminated {
            self.unterminated = lines.pop().unwrap_or_default();
        }
        if elapsed_ms >= 500 {
            lines.push(format!("({:.2}s)", elapsed_ms as f64 / 1000.0));
        }
        lines
    }

    /// Output left without a newline when the session ends.
    pub fn flush(&mut self) -> Option<String> {
        (!self.unterminated.is_empty()).then(|| std::mem::take(&mut self.unterminated))
    }

    fn run_line(&mut self, sim: &mut Sim, line: &str) -> Vec<String> {
        let Ok(mut args) = cli::split_args(line.as_bytes()) else {
            return vec!["Invalid argument(s)".to_string()];
        };
        if args.is_empty() {
            return Vec::new();
        }
        // `help ...` is redis-cli's own: answered here, never sent.
        if args[0].eq_ignore_ascii_case(b"help") {
            let topics: Vec<String> = args[1..].iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            return crate::engine::cli_help::help(&topics);
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
            // redis-cli itself exits; the console starts afresh, as running
            // redis-cli again would: a new connection, db 0.
            if let Some(handle) = self.client.take() {
                sim.close(handle);
            }
            self.buffer.clear();
            self.prompt = PromptState::default();
            self.client = sim.connect(self.port);
            return Vec::new();
        }
        if name == b"clear" && args.len() == 1 {
            return Vec::new();
        }
        if matches!(name.as_slice(), b"subscribe" | b"psubscribe" | b"ssubscribe") {
            return self.start_reading(sim, &args, Some("Reading messages... (press Ctrl-C to quit)"));
        }
        // MONITOR: redis-cli prints every reply as it comes, without a banner.
        if name == b"monitor" {
            return self.start_reading(sim, &args, None);
        }
        if name == b"sync" || name == b"psync" {
            return self.start_replica_mode(sim, &args);
        }
        let mut output = Vec::new();
        let repeat = repeat.min(MAX_REPEAT);
        for done in 1..=repeat {
            match self.send(sim, &args) {
                Ok(Some(reply)) => output.extend(self.print_reply(&args, &reply, 0)),
                Ok(None) => {
                    self.waiting = Some(Waiting { args, sent_at: sim.now(), repeats_left: repeat - done });
                    break;
                }
                Err(message) => {
                    if !message.is_empty() {
                        output.push(message);
                    }
                    break;
                }
            }
        }
        output
    }

    /// (P|S)SUBSCRIBE and MONITOR: redis-cli (announces that it reads
    /// messages and) prints every reply as it comes, and stops only on an
    /// error (or ^C).
    fn start_reading(&mut self, sim: &mut Sim, args: &[Vec<u8>], banner: Option<&str>) -> Vec<String> {
        if let Err(message) = self.ensure_connected(sim) {
            return vec![message];
        }
        let mut output: Vec<String> = banner.map(str::to_string).into_iter().collect();
        self.reading_messages = true;
        let Some(handle) = self.client else { return output };
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        sim.send(handle, &bytes);
        if let Some(more) = self.poll(sim) {
            output.extend(more);
        }
        output
    }

    /// SYNC (or PSYNC) typed in redis-cli: it becomes a replica of the
    /// node, skips the snapshot and prints the stream of commands, in CSV.
    fn start_replica_mode(&mut self, sim: &mut Sim, args: &[Vec<u8>]) -> Vec<String> {
        if let Err(message) = self.ensure_connected(sim) {
            return vec![message];
        }
        let mut output = vec!["Entering replica output mode...  (press Ctrl-C to quit)".to_string()];
        let Some(handle) = self.client else { return output };
        // What was typed goes first, then redis-cli's own SYNC (which the
        // master ignores on a connection that is already its replica).
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        bytes.extend_from_slice(b"SYNC\r\n");
        self.reading_messages = true;
        self.replica_mode = Some(ReplicaRead::Header);
        sim.send(handle, &bytes);
        output.extend(self.read_as_replica(sim));
        output
    }

    /// What redis-cli prints of the bytes its master sent since last time.
    fn read_as_replica(&mut self, sim: &mut Sim) -> Vec<String> {
        let Some(handle) = self.client else { return Vec::new() };
        self.buffer.extend(sim.take_inbox(handle));
        let mut output = Vec::new();
        loop {
            match self.replica_mode {
                Some(ReplicaRead::Header) => {
                    let skip = self.buffer.iter().take_while(|&&b| b == b'\n').count();
                    self.buffer.drain(..skip);
                    let Some(end) = self.buffer.iter().position(|&b| b == b'\n') else { break };
                    let line: Vec<u8> = self.buffer.drain(..=end).collect();
                    let line = String::from_utf8_lossy(&line).trim_end().to_string();
                    if line.starts_with('-') {
                        // redis-cli exits; the console starts afresh.
                        output.push(format!("SYNC with master failed: {line}"));
                        self.replica_mode = None;
                        self.reading_messages = false;
                        break;
                    }
                    let length = line.get(1..).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
                    output.push(format!("SYNC with master, discarding {length} bytes of bulk transfer..."));
                    self.replica_mode = Some(ReplicaRead::Payload(length));
                }
                Some(ReplicaRead::Payload(left)) => {
                    let skip = left.min(self.buffer.len());
                    self.buffer.drain(..skip);
                    if skip < left {
                        self.replica_mode = Some(ReplicaRead::Payload(left - skip));
                        break;
                    }
                    output.push("SYNC done. Logging commands from master.".to_string());
                    self.replica_mode = Some(ReplicaRead::Stream);
                }
                Some(ReplicaRead::Stream) => match parse_frame(&self.buffer) {
                    Ok(Some((frame, used))) => {
                        self.buffer.drain(..used);
                        output.push(cli::csv(&frame));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        output.push(format!("Error: {e}"));
                        self.replica_mode = None;
                        self.reading_messages = false;
                        break;
                    }
                },
                None => break,
            }
        }
        output
    }

    /// Connects if there is no connection (redis-cli's context is NULL).
    fn ensure_connected(&mut self, sim: &mut Sim) -> Result<(), String> {
        if self.client.is_some() {
            return Ok(());
        }
        self.buffer.clear();
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
        Ok(())
    }

    /// Every complete reply received so far.
    fn read_frames(&mut self, sim: &mut Sim) -> Result<Vec<Frame>, String> {
        let Some(handle) = self.client else { return Ok(Vec::new()) };
        self.buffer.extend(sim.take_inbox(handle));
        let mut frames = Vec::new();
        loop {
            match parse_frame(&self.buffer) {
                Ok(Some((frame, used))) => {
                    self.buffer.drain(..used);
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(e) => {
                    self.buffer.clear();
                    return Err(format!("Error: {e}"));
                }
            }
        }
        if frames.is_empty() && !sim.is_open(handle) {
            return Err("Error: Server closed the connection".to_string());
        }
        Ok(frames)
    }

    /// Sends one command and reads its reply (`None`: the command blocked),
    /// connecting first if there is no connection, as redis-cli does. A
    /// connection that died meanwhile fails this command; the next one
    /// connects again.
    fn send(&mut self, sim: &mut Sim, args: &[Vec<u8>]) -> Result<Option<Frame>, String> {
        self.ensure_connected(sim)?;
        let handle = self.client.ok_or_else(|| "not connected".to_string())?;
        if args.first().is_some_and(|a| a.eq_ignore_ascii_case(b"shutdown")) {
            self.shutdown_sent = true;
        }
        let alive = sim.is_open(handle);
        if alive {
            let mut bytes = Vec::new();
            encode_command(args, &mut bytes);
            sim.send(handle, &bytes);
        }
        match self.read_frames(sim) {
            Ok(frames) if !frames.is_empty() => Ok(frames.into_iter().next()),
            Ok(_) if alive && sim.is_open(handle) => Ok(None),
            _ => {
                self.client = None;
                self.buffer.clear();
                if self.shutdown_sent {
                    // redis-cli says nothing once it has sent a SHUTDOWN.
                    Err(String::new())
                } else {
                    Err("Error: Server closed the connection".to_string())
                }
            }
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
