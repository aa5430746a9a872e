//! The server log: the lines real Redis writes to its log file for the
//! steps a learner watches (replication handshakes, syncs, lost links),
//! worded as Redis 7.0 words them, stamped with virtual time.

use super::keyspace::Millis;

/// Redis keeps the last lines; the page shows far fewer.
const KEPT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: Millis,
    /// `M` master, `S` replica, `C` a forked child (as in Redis's log).
    pub role: char,
    /// `*` notice, `#` warning.
    pub level: char,
    pub text: String,
}

impl LogLine {
    /// `S * text`: the line without the pid and the date.
    pub fn short(&self) -> String {
        format!("{} {} {}", self.role, self.level, self.text)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Log {
    lines: Vec<LogLine>,
}

impl Log {
    pub(crate) fn push(&mut self, line: LogLine) {
        if self.lines.len() >= KEPT {
            self.lines.remove(0);
        }
        self.lines.push(line);
    }

    /// The lines written since the last call.
    pub fn take(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.lines)
    }
}
