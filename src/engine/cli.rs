//! What `redis-cli` does on the client side of a console: split a typed line
//! into arguments with its quoting rules, print replies the way it prints
//! them in a terminal (`--no-raw`), and keep the prompt (`[db]`, `(TX)`).
//!
//! The scenario transcripts and the web consoles both go through here, so a
//! learner sees exactly what redis-cli would show.

use super::resp::Frame;

pub use super::splitargs::{split_args, InvalidArguments};

/// A reply as redis-cli's CSV output writes it (`--csv`, and its replica
/// mode): strings quoted, arrays flattened with commas.
pub fn csv(frame: &Frame) -> String {
    let mut out = String::new();
    fn write(frame: &Frame, out: &mut String) {
        match frame {
            Frame::Error(e) => {
                out.push_str("ERROR,");
                repr(e.as_bytes(), out);
            }
            Frame::Simple(s) => repr(s.as_bytes(), out),
            Frame::Bulk(b) => repr(b, out),
            Frame::Integer(n) => out.push_str(&n.to_string()),
            Frame::Null | Frame::NullArray => out.push_str("NULL"),
            Frame::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
            }
        }
    }
    write(frame, &mut out);
    out
}

/// Quotes a bulk string as redis-cli shows it (sdscatrepr).
pub fn repr(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// A reply as an interactive redis-cli prints it; every line ends in `\n`.
pub fn format_reply(frame: &Frame) -> String {
    let mut out = String::new();
    format_tty(frame, "", &mut out);
    out
}

fn format_tty(frame: &Frame, prefix: &str, out: &mut String) {
    match frame {
        Frame::Error(text) => {
            out.push_str("(error) ");
            out.push_str(text);
            out.push('\n');
        }
        Frame::Simple(text) => {
            out.push_str(text);
            out.push('\n');
        }
        Frame::Integer(n) => {
            out.push_str(&format!("(integer) {n}\n"));
        }
        Frame::Bulk(bytes) => {
            repr(bytes, out);
            out.push('\n');
        }
        Frame::Null | Frame::NullArray => out.push_str("(nil)\n"),
        Frame::Array(items) if items.is_empty() => out.push_str("(empty array)\n"),
        Frame::Array(items) => {
            let width = items.len().to_string().len();
            let nested_prefix = format!("{prefix}{}", " ".repeat(width + 2));
            for (i, item) in items.iter().enumerate() {
                // The parent already printed this line's prefix for item one.
                let lead = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{lead}{:>width$}) ", i + 1));
                format_tty(item, &nested_prefix, out);
            }
        }
    }
}

/// A reply as redis-cli prints it for INFO, CLIENT LIST and the other
/// commands it shows verbatim: bytes as they are, no trailing newline added
/// to strings, nil prints nothing.
pub fn format_reply_raw(frame: &Frame) -> String {
    match frame {
        Frame::Null | Frame::NullArray => String::new(),
        Frame::Error(text) => format!("{text}\n"),
        Frame::Simple(text) => text.clone(),
        Frame::Bulk(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Frame::Integer(n) => n.to_string(),
        Frame::Array(items) => items.iter().map(format_reply_raw).collect::<Vec<_>>().join("\n"),
    }
}

fn eq_ignore_case(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// Whether redis-cli prints this command's reply verbatim instead of quoting it.
pub fn prints_raw(args: &[Vec<u8>]) -> bool {
    let Some(cmd) = args.first() else { return false };
    let sub = |name: &str| args.get(1).is_some_and(|a| eq_ignore_case(a, name));
    let argc = args.len();
    eq_ignore_case(cmd, "info")
        || eq_ignore_case(cmd, "lolwut")
        || (eq_ignore_case(cmd, "debug") && (sub("htstats") || sub("htstats-key") || sub("client-eviction")))
        || (eq_ignore_case(cmd, "memory") && (sub("malloc-stats") || sub("doctor")))
        || (argc == 2 && eq_ignore_case(cmd, "cluster") && (sub("nodes") || sub("info")))
        || (eq_ignore_case(cmd, "client") && (sub("list") || sub("info")))
        || (argc == 3 && eq_ignore_case(cmd, "latency") && sub("graph"))
        || (argc == 2 && eq_ignore_case(cmd, "latency") && sub("doctor"))
}

/// Formats a reply to `args` exactly as an interactive redis-cli would,
/// as a list of lines without their line ends.
pub fn reply_lines(args: &[Vec<u8>], reply: &Frame) -> Vec<String> {
    reply_output(args, reply).0
}

/// The lines of a reply, and whether the terminal is left at the start of
/// a line: a raw reply such as INFO's `QUEUED` inside MULTI has no newline,
/// so redis-cli's next prompt follows it on the same line.
pub fn reply_output(args: &[Vec<u8>], reply: &Frame) -> (Vec<String>, bool) {
    let text = if prints_raw(args) {
        format_reply_raw(reply).replace("\r\n", "\n")
    } else {
        format_reply(reply)
    };
    let terminated = text.is_empty() || text.ends_with('\n');
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    (lines, terminated)
}

/// The client-side state redis-cli keeps for its prompt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromptState {
    pub db: i64,
    pub in_multi: bool,
    pre_multi_db: i64,
}

impl PromptState {
    /// `127.0.0.1:6379[2](TX)> `, or `not connected> ` without a connection.
    pub fn prompt(&self, port: u16, connected: bool) -> String {
        if !connected {
            return "not connected> ".to_string();
        }
        let mut p = format!("127.0.0.1:{port}");
        if self.db != 0 {
            p.push_str(&format!("[{}]", self.db));
        }
        if self.in_multi {
            p.push_str("(TX)");
        }
        p.push_str("> ");
        p
    }

    /// Updates the prompt after a reply, with redis-cli's own rules (it
    /// trusts a non-error reply to SELECT even when it was only QUEUED).
    pub fn after_reply(&mut self, args: &[Vec<u8>], reply: &Frame) {
        let Some(cmd) = args.first() else { return };
        let is_error = matches!(reply, Frame::Error(_));
        let is_nil = matches!(reply, Frame::Null | Frame::NullArray);
        if eq_ignore_case(cmd, "select") && args.len() == 2 && !is_error {
            self.db = super::numfmt::atoi(&args[1]);
        } else if eq_ignore_case(cmd, "multi") && args.len() == 1 && !is_error {
            self.in_multi = true;
            self.pre_multi_db = self.db;
        } else if eq_ignore_case(cmd, "exec") && args.len() == 1 && self.in_multi {
            self.in_multi = false;
            if is_error || is_nil {
                self.db = self.pre_multi_db;
            }
        } else if eq_ignore_case(cmd, "discard") && args.len() == 1 && !is_error {
            self.in_multi = false;
            self.db = self.pre_multi_db;
        } else if eq_ignore_case(cmd, "reset") && args.len() == 1 && !is_error {
            self.in_multi = false;
            self.db = 0;
        }
    }

    /// A new connection starts in db 0 outside a transaction. (redis-cli
    /// re-selects its last db on reconnect; this mirrors what the server has.)
    pub fn reset(&mut self) {
        *self = PromptState::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Result<Vec<String>, InvalidArguments> {
        split_args(s.as_bytes()).map(|v| v.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
    }

    #[test]
    fn splits_with_redis_cli_quoting() {
        assert_eq!(split("  SET  k   v ").unwrap(), ["SET", "k", "v"]);
        assert_eq!(split(r#"SET "a b" 'c d'"#).unwrap(), ["SET", "a b", "c d"]);
        assert_eq!(split(r#"SET k "x\ny\x41\"""#).unwrap(), ["SET", "k", "x\nyA\""]);
        assert_eq!(split(r#"SET k 'it\'s'"#).unwrap(), ["SET", "k", "it's"]);
        assert_eq!(split(r#"SET k 'a\nb'"#).unwrap(), ["SET", "k", "a\\nb"]);
        assert_eq!(split(r#"SET k a"b" c"#).unwrap(), ["SET", "k", "ab", "c"]);
        assert_eq!(split(r#"SET k a"b"c"#), Err(InvalidArguments));
        assert_eq!(split(r#"SET k """#).unwrap(), ["SET", "k", ""]);
        assert_eq!(split(r#"SET k "unterminated"#), Err(InvalidArguments));
        assert_eq!(split(r#"SET k "a"b"#), Err(InvalidArguments));
        assert_eq!(split("SET k 'a'b"), Err(InvalidArguments));
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn formats_like_redis_cli_no_raw() {
        assert_eq!(format_reply(&Frame::ok()), "OK\n");
        assert_eq!(format_reply(&Frame::bulk(&b"a\"b\\\x01\xc3"[..])), "\"a\\\"b\\\\\\x01\\xc3\"\n");
        assert_eq!(format_reply(&Frame::Array(vec![])), "(empty array)\n");
        let nested = Frame::Array(vec![
            Frame::Integer(1),
            Frame::Array(vec![Frame::Integer(2), Frame::bulk(&b"a"[..])]),
        ]);
        assert_eq!(format_reply(&nested), "1) (integer) 1\n2) 1) (integer) 2\n   2) \"a\"\n");
        let ten = Frame::Array((1..=10).map(Frame::Integer).collect());
        let text = format_reply(&ten);
        assert!(text.starts_with(" 1) (integer) 1\n"));
        assert!(text.ends_with("10) (integer) 10\n"));
    }

    #[test]
    fn prompt_follows_select_and_multi() {
        let mut p = PromptState::default();
        let args = |s: &str| split_args(s.as_bytes()).unwrap();
        p.after_reply(&args("SELECT 2"), &Frame::ok());
        assert_eq!(p.prompt(6379, true), "127.0.0.1:6379[2]> ");
        p.after_reply(&args("MULTI"), &Frame::ok());
        assert_eq!(p.prompt(6379, true), "127.0.0.1:6379[2](TX)> ");
        p.after_reply(&args("DISCARD"), &Frame::ok());
        assert_eq!(p.prompt(6380, true), "127.0.0.1:6380[2]> ");
        assert_eq!(p.prompt(6380, false), "not connected> ");
    }
}
