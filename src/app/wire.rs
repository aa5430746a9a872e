//! The wire inspector: the bytes of one replication link, read back from
//! the simulator's trace as frames. Each way is decoded as the two ends
//! read it: the replica's handshake (PING, REPLCONF, PSYNC) and its ACKs;
//! the master's replies, keep-alive newlines, the snapshot as one frame
//! (EOF-marked or sized) and the command stream, each command with the
//! master's replication offset before and after it. Decoding only reads
//! the trace: nothing a node does depends on it.

use std::collections::VecDeque;

use crate::engine::resp::{parse_frame, Frame};
use crate::engine::time::Millis;
use crate::sim::{Sim, TraceEvent};

/// Which way the bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToMaster,
    ToReplica,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FrameKind {
    /// PING, REPLCONF listening-port/capa, PSYNC and their replies.
    Handshake,
    /// `\n` while the master prepares the snapshot.
    KeepAlive,
    /// The snapshot.
    Rdb,
    /// A write (or SELECT, MULTI, EXEC) in the replication stream.
    Command,
    /// The master's PING in the stream.
    Ping,
    /// REPLCONF GETACK from the master.
    GetAck,
    /// REPLCONF ACK from the replica.
    Ack,
    /// Bytes that do not parse.
    Other,
}

impl FrameKind {
    pub const ALL: [FrameKind; 8] =
        [FrameKind::Handshake, FrameKind::KeepAlive, FrameKind::Rdb, FrameKind::Command, FrameKind::Ping, FrameKind::GetAck, FrameKind::Ack, FrameKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Handshake => "handshake",
            FrameKind::KeepAlive => "keep-alive",
            FrameKind::Rdb => "rdb",
            FrameKind::Command => "command",
            FrameKind::Ping => "ping",
            FrameKind::GetAck => "getack",
            FrameKind::Ack => "ack",
            FrameKind::Other => "other",
        }
    }
}

/// One frame on the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFrame {
    /// When its last byte arrived.
    pub at: Millis,
    pub direction: Direction,
    pub kind: FrameKind,
    /// Decoded: a command's words, a reply's text, the snapshot's size.
    pub text: String,
    /// Its bytes (a snapshot's first ones only).
    pub raw: Vec<u8>,
    /// How many bytes it took.
    pub len: usize,
    /// The master's replication offset before and after it (the stream's
    /// frames, once the offset is known).
    pub offsets: Option<(i64, i64)>,
    /// Which connection of the pair (counting from the first one kept).
    pub connection: usize,
    /// Its place among all the frames decoded on the link.
    pub number: usize,
}

/// A snapshot shows this many of its bytes.
const RDB_RAW_SHOWN: usize = 64;

/// What the master's side of the link is sending.
#[derive(Clone, Debug, PartialEq, Eq)]
enum MasterPhase {
    /// Replies to the handshake, keep-alives.
    Replies,
    /// The snapshot: sized (bytes left) or up to an EOF mark.
    RdbSized { left: usize, total: usize, at_start: Millis },
    RdbMarked { mark: Vec<u8>, seen: usize, at_start: Millis },
    Stream,
}

/// One connection's decoding state.
#[derive(Clone)]
struct Connection {
    number: usize,
    to_master: Vec<u8>,
    to_replica: Vec<u8>,
    phase: MasterPhase,
    /// The master's offset at the end of what was read of the stream.
    offset: Option<i64>,
    /// The offset PSYNC asked for (a CONTINUE starts the stream there).
    asked_offset: Option<i64>,
    pre_psync: bool,
}

impl Connection {
    fn new(number: usize) -> Connection {
        Connection { number, to_master: Vec::new(), to_replica: Vec::new(), phase: MasterPhase::Replies, offset: None, asked_offset: None, pre_psync: false }
    }
}

/// A decoder kept between updates: it reads only the trace events that
/// arrived since its last update (the page updates it at every frame).
#[derive(Clone)]
pub struct LinkDecoder {
    master: u16,
    replica: u16,
    connection: Option<Connection>,
    opened: usize,
    /// The global number of the next trace event to read.
    next_event: u64,
    /// The newest frames, at most `keep` of them.
    frames: VecDeque<WireFrame>,
    keep: usize,
    /// How many frames were decoded in all.
    decoded: usize,
}

impl LinkDecoder {
    /// A decoder for the link from `replica` to `master`, keeping its
    /// `keep` newest frames.
    pub fn new(master: u16, replica: u16, keep: usize) -> LinkDecoder {
        LinkDecoder { master, replica, connection: None, opened: 0, next_event: 0, frames: VecDeque::new(), keep: keep.max(1), decoded: 0 }
    }

    pub fn link(&self) -> (u16, u16) {
        (self.replica, self.master)
    }

    /// Reads the events the trace recorded since the last update. Events
    /// the trace let go meanwhile are lost to it: the connection they
    /// belonged to is skipped until the next one opens.
    pub fn update(&mut self, sim: &Sim) {
        let (first, events) = sim.trace_window();
        if self.next_event < first {
            self.connection = None;
            self.next_event = first;
        }
        let from = usize::try_from(self.next_event - first).unwrap_or(usize::MAX).min(events.len());
        let mut frames = Vec::new();
        for event in &events[from..] {
            self.feed(event, &mut frames);
        }
        self.next_event = first + events.len() as u64;
        for mut frame in frames {
            frame.number = self.decoded;
            self.decoded += 1;
            self.frames.push_back(frame);
        }
        while self.frames.len() > self.keep {
            self.frames.pop_front();
        }
    }

    /// The newest frames, oldest first.
    pub fn frames(&self) -> impl Iterator<Item = &WireFrame> + '_ {
        self.frames.iter()
    }

    /// How many frames were decoded in all.
    pub fn decoded(&self) -> usize {
        self.decoded
    }

    /// A snapshot on its way: the bytes of it arrived so far, and how many
    /// it has in all when the master said (a sized transfer; an EOF-marked
    /// one says only at its end).
    pub fn snapshot_arriving(&self) -> Option<(usize, Option<usize>)> {
        match &self.connection.as_ref()?.phase {
            MasterPhase::RdbSized { left, total, .. } => Some((total - left, Some(*total))),
            MasterPhase::RdbMarked { seen, .. } => Some((*seen, None)),
            _ => None,
        }
    }

    fn feed(&mut self, event: &TraceEvent, frames: &mut Vec<WireFrame>) {
        let (master, replica) = (self.master, self.replica);
        match event {
            TraceEvent::LinkOpened { dialer, acceptor, .. } if *dialer == replica && *acceptor == master => {
                self.connection = Some(Connection::new(self.opened));
                self.opened += 1;
            }
            TraceEvent::LinkClosed { dialer, acceptor, .. } if *dialer == replica && *acceptor == master => self.connection = None,
            TraceEvent::Link { at, from, to, bytes } => {
                let Some(c) = self.connection.as_mut() else { return };
                if *from == replica && *to == master {
                    c.to_master.extend_from_slice(bytes);
                    read_to_master(c, *at, frames);
                } else if *from == master && *to == replica {
                    c.to_replica.extend_from_slice(bytes);
                    read_to_replica(c, *at, frames);
                }
            }
            _ => {}
        }
    }
}

/// Every frame of the links from `replica` to `master` the trace still
/// holds, oldest first. Bytes of a connection whose opening is no longer
/// in the trace are skipped (they cannot be framed from the middle).
pub fn link_frames(sim: &Sim, master: u16, replica: u16) -> Vec<WireFrame> {
    let mut decoder = LinkDecoder::new(master, replica, usize::MAX);
    decoder.update(sim);
    decoder.frames.into_iter().collect()
}

/// The words of a command frame, printable.
fn words(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items.iter().map(word).collect(),
        other => vec![word(other)],
    }
}

fn word(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(bytes) => printable(bytes),
        Frame::Simple(s) => s.clone(),
        Frame::Error(e) => format!("-{e}"),
        Frame::Integer(n) => n.to_string(),
        Frame::Null | Frame::NullArray => "(nil)".into(),
        Frame::Array(items) => format!("[{}]", items.iter().map(word).collect::<Vec<_>>().join(" ")),
    }
}

/// Bytes as text, with what is not printable escaped as redis-cli does.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The replica's commands: the handshake, then ACKs.
fn read_to_master(c: &mut Connection, at: Millis, frames: &mut Vec<WireFrame>) {
    loop {
        let (frame, used) = match parse_frame(&c.to_master) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return,
            Err(_) => {
                let raw = std::mem::take(&mut c.to_master);
                frames.push(frame_of(c, at, Direction::ToMaster, FrameKind::Other, printable(&raw), raw, None));
                return;
            }
        };
        let raw: Vec<u8> = c.to_master.drain(..used).collect();
        let w = words(&frame);
        let upper: Vec<String> = w.iter().take(2).map(|s| s.to_ascii_uppercase()).collect();
        let kind = match upper.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["REPLCONF", "ACK"] => FrameKind::Ack,
            ["PSYNC", ..] => {
                c.asked_offset = w.get(2).and_then(|o| o.parse().ok());
                FrameKind::Handshake
            }
            ["SYNC", ..] => {
                c.pre_psync = true;
                FrameKind::Handshake
            }
            _ => FrameKind::Handshake,
        };
        frames.push(frame_of(c, at, Direction::ToMaster, kind, w.join(" "), raw, None));
    }
}

/// The master's replies, the snapshot, then the stream.
fn read_to_replica(c: &mut Connection, at: Millis, frames: &mut Vec<WireFrame>) {
    loop {
        let progressed = match c.phase.clone() {
            MasterPhase::Replies => read_reply(c, at, frames),
            MasterPhase::RdbSized { left, total, at_start } => {
                let take = left.min(c.to_replica.len());
                let raw: Vec<u8> = c.to_replica.drain(..take).collect();
                let left = left - take;
                if left > 0 {
                    c.phase = MasterPhase::RdbSized { left, total, at_start };
                    return;
                }
                let _ = (raw, at_start);
                finish_rdb(c, at, frames, total, false);
                true
            }
            MasterPhase::RdbMarked { mark, seen, at_start } => {
                let bytes = &c.to_replica;
                match find(bytes, &mark) {
                    Some(end) => {
                        c.to_replica.drain(..end + mark.len());
                        let total = seen + end;
                        c.phase = MasterPhase::Replies;
                        let _ = at_start;
                        finish_rdb(c, at, frames, total, true);
                        true
                    }
                    None => {
                        // Keep what could still be the start of the mark.
                        let keep = mark.len().saturating_sub(1).min(bytes.len());
                        let consumed = bytes.len() - keep;
                        c.to_replica.drain(..consumed);
                        c.phase = MasterPhase::RdbMarked { mark, seen: seen + consumed, at_start };
                        return;
                    }
                }
            }
            MasterPhase::Stream => read_stream(c, at, frames),
        };
        if !progressed {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn finish_rdb(c: &mut Connection, at: Millis, frames: &mut Vec<WireFrame>, total: usize, marked: bool) {
    c.phase = MasterPhase::Stream;
    let text = if marked { format!("RDB snapshot, {total} bytes (diskless, EOF-marked)") } else { format!("RDB snapshot, {total} bytes") };
    frames.push(WireFrame { at, direction: Direction::ToReplica, kind: FrameKind::Rdb, text, raw: Vec::new(), len: total, offsets: None, connection: c.number, number: 0 });
}

/// One reply of the handshake (or a keep-alive newline, or the snapshot's start).
fn read_reply(c: &mut Connection, at: Millis, frames: &mut Vec<WireFrame>) -> bool {
    let buf = &c.to_replica;
    if buf.is_empty() {
        return false;
    }
    if buf[0] == b'\n' {
        let raw: Vec<u8> = c.to_replica.drain(..1).collect();
        frames.push(frame_of(c, at, Direction::ToReplica, FrameKind::KeepAlive, "\\n".into(), raw, None));
        return true;
    }
    if buf[0] == b'$' {
        // The snapshot's header: `$EOF:<40 bytes>\r\n` or `$<len>\r\n`.
        let Some(end) = find(buf, b"\r\n") else { return false };
        let header: Vec<u8> = c.to_replica.drain(..end + 2).collect();
        let spec = &header[1..end];
        if let Some(mark) = spec.strip_prefix(b"EOF:") {
            c.phase = MasterPhase::RdbMarked { mark: mark.to_vec(), seen: 0, at_start: at };
        } else {
            let total = std::str::from_utf8(spec).ok().and_then(|n| n.parse().ok()).unwrap_or(0);
            c.phase = MasterPhase::RdbSized { left: total, total, at_start: at };
        }
        if c.pre_psync && c.offset.is_none() {
            c.offset = None;
        }
        return true;
    }
    let Some(end) = find(buf, b"\r\n") else { return false };
    let raw: Vec<u8> = c.to_replica.drain(..end + 2).collect();
    let line = String::from_utf8_lossy(&raw[..end]).into_owned();
    if let Some(rest) = line.strip_prefix("+FULLRESYNC ") {
        c.offset = rest.split(' ').nth(1).and_then(|o| o.parse().ok());
    } else if line.starts_with("+CONTINUE") {
        c.offset = c.asked_offset.map(|o| o - 1);
        c.phase = MasterPhase::Stream;
    }
    frames.push(frame_of(c, at, Direction::ToReplica, FrameKind::Handshake, line, raw, None));
    true
}

/// One command of the replication stream, with its offsets.
fn read_stream(c: &mut Connection, at: Millis, frames: &mut Vec<WireFrame>) -> bool {
    if c.to_replica.first() == Some(&b'\n') {
        let raw: Vec<u8> = c.to_replica.drain(..1).collect();
        frames.push(frame_of(c, at, Direction::ToReplica, FrameKind::KeepAlive, "\\n".into(), raw, None));
        return true;
    }
    let (frame, used) = match parse_frame(&c.to_replica) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return false,
        Err(_) => {
            let raw = std::mem::take(&mut c.to_replica);
            frames.push(frame_of(c, at, Direction::ToReplica, FrameKind::Other, printable(&raw), raw, None));
            return false;
        }
    };
    let raw: Vec<u8> = c.to_replica.drain(..used).collect();
    let w = words(&frame);
    let upper: Vec<String> = w.iter().take(2).map(|s| s.to_ascii_uppercase()).collect();
    let kind = match upper.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["PING"] => FrameKind::Ping,
        ["REPLCONF", "GETACK"] => FrameKind::GetAck,
        _ => FrameKind::Command,
    };
    let offsets = c.offset.map(|before| (before, before + used as i64));
    if let Some((_, after)) = offsets {
        c.offset = Some(after);
    }
    frames.push(frame_of(c, at, Direction::ToReplica, kind, w.join(" "), raw, offsets));
    true
}

fn frame_of(c: &Connection, at: Millis, direction: Direction, kind: FrameKind, text: String, raw: Vec<u8>, offsets: Option<(i64, i64)>) -> WireFrame {
    let len = raw.len();
    let raw = if kind == FrameKind::Rdb { raw.into_iter().take(RDB_RAW_SHOWN).collect() } else { raw };
    WireFrame { at, direction, kind, text, raw, len, offsets, connection: c.number, number: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::playground::Playground;
    use crate::scenario::START;

    #[test]
    fn a_sync_reads_as_handshake_snapshot_and_stream() {
        let mut p = Playground::new(7, START, &[6379, 6380]);
        p.run(6379, "SET before 1");
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(8_000);
        p.run(6379, "SET k v");
        p.advance(1_500);
        let frames = link_frames(p.sim(), 6379, 6380);
        let texts: Vec<(Direction, FrameKind, &str)> = frames.iter().map(|f| (f.direction, f.kind, f.text.as_str())).collect();
        assert_eq!(texts[0], (Direction::ToMaster, FrameKind::Handshake, "PING"));
        assert_eq!(texts[1], (Direction::ToReplica, FrameKind::Handshake, "+PONG"));
        // A master turned replica offers its own history (Redis 7.0 caches itself as the master).
        assert!(texts.iter().any(|t| t.2.starts_with("PSYNC ") && t.2.ends_with(" 1")), "{texts:?}");
        assert!(texts.iter().any(|t| t.1 == FrameKind::KeepAlive), "{texts:?}");
        let full = texts.iter().position(|t| t.2.starts_with("+FULLRESYNC ")).unwrap();
        assert_eq!(texts[full + 1].1, FrameKind::Rdb);
        assert!(texts[full + 1].2.ends_with("(diskless, EOF-marked)"));
        // The stream: SELECT then SET, offsets running on from FULLRESYNC's.
        let select = frames.iter().find(|f| f.text == "SELECT 0").unwrap();
        let set = frames.iter().find(|f| f.text == "SET k v").unwrap();
        assert_eq!(select.offsets.unwrap().1, set.offsets.unwrap().0);
        assert!(frames.iter().any(|f| f.kind == FrameKind::Ack));
        // The last offset read is the master's own.
        let last = frames.iter().rev().find_map(|f| f.offsets).unwrap().1;
        assert_eq!(last, p.sim().server(6379).unwrap().repl_offset());
    }

    #[test]
    fn decoding_as_the_trace_grows_gives_the_same_frames() {
        let mut p = Playground::new(8, START, &[6379, 6380]);
        let mut decoder = LinkDecoder::new(6379, 6380, usize::MAX);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        for i in 0..120 {
            if i % 7 == 0 {
                p.run(6379, &format!("SET k{i} {}", "v".repeat(i)));
            }
            p.advance(100);
            decoder.update(p.sim());
        }
        let all = link_frames(p.sim(), 6379, 6380);
        let incremental: Vec<WireFrame> = decoder.frames().cloned().collect();
        assert_eq!(incremental, all);
        assert_eq!(decoder.decoded(), all.len());
        assert!(all.iter().enumerate().all(|(i, f)| f.number == i));
    }

    #[test]
    fn a_continued_link_counts_from_the_offset_asked() {
        let mut p = Playground::new(7, START, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(8_000);
        p.run(6380, "CLIENT KILL TYPE master");
        p.advance(1_500);
        p.run(6379, "SET after 1");
        p.advance(500);
        let frames = link_frames(p.sim(), 6379, 6380);
        assert!(frames.iter().any(|f| f.text.starts_with("+CONTINUE")));
        assert_eq!(frames.last().map(|f| f.connection), Some(1));
        let set = frames.iter().find(|f| f.text == "SET after 1").unwrap();
        assert!(set.offsets.unwrap().0 > 0);
        let last = frames.iter().rev().find_map(|f| f.offsets).unwrap().1;
        assert_eq!(last, p.sim().server(6379).unwrap().repl_offset());
    }
}
