//! A connection between two nodes as a value: the node that dialled it
//! and the one that accepted it, a lane of bytes in flight each way (the
//! same code for either direction), and what a cut has done to it.

use std::collections::VecDeque;

use crate::engine::node::{ClientId, Conn, DialId, Purpose};
use crate::engine::server::replication::{transfer_ms, LINK_BYTES_PER_MS};
use crate::engine::time::Millis;

pub type LinkId = u64;

/// A big message travels in pieces of this much time, so the receiver
/// sees it advance (a snapshot's progress).
const PIECE_MS: Millis = 50;

/// One direction of a link: bytes on their way, each piece with the time
/// it arrives, in order, at the network's pace (`LINK_BYTES_PER_MS`).
#[derive(Clone, Debug, Default)]
pub struct Lane {
    pieces: VecDeque<(Millis, Vec<u8>)>,
    /// When the lane has carried everything queued so far.
    free_at: Millis,
    /// Of the big message in flight: bytes arrived, and all.
    progress: Option<(u64, u64)>,
}

impl Lane {
    /// Bytes sent at `now`, `latency` ms one way. They come straight back
    /// when they arrive at once (an idle lane, a message that takes no
    /// time, no latency, nothing holding them); otherwise they queue
    /// behind what is in flight, cut into pieces.
    pub fn send(&mut self, now: Millis, bytes: Vec<u8>, latency: Millis, held: bool) -> Option<Vec<u8>> {
        if self.pieces.is_empty() && transfer_ms(bytes.len()) == 0 && latency == 0 && !held {
            return Some(bytes);
        }
        let start = self.free_at.max(now);
        let piece = LINK_BYTES_PER_MS * PIECE_MS as usize;
        let total = bytes.len();
        if total >= piece {
            self.progress = Some((0, total as u64));
        }
        let mut sent = 0;
        for chunk in bytes.chunks(piece) {
            sent += chunk.len();
            self.pieces.push_back((start + transfer_ms(sent) + latency, chunk.to_vec()));
        }
        self.free_at = start + transfer_ms(total);
        None
    }

    /// When the next piece arrives.
    pub fn next_at(&self) -> Option<Millis> {
        self.pieces.front().map(|(at, _)| *at)
    }

    /// The next piece, if it has arrived by `now`.
    pub fn pop_due(&mut self, now: Millis) -> Option<Vec<u8>> {
        if self.next_at()? > now {
            return None;
        }
        let (_, bytes) = self.pieces.pop_front()?;
        if let Some((arrived, total)) = self.progress.as_mut() {
            *arrived = (*arrived + bytes.len() as u64).min(*total);
            if *arrived >= *total {
                self.progress = None;
            }
        }
        Some(bytes)
    }

    /// A big message on its way: (bytes arrived, bytes in all).
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.progress
    }
}

/// Where a link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Dialled across a cut: the connect waits for the heal.
    Opening,
    Open,
    /// A cut swallowed it: nothing passes any more, and the dialler finds
    /// out only by its own timeouts (a monitoring link).
    Severed,
    /// The acceptor closed it across a cut: the dialler learns of it when
    /// the cut heals, or closes it itself on a timeout.
    HalfOpen,
}

#[derive(Clone, Debug)]
pub struct Link {
    /// The node that dialled, and its number for the connection.
    pub dialer: u16,
    pub dial: DialId,
    /// The node dialled, and its client for the connection once accepted.
    pub acceptor: u16,
    pub client: Option<ClientId>,
    pub purpose: Purpose,
    pub state: LinkState,
    /// Bytes from the dialler to the acceptor.
    pub forward: Lane,
    /// Bytes from the acceptor back to the dialler.
    pub back: Lane,
}

impl Link {
    pub fn new(dialer: u16, dial: DialId, acceptor: u16, purpose: Purpose) -> Link {
        Link { dialer, dial, acceptor, client: None, purpose, state: LinkState::Opening, forward: Lane::default(), back: Lane::default() }
    }

    /// Whether it joins these two nodes.
    pub fn joins(&self, a: u16, b: u16) -> bool {
        (self.dialer, self.acceptor) == (a, b) || (self.dialer, self.acceptor) == (b, a)
    }

    /// The lane whose bytes travel towards `end`.
    pub fn lane_towards(&mut self, end: End) -> &mut Lane {
        match end {
            End::Acceptor => &mut self.forward,
            End::Dialer => &mut self.back,
        }
    }

    /// The port and connection at `end`, as that node knows it.
    pub fn end(&self, end: End) -> Option<(u16, Conn)> {
        match end {
            End::Dialer => Some((self.dialer, Conn::Dial(self.dial))),
            End::Acceptor => self.client.map(|id| (self.acceptor, Conn::Client(id))),
        }
    }
}

/// One end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Dialer,
    Acceptor,
}

impl End {
    pub fn other(self) -> End {
        match self {
            End::Dialer => End::Acceptor,
            End::Acceptor => End::Dialer,
        }
    }
}
