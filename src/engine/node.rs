//! The sans-IO face every node of the network shows (a redis-server, a
//! redis-sentinel), after str0m and quinn-proto: inputs go in with the
//! virtual time (`handle_*`), and after each input the caller drains
//! `poll_output` until it gives nothing, then asks `poll_timeout` when
//! the node next needs time. A node owns no socket, no clock and no disk:
//! what it wants done comes out as an `Output`.

use std::collections::{BTreeMap, VecDeque};

use super::log::LogLine;
use super::resp::{Frame, RequestParser};
use super::time::Millis;

/// A connection a peer opened to a node, numbered by the node (CLIENT ID).
pub type ClientId = u64;

/// A connection a node opened to another (a replica's link to its master,
/// a Sentinel's links), numbered by the node that opened it.
pub type DialId = u64;

/// One of a node's connections, from its side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Conn {
    /// A peer opened it: one of the node's clients.
    Client(ClientId),
    /// The node opened it.
    Dial(DialId),
}

/// What a connection a node opens is for: the network carries both alike,
/// but a cut holds a replication link's bytes (TCP retransmits them until
/// it heals) while a monitoring link's are lost, as Sentinel finds out by
/// its own timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Replication,
    Monitoring,
    /// MIGRATE's connection to the target: TCP too, its bytes are held
    /// through a cut like a replication link's.
    Migration,
}

/// Whether a host names this machine, the only one the playground's
/// network has.
pub fn is_local_host(host: &str) -> bool {
    host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")
}

/// How a connection a node asked for turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialled {
    Connected,
    Refused,
}

/// What a node asks of the world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Bytes for the other end of a connection.
    Send { conn: Conn, bytes: Vec<u8> },
    /// Open a connection to `host:port`.
    Dial { dial: DialId, host: String, port: u16, purpose: Purpose },
    /// Close a connection (the node already forgot it).
    Close { conn: Conn },
    /// A line of the node's log.
    Log(LogLine),
    /// The node rewrote its config file (CONFIG REWRITE, Sentinel's own).
    ConfigRewritten(Vec<String>),
    /// A file the node wrote to its disk (a dump).
    DiskWrite { path: String, bytes: Vec<u8> },
    /// Bytes added at the end of a file (the append-only file).
    DiskAppend { path: String, bytes: Vec<u8> },
    /// A file the node deleted (an AOF made history by a rewrite).
    DiskRemove { path: String },
    /// A master judged a replica's PSYNC (or SYNC): for the explainer.
    Psync(crate::engine::psync::PsyncDecision),
    /// A Sentinel weighed the replicas to promote: for the reasoning view.
    Ranking(crate::engine::ranking::Ranking),
    /// The process ended (SHUTDOWN, a Sentinel's simulated failure); what
    /// it wrote before still goes out.
    Stopped,
}

pub trait Node {
    /// A peer opens a connection to the node: its new client.
    fn accept(&mut self, now: Millis) -> ClientId;
    /// Bytes arrive on one of its connections.
    fn handle_input(&mut self, conn: Conn, bytes: &[u8], now: Millis);
    /// A connection it asked for opened, or nothing listened.
    fn handle_dialled(&mut self, dial: DialId, outcome: Dialled, now: Millis);
    /// The other end closed one of its connections.
    fn handle_closed(&mut self, conn: Conn, now: Millis);
    /// The time `poll_timeout` gave has come.
    fn handle_timeout(&mut self, now: Millis);
    /// When the node next needs `handle_timeout`.
    fn poll_timeout(&self) -> Option<Millis>;
    /// The next thing it wants done, in the order it decided them.
    fn poll_output(&mut self) -> Option<Output>;
    /// Whether a client connection is still open on its side.
    fn is_connected(&self, client: ClientId) -> bool;
    /// How many bytes it wrote to a client wait to be sent (its output
    /// buffer): a server closes a client past `client-output-buffer-limit`.
    fn output_pending(&mut self, _client: ClientId, _bytes: usize, _now: Millis) {}
}

/// What feeding a client's bytes gave, for callers that drive a node
/// directly (tests, benchmarks): its reply, and whether it closed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub reply: Vec<u8>,
    /// The node closes the connection after sending `reply` (protocol error).
    pub close: bool,
}

impl Received {
    /// The next whole command a client sent (`None`: none yet). A
    /// protocol error is answered as Redis answers it, and closes.
    pub(crate) fn next_command(&mut self, input: &mut RequestParser) -> Option<Vec<Vec<u8>>> {
        match input.next_command() {
            Ok(args) => args,
            Err(e) => {
                Frame::Error(format!("ERR {e}")).encode(&mut self.reply);
                self.close = true;
                None
            }
        }
    }

    /// Done reading a client's input: a connection that closes forgets its
    /// client, and the bytes written count in INFO's output figure.
    pub(crate) fn finish<C>(self, id: ClientId, clients: &mut BTreeMap<ClientId, C>, output_bytes: &mut u64) -> Received {
        if self.close {
            clients.remove(&id);
        }
        *output_bytes += self.reply.len() as u64;
        self
    }

    /// Puts a client's replies, and the close after them, where its input
    /// began among the node's outputs: ahead of what the input set off for
    /// others, as Redis writes a reply before it returns to its event loop.
    pub(crate) fn place(self, outputs: &mut VecDeque<Output>, mark: usize, conn: Conn) {
        if self.close {
            outputs.insert(mark, Output::Close { conn });
        }
        if !self.reply.is_empty() {
            outputs.insert(mark, Output::Send { conn, bytes: self.reply });
        }
    }
}
