//! RESP2 values and their wire form: encoding replies and commands, and an
//! incremental parser that never panics on malformed or partial input.
//!
//! Links in the simulator carry these bytes, so every reply a console prints
//! has really been encoded by a node and decoded again on the client side.

use std::fmt;

/// One RESP value, as a node sends it or a client receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<Frame>),
    /// `*-1`, the null array (e.g. an aborted EXEC or a timed-out BLPOP).
    NullArray,
}

impl Frame {
    pub fn ok() -> Frame {
        Frame::Simple("OK".into())
    }

    pub fn error(text: impl Into<String>) -> Frame {
        Frame::Error(text.into())
    }

    pub fn bulk(bytes: impl Into<Vec<u8>>) -> Frame {
        Frame::Bulk(bytes.into())
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Simple(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Error(s) => {
                out.push(b'-');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Integer(n) => {
                out.push(b':');
                push_decimal(out, *n);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Bulk(b) => {
                out.push(b'$');
                push_decimal(out, b.len() as i64);
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Null => out.extend_from_slice(b"$-1\r\n"),
            Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Frame::Array(items) => {
                out.push(b'*');
                push_decimal(out, items.len() as i64);
                out.extend_from_slice(b"\r\n");
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Encodes a command the way clients and masters send it: an array of bulks.
/// Writes `n` in decimal without going through a String: every reply and
/// every propagated command has a few of these.
pub fn push_decimal(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    out.push(b'*');
    push_decimal(out, args.len() as i64);
    out.extend_from_slice(b"\r\n");
    for arg in args {
        let arg = arg.as_ref();
        out.push(b'$');
        push_decimal(out, arg.len() as i64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Why a byte stream is not valid RESP. The texts are the ones Redis uses
/// when it closes a client for a protocol error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    ExpectedDollar(u8),
    UnbalancedQuotes,
    InvalidType(u8),
    InvalidInteger,
    TooBigInline,
    /// A `*` line still unterminated past 64 KB.
    TooBigMultibulkCount,
    /// A `$` line still unterminated past 64 KB.
    TooBigBulkCount,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidMultibulkLength => write!(f, "Protocol error: invalid multibulk length"),
            ProtocolError::InvalidBulkLength => write!(f, "Protocol error: invalid bulk length"),
            ProtocolError::ExpectedDollar(c) => {
                write!(f, "Protocol error: expected '$', got '{}'", *c as char)
            }
            ProtocolError::UnbalancedQuotes => write!(f, "Protocol error: unbalanced quotes in request"),
            ProtocolError::InvalidType(c) => write!(f, "Protocol error: invalid reply type byte {c:#04x}"),
            ProtocolError::InvalidInteger => write!(f, "Protocol error: invalid integer"),
            ProtocolError::TooBigInline => write!(f, "Protocol error: too big inline request"),
            ProtocolError::TooBigMultibulkCount => write!(f, "Protocol error: too big mbulk count string"),
            ProtocolError::TooBigBulkCount => write!(f, "Protocol error: too big bulk count string"),
        }
    }
}

/// Redis refuses bulk arguments larger than `proto-max-bulk-len` (512 MB)
/// and multibulk counts above 1024*1024*1024; the same limits keep a bogus
/// length field from making us allocate.
const MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
const MAX_MULTIBULK_LEN: i64 = 1024 * 1024 * 1024;

/// How long an unterminated inline request, `*` or `$` line may grow
/// (Redis's PROTO_INLINE_MAX_SIZE).
const INLINE_MAX: usize = 64 * 1024;

/// The most arguments a request may announce (`processMultibulkBuffer`).
const MAX_REQUEST_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// Finds `\r\n` starting at `from`; returns the index of `\r`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

/// A decimal integer as `str::parse::<i64>` reads one (an optional sign,
/// digits only, no overflow), without the UTF-8 check: every length in
/// every request goes through here.
fn parse_int(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        let digit = (b - b'0') as i64;
        value = value.checked_mul(10)?;
        value = if negative { value.checked_sub(digit)? } else { value.checked_add(digit)? };
    }
    Some(value)
}

/// Parses one reply frame from the front of `buf`. Returns the frame and
/// how many bytes it used, `Ok(None)` when more bytes are needed.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, ProtocolError> {
    parse_frame_at(buf, 0, 0)
}

/// Nesting deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

fn parse_frame_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let Some(eol) = find_crlf(buf, at + 1) else { return Ok(None) };
    let line = &buf[at + 1..eol];
    let next = eol + 2;
    match kind {
        b'+' => Ok(Some((Frame::Simple(String::from_utf8_lossy(line).into_owned()), next))),
        b'-' => Ok(Some((Frame::Error(String::from_utf8_lossy(line).into_owned()), next))),
        b':' => {
            let n = parse_int(line).ok_or(ProtocolError::InvalidInteger)?;
            Ok(Some((Frame::Integer(n), next)))
        }
        b'$' => {
            let len = parse_int(line).ok_or(ProtocolError::InvalidBulkLength)?;
            if len == -1 {
                return Ok(Some((Frame::Null, next)));
            }
            if !(0..=MAX_BULK_LEN).contains(&len) {
                return Err(ProtocolError::InvalidBulkLength);
            }
            let len = len as usize;
            if buf.len() < next + len + 2 {
                return Ok(None);
            }
            if &buf[next + len..next + len + 2] != b"\r\n" {
                return Err(ProtocolError::InvalidBulkLength);
            }
            Ok(Some((Frame::Bulk(buf[next..next + len].to_vec()), next + len + 2)))
        }
        b'*' => {
            let count = parse_int(line).ok_or(ProtocolError::InvalidMultibulkLength)?;
            if count == -1 {
                return Ok(Some((Frame::NullArray, next)));
            }
            if !(0..=MAX_MULTIBULK_LEN).contains(&count) || depth >= MAX_DEPTH {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            // Never trust the count for the allocation: each element takes at
            // least three bytes, so the buffer bounds what can really follow.
            let mut items = Vec::with_capacity((count as usize).min(buf.len() / 3 + 1));
            let mut pos = next;
            for _ in 0..count {
                match parse_frame_at(buf, pos, depth + 1)? {
                    Some((frame, used)) => {
                        items.push(frame);
                        pos = used;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Frame::Array(items), pos)))
        }
        other => Err(ProtocolError::InvalidType(other)),
    }
}

/// Server side: splits a client's input buffer into commands, accepting both
/// multibulk requests and inline commands (`PING\r\n`), as Redis does.
#[derive(Default, Debug, Clone)]
pub struct RequestParser {
    buf: Vec<u8>,
    /// Where the bytes not yet taken begin: a pipeline's commands are
    /// taken by moving this, not by shifting the rest of the buffer down
    /// after each one.
    start: usize,
}

impl RequestParser {
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received and not yet taken as commands.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    fn consume(&mut self, used: usize) {
        self.start += used;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// The next complete command, if any. An empty inline line yields an
    /// empty argument list, which the server skips like Redis does.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        let buf = &self.buf[self.start..];
        let Some(&first) = buf.first() else { return Ok(None) };
        if first == b'*' {
            let Some(eol) = find_crlf(buf, 1) else {
                return if buf.len() > INLINE_MAX { Err(ProtocolError::TooBigMultibulkCount) } else { Ok(None) };
            };
            let count = parse_int(&buf[1..eol]).ok_or(ProtocolError::InvalidMultibulkLength)?;
            // Redis 7.0 takes any count up to INT_MAX from a client.
            if count > MAX_REQUEST_MULTIBULK_LEN {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            let mut pos = eol + 2;
            if count <= 0 {
                self.consume(pos);
                return Ok(Some(Vec::new()));
            }
            let mut args = Vec::with_capacity((count as usize).min(buf.len() / 3 + 1));
            for _ in 0..count {
                let Some(&tag) = buf.get(pos) else { return Ok(None) };
                if tag != b'$' {
                    return Err(ProtocolError::ExpectedDollar(tag));
                }
                let Some(eol) = find_crlf(buf, pos + 1) else {
                    return if buf.len() - pos > INLINE_MAX { Err(ProtocolError::TooBigBulkCount) } else { Ok(None) };
                };
                let len = parse_int(&buf[pos + 1..eol]).ok_or(ProtocolError::InvalidBulkLength)?;
                if !(0..=MAX_BULK_LEN).contains(&len) {
                    return Err(ProtocolError::InvalidBulkLength);
                }
                let start = eol + 2;
                let end = start + len as usize;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                args.push(buf[start..end].to_vec());
                pos = end + 2;
            }
            self.consume(pos);
            Ok(Some(args))
        } else {
            let Some(eol) = buf.iter().position(|&b| b == b'\n') else {
                // Redis refuses an inline request that grows past 64 KB unterminated.
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::TooBigInline);
                }
                return Ok(None);
            };
            let mut line = &buf[..eol];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let args = crate::engine::splitargs::split_args(line).map_err(|_| ProtocolError::UnbalancedQuotes)?;
            self.consume(eol + 1);
            Ok(Some(args))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frame = Frame::Array(vec![
            Frame::Integer(-3),
            Frame::bulk(&b"a\r\nb"[..]),
            Frame::Null,
            Frame::Array(vec![]),
            Frame::Simple("OK".into()),
            Frame::error("ERR x"),
            Frame::NullArray,
        ]);
        let bytes = frame.to_bytes();
        assert_eq!(parse_frame(&bytes).unwrap(), Some((frame, bytes.len())));
    }

    #[test]
    fn partial_input_waits_for_more() {
        let bytes = Frame::bulk(&b"hello"[..]).to_bytes();
        for cut in 0..bytes.len() {
            assert_eq!(parse_frame(&bytes[..cut]).unwrap(), None, "cut at {cut}");
        }
    }

    #[test]
    fn huge_lengths_are_refused_without_allocating() {
        assert!(parse_frame(b"*99999999999\r\n").is_err());
        assert_eq!(parse_frame(b"*1000000000\r\n").unwrap(), None);
        assert!(parse_frame(b"$99999999999\r\n").is_err());
    }

    #[test]
    fn requests_multibulk_and_inline() {
        let mut p = RequestParser::default();
        let mut bytes = Vec::new();
        encode_command(&["SET", "k", "v"], &mut bytes);
        p.feed(&bytes);
        p.feed(b"PING \"a b\"\r\n");
        assert_eq!(p.next_command().unwrap(), Some(vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]));
        assert_eq!(p.next_command().unwrap(), Some(vec![b"PING".to_vec(), b"a b".to_vec()]));
        assert_eq!(p.next_command().unwrap(), None);
    }
}
