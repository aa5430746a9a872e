//! What every node of the network (a redis-server, a redis-sentinel) has
//! in common as seen from outside: its connections and what comes out of
//! feeding it bytes.

/// A connection a peer opened to a node, numbered by the node (CLIENT ID).
pub type ClientId = u64;

/// What came out of feeding a client's bytes to a node.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub reply: Vec<u8>,
    /// The node closes the connection after sending `reply` (protocol error).
    pub close: bool,
}
