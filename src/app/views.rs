//! What the page renders, as plain values built from the session: a
//! server's card and place on the graph, a Sentinel's, a console's
//! screen, the event log. Roles and link states are enums, so the UI
//! matches on them rather than on words.

use std::rc::Rc;

use crate::engine::sentinel::WatchView;
use crate::engine::server::Server;
use crate::engine::time::Millis;

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

/// What a console shows, cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleView {
    pub prompt: String,
    /// A blocked command is waiting (redis-cli shows no prompt meanwhile).
    pub waiting: bool,
    pub lines: Rc<Vec<Line>>,
    pub history: Rc<Vec<String>>,
}

/// A server's role as the page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
    /// Not running.
    Down,
}

impl Role {
    /// Its word, for the page's text and style classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Replica => "replica",
            Role::Down => "down",
        }
    }
}

/// A role equals its word (`node.role == "replica"`).
impl PartialEq<&str> for Role {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

/// Where a replica's link to its master stands.
pub use crate::engine::server::replication::LinkStatus as Link;

/// Its word, for the page's text and style classes.
pub fn link_word(link: Link) -> &'static str {
    match link {
        Link::None => "none",
        Link::Connect => "connect",
        Link::Handshake => "handshake",
        Link::Sync => "sync",
        Link::Online => "online",
        Link::Down => "down",
    }
}

/// A link state equals its word (`node.link == "online"`).
impl PartialEq<&str> for Link {
    fn eq(&self, word: &&str) -> bool {
        link_word(*self) == *word
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub port: u16,
    pub up: bool,
    pub role: Role,
    pub keys: usize,
    /// Whether its disk holds a dump to download.
    pub has_dump: bool,
    /// The port of its master, when it follows one on this playground.
    pub master: Option<u16>,
    /// The state of that link.
    pub link: Link,
    /// Whether the network to that master is cut.
    pub cut: bool,
    /// Cut off from every other node (a partition).
    pub isolated: bool,
    /// The one-way delay on the link to that master, in ms.
    pub latency: Millis,
    /// Seconds since its master last heard its ACK (INFO's `lag`), while
    /// the master counts it online.
    pub lag: Option<i64>,
    pub offset: i64,
    /// Reading its dump at start-up.
    pub loading: bool,
    /// A snapshot on its way from its master: (bytes arrived, bytes in all).
    pub sync_progress: Option<(u64, u64)>,
    pub console: ConsoleView,
}

/// One Sentinel as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelView {
    pub port: u16,
    pub up: bool,
    /// What it monitors: name, the master's port as it sees it, its
    /// status (ok, sdown, odown), the replicas it knows, the Sentinels it
    /// knows (itself included), the quorum, and the failover step while
    /// one runs.
    pub watching: Vec<WatchView>,
    /// Whether the network between it and the (first) master it watches is cut.
    pub cut: bool,
    /// Cut off from every other node (a partition).
    pub isolated: bool,
    pub console: ConsoleView,
}

/// A line of a node's log, for the page's event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventView {
    pub port: u16,
    /// `25 Nov 2026 04:47:50.561`, in virtual time, as Redis stamps it.
    pub stamp: String,
    pub role: char,
    pub level: char,
    pub text: String,
}

/// A replica's lag as its master reports it in INFO (`slaveN:...,lag=`).
pub fn lag_of(master: &Server, replica: u16, now: Millis) -> Option<i64> {
    let ack_time = master.replica_ack_time(replica)?;
    Some(now.div_euclid(1000) - ack_time.div_euclid(1000))
}

/// The port a server follows when its master is on this machine's
/// loopback (a master elsewhere is not on the graph).
pub fn local_master(server: &Server) -> Option<u16> {
    server.master_address().filter(|(host, _)| *host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")).map(|(_, port)| port)
}

/// `43.4 s`, `12 min 03.4 s`: tenths are enough to follow a 100 ms cron.
pub fn format_elapsed(ms: i64) -> String {
    let tenths = ms.max(0) / 100;
    let (minutes, tenths) = (tenths / 600, tenths % 600);
    if minutes == 0 {
        format!("{}.{} s", tenths / 10, tenths % 10)
    } else {
        format!("{} min {:02}.{} s", minutes, tenths / 10, tenths % 10)
    }
}

/// The longest line a console shows whole: a 10 MB value would take the
/// page seconds to lay out, and no one reads it on a screen.
pub const SHOWN_CHARS: usize = 4096;

/// A console line as shown: whole, or its beginning and how much is left.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}… ({} more bytes)", &text[..cut], text.len() - cut)),
    }
}

#[cfg(test)]
mod shown_tests {
    #[test]
    fn long_lines_are_shortened_on_a_character_boundary() {
        assert_eq!(super::shown("short"), "short");
        let long = "é".repeat(5000);
        let shown = super::shown(&long);
        assert!(shown.starts_with(&"é".repeat(4096)));
        assert!(shown.ends_with("… (1808 more bytes)"), "{}", &shown[shown.len() - 30..]);
    }
}
