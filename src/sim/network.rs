//! The network between the machines: the links (each a `Link`), which
//! pairs of nodes are cut apart, and the latency between them; how bytes,
//! connects and closes travel.
//!
//! A cut holds a replication link's bytes and connects until it heals
//! (TCP retransmits), and swallows a monitoring link (Sentinel finds out
//! by its timeouts). A close from the node that dialled reaches the other
//! end at once; a close from the node that accepted waits for the heal.
//!
//! A one-way cut holds only what one node sends the other, on every link
//! between them (as TCP meets a one-way loss: the other way's data still
//! arrives); no new connection completes across it, since the handshake
//! needs both ways, and a close waits when it would cross it.

use std::collections::{BTreeMap, BTreeSet};

use super::link::{End, Link, LinkState};
use super::{Input, Sim, TraceEvent};
use crate::engine::node::{ClientId, Conn, DialId, Dialled, Purpose};
use crate::engine::time::Millis;

/// Links are keyed by the node that dialled and its number for the link,
/// so they are visited in the same order on every run.
type LinkKey = (u16, DialId);

#[derive(Clone, Debug, Default)]
pub(super) struct Network {
    links: BTreeMap<LinkKey, Link>,
    /// The other way: a node's client that is a link's accepting end.
    accepted: BTreeMap<(u16, ClientId), LinkKey>,
    /// Links whose dialler closed them (or died) across a cut, by the
    /// acceptor's end: it still holds its connection until the heal or
    /// its own timeout.
    dialer_gone: BTreeMap<(u16, ClientId), u16>,
    /// Pairs of nodes the network between is cut (smaller port first).
    cuts: BTreeSet<(u16, u16)>,
    /// One-way cuts: (from, to).
    one_way: BTreeSet<(u16, u16)>,
    /// One-way delay between two nodes (none: loopback).
    latencies: BTreeMap<(u16, u16), Millis>,
    /// Every link with bytes in flight (and perhaps some whose lanes have
    /// emptied since): each step looks at these, not at every link. With
    /// Sentinels watching two dozen servers, most of hundreds of links are
    /// idle at any instant, and walking them all each step was a fifth of
    /// the simulator's time.
    busy: BTreeSet<LinkKey>,
}

fn pair(a: u16, b: u16) -> (u16, u16) {
    (a.min(b), a.max(b))
}

impl Network {
    fn is_cut(&self, a: u16, b: u16) -> bool {
        self.cuts.contains(&pair(a, b))
    }

    fn latency(&self, a: u16, b: u16) -> Millis {
        self.latencies.get(&pair(a, b)).copied().unwrap_or(0)
    }

    /// Whether what `from` sends reaches `to`.
    fn passes(&self, from: u16, to: u16) -> bool {
        !self.is_cut(from, to) && !self.one_way.contains(&(from, to))
    }

    /// Whether a connection between them can be set up (both ways pass).
    fn connects(&self, a: u16, b: u16) -> bool {
        self.passes(a, b) && self.passes(b, a)
    }

    /// Whether bytes can move on the link's lane towards `end` now.
    fn flowing(&self, link: &Link, towards: End) -> bool {
        let (from, to) = match towards {
            End::Acceptor => (link.dialer, link.acceptor),
            End::Dialer => (link.acceptor, link.dialer),
        };
        link.state == LinkState::Open && self.passes(from, to)
    }

    /// When the next piece arrives on any lane that carries bytes now (a
    /// cut lane's bytes wait for the heal, however overdue).
    pub(super) fn next_arrival(&self) -> Option<Millis> {
        let links = self.busy.iter().filter_map(|key| self.links.get(key));
        let lanes = links.flat_map(|l| [(l, End::Acceptor, &l.forward), (l, End::Dialer, &l.back)]);
        lanes.filter(|(l, towards, _)| self.flowing(l, *towards)).filter_map(|(_, _, lane)| lane.next_at()).min()
    }

    fn remove(&mut self, key: LinkKey) -> Option<Link> {
        let link = self.links.remove(&key)?;
        if let Some(client) = link.client {
            self.accepted.remove(&(link.acceptor, client));
        }
        Some(link)
    }

    fn key_of(&self, port: u16, conn: Conn) -> Option<LinkKey> {
        match conn {
            Conn::Dial(dial) => self.links.contains_key(&(port, dial)).then_some((port, dial)),
            Conn::Client(id) => self.accepted.get(&(port, id)).copied(),
        }
    }
}

impl Sim {
    /// Bytes a node wrote on one of its connections: along a link, or to
    /// an outside client.
    pub(super) fn send_from(&mut self, port: u16, conn: Conn, bytes: Vec<u8>) {
        let Some(key) = self.net.key_of(port, conn) else {
            if let Conn::Client(id) = conn {
                self.deliver_to_client(port, id, bytes);
            }
            return;
        };
        let towards = if matches!(conn, Conn::Dial(_)) { End::Acceptor } else { End::Dialer };
        let now = self.now;
        let Some(link) = self.net.links.get(&key) else { return };
        // Nothing passes before a connect completes, after a close, or once
        // a cut swallowed the link.
        if link.state != LinkState::Open {
            return;
        }
        let held = match towards {
            End::Acceptor => !self.net.passes(link.dialer, link.acceptor),
            End::Dialer => !self.net.passes(link.acceptor, link.dialer),
        };
        let latency = self.net.latency(link.dialer, link.acceptor);
        let Some(link) = self.net.links.get_mut(&key) else { return };
        match link.lane_towards(towards).send(now, bytes, latency, held) {
            Some(bytes) => self.arrive(key, towards, bytes),
            None => {
                self.net.busy.insert(key);
            }
        }
    }

    /// Bytes reach the node at one end of a link.
    fn arrive(&mut self, key: LinkKey, at_end: End, bytes: Vec<u8>) {
        let Some(link) = self.net.links.get(&key) else { return };
        let Some((to, conn)) = link.end(at_end) else { return };
        let Some((from, _)) = link.end(at_end.other()) else { return };
        self.record(TraceEvent::Link { at: self.now, from, to, bytes: bytes.clone() });
        self.queue.push_back((to, Input::Bytes(conn, bytes)));
    }

    /// Hands over every piece due by now, lane by lane (first what
    /// dialling nodes sent, then what came back), each piece followed by
    /// everything it sets off.
    pub(super) fn deliver_due(&mut self) {
        // A lane that is empty now can only be given pieces due later
        // during this pass (an idle lane hands over at once what is due
        // at once), so the links busy now are all that can deliver.
        let keys: Vec<LinkKey> = self.net.busy.iter().copied().collect();
        for towards in [End::Acceptor, End::Dialer] {
            for &key in &keys {
                loop {
                    let now = self.now;
                    let Some(link) = self.net.links.get(&key) else { break };
                    if !self.net.flowing(link, towards) {
                        break;
                    }
                    let Some(link) = self.net.links.get_mut(&key) else { break };
                    let Some(bytes) = link.lane_towards(towards).pop_due(now) else { break };
                    self.arrive(key, towards, bytes);
                    self.settle();
                }
            }
        }
        let links = &self.net.links;
        self.net.busy.retain(|key| links.get(key).is_some_and(|l| l.forward.next_at().is_some() || l.back.next_at().is_some()));
    }

    /// A node dials `host:port`.
    pub(super) fn dial(&mut self, from: u16, dial: DialId, host: &str, port: u16, purpose: Purpose) {
        if !crate::engine::node::is_local_host(host) {
            self.refuse(from, dial, host, port);
            return;
        }
        let mut link = Link::new(from, dial, port, purpose);
        if !self.net.connects(from, port) {
            match purpose {
                // No answer at all: the replica waits (and times out).
                Purpose::Replication | Purpose::Migration => {}
                // The connect seems to go through, then nothing answers.
                Purpose::Monitoring => {
                    link.state = LinkState::Severed;
                    self.queue.push_back((from, Input::Dialled(dial, Dialled::Connected)));
                }
            }
            self.net.links.insert((from, dial), link);
            return;
        }
        self.net.links.insert((from, dial), link);
        self.open((from, dial));
    }

    fn refuse(&mut self, from: u16, dial: DialId, host: &str, port: u16) {
        self.record(TraceEvent::LinkRefused { at: self.now, from, host: host.to_string(), port });
        self.queue.push_back((from, Input::Dialled(dial, Dialled::Refused)));
    }

    /// A link's connect completes: the node dialled accepts it, if it runs.
    fn open(&mut self, key: LinkKey) {
        let now = self.now;
        let Some(link) = self.net.links.get(&key) else { return };
        let (dialer, dial, acceptor) = (link.dialer, link.dial, link.acceptor);
        let Some(process) = self.processes.get_mut(&acceptor) else {
            self.net.remove(key);
            self.refuse(dialer, dial, "127.0.0.1", acceptor);
            return;
        };
        let client = process.node().accept(now);
        if let Some(link) = self.net.links.get_mut(&key) {
            link.client = Some(client);
            link.state = LinkState::Open;
        }
        self.net.accepted.insert((acceptor, client), key);
        self.record(TraceEvent::LinkOpened { at: now, dialer, acceptor });
        self.queue.push_back((dialer, Input::Dialled(dial, Dialled::Connected)));
    }

    /// A node closed one of its connections.
    pub(super) fn close_from(&mut self, port: u16, conn: Conn) {
        if let Conn::Client(id) = conn {
            // Both ends have closed it now.
            self.net.dialer_gone.remove(&(port, id));
        }
        match (self.net.key_of(port, conn), conn) {
            (Some(key), Conn::Dial(_)) => self.close_by_dialer(key),
            (Some(key), Conn::Client(_)) => self.close_by_acceptor(key),
            (None, Conn::Client(id)) => self.record(TraceEvent::ClientClosed { at: self.now, port, client: id }),
            (None, Conn::Dial(_)) => {}
        }
    }

    /// The dialling end closed (or died): the other end sees it at once,
    /// or, across a cut, when the cut heals; bytes in flight are lost.
    fn close_by_dialer(&mut self, key: LinkKey) {
        let Some(link) = self.net.remove(key) else { return };
        if link.state != LinkState::Open {
            return;
        }
        self.record(TraceEvent::LinkClosed { at: self.now, dialer: link.dialer, acceptor: link.acceptor });
        let Some(client) = link.client else { return };
        if !self.net.passes(link.dialer, link.acceptor) {
            // The close cannot cross the cut: the acceptor learns of it at
            // the heal, or by its own timeout. What was on its way is lost.
            self.net.dialer_gone.insert((link.acceptor, client), link.dialer);
            return;
        }
        self.queue.push_back((link.acceptor, Input::Closed(Conn::Client(client))));
    }

    /// The accepting end closed (or died). Across a cut the close cannot
    /// reach the dialler of a held link: it learns by its own timeout, or
    /// when the cut heals.
    fn close_by_acceptor(&mut self, key: LinkKey) {
        let Some(link) = self.net.links.get(&key) else { return };
        let (dialer, acceptor, dial, cut) = (link.dialer, link.acceptor, link.dial, !self.net.passes(link.acceptor, link.dialer));
        let state = link.state;
        self.record(TraceEvent::LinkClosed { at: self.now, dialer, acceptor });
        if let Some(client) = self.net.links.get_mut(&key).and_then(|l| l.client.take()) {
            self.net.accepted.remove(&(acceptor, client));
        }
        match state {
            LinkState::Open if cut => {
                if let Some(link) = self.net.links.get_mut(&key) {
                    link.state = LinkState::HalfOpen;
                }
            }
            LinkState::Open => {
                self.net.remove(key);
                self.queue.push_back((dialer, Input::Closed(Conn::Dial(dial))));
            }
            _ => {}
        }
    }

    /// A node is gone: the links it dialled close on their other end, the
    /// links to it close as if it closed them.
    pub(super) fn drop_links_of(&mut self, port: u16) {
        // Its connections die with it (their client ids start again).
        self.net.dialer_gone.retain(|(acceptor, _), _| *acceptor != port);
        let keys: Vec<LinkKey> = self.net.links.keys().copied().collect();
        for key in keys {
            let Some(link) = self.net.links.get(&key) else { continue };
            if link.dialer == port {
                self.close_by_dialer(key);
            } else if link.acceptor == port {
                if link.state == LinkState::Opening {
                    // Its connect waits on: it will be refused after the heal.
                    continue;
                }
                self.close_by_acceptor(key);
            }
        }
    }

    /// Whether the network between the two nodes is cut.
    pub fn is_cut(&self, a: u16, b: u16) -> bool {
        self.net.is_cut(a, b)
    }

    /// The pairs of nodes whose network is cut.
    pub fn cuts(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.net.cuts.iter().copied()
    }

    /// The network between two nodes drops, both ways: nothing passes,
    /// nothing is refused; the nodes notice only by their timeouts.
    pub fn cut(&mut self, a: u16, b: u16) {
        self.net.cuts.insert(pair(a, b));
        self.record(TraceEvent::Cut { at: self.now, a, b });
        let keys: Vec<LinkKey> = self.net.links.iter().filter(|(_, l)| l.joins(a, b) && l.purpose == Purpose::Monitoring).map(|(k, _)| *k).collect();
        for key in keys {
            let Some(link) = self.net.links.get_mut(&key) else { continue };
            link.state = LinkState::Severed;
            // What it had accepted is gone on its side.
            if let Some(client) = link.client.take() {
                let acceptor = link.acceptor;
                self.net.accepted.remove(&(acceptor, client));
                self.queue.push_back((acceptor, Input::Closed(Conn::Client(client))));
            }
        }
        self.settle();
    }

    /// The network between two nodes comes back: connects complete, the
    /// closes that waited arrive, and the bytes that waited move on, in order.
    pub fn heal(&mut self, a: u16, b: u16) {
        if !self.net.cuts.remove(&pair(a, b)) {
            return;
        }
        self.record(TraceEvent::Heal { at: self.now, a, b });
        self.after_heal(a, b);
    }

    /// What `from` sends no longer reaches `to`; the other way still
    /// passes. Bytes wait (TCP retransmits them) until the heal.
    pub fn cut_one_way(&mut self, from: u16, to: u16) {
        if from != to && self.net.one_way.insert((from, to)) {
            self.record(TraceEvent::CutOneWay { at: self.now, from, to });
        }
    }

    pub fn heal_one_way(&mut self, from: u16, to: u16) {
        if !self.net.one_way.remove(&(from, to)) {
            return;
        }
        self.record(TraceEvent::HealOneWay { at: self.now, from, to });
        self.after_heal(from, to);
    }

    /// The one-way cuts: (from, to).
    pub fn one_way_cuts(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.net.one_way.iter().copied()
    }

    /// Once a way between two nodes opens again: connects that waited
    /// complete, closes that waited arrive, held bytes move on, in order.
    fn after_heal(&mut self, a: u16, b: u16) {
        let connects = self.net.connects(a, b);
        let held: Vec<(LinkKey, LinkState)> = self
            .net
            .links
            .iter()
            .filter(|(_, l)| l.joins(a, b) && (matches!(l.purpose, Purpose::Replication | Purpose::Migration) || l.state == LinkState::HalfOpen))
            .map(|(k, l)| (*k, l.state))
            .collect();
        for (key, state) in held.iter().filter(|_| connects) {
            if *state == LinkState::Opening {
                self.open(*key);
                self.settle();
            }
        }
        // Their next bytes meet a connection reset.
        for (key, state) in &held {
            let Some(link) = self.net.links.get(key) else { continue };
            if *state == LinkState::HalfOpen && self.net.passes(link.acceptor, link.dialer) {
                if let Some(link) = self.net.remove(*key) {
                    self.queue.push_back((link.dialer, Input::Closed(Conn::Dial(link.dial))));
                }
            }
        }
        self.settle();
        self.deliver_due();
        // The closes of dialers that went during the cut arrive.
        let gone: Vec<(u16, ClientId)> = self
            .net
            .dialer_gone
            .iter()
            .filter(|((acceptor, _), dialer)| pair(*acceptor, **dialer) == pair(a, b) && self.net.passes(**dialer, *acceptor))
            .map(|(k, _)| *k)
            .collect();
        for (acceptor, client) in gone {
            self.net.dialer_gone.remove(&(acceptor, client));
            self.queue.push_back((acceptor, Input::Closed(Conn::Client(client))));
        }
        self.settle();
    }

    /// Gives the link between two nodes a one-way delay, both ways (0:
    /// loopback, the default).
    pub fn set_latency(&mut self, a: u16, b: u16, ms: Millis) {
        if ms > 0 {
            self.net.latencies.insert(pair(a, b), ms);
        } else {
            self.net.latencies.remove(&pair(a, b));
        }
        self.record(TraceEvent::Latency { at: self.now, a, b, ms });
    }

    /// The links given a latency: (a, b, ms).
    pub fn latencies(&self) -> impl Iterator<Item = (u16, u16, Millis)> + '_ {
        self.net.latencies.iter().map(|(&(a, b), &ms)| (a, b, ms))
    }

    pub fn latency(&self, a: u16, b: u16) -> Millis {
        self.net.latency(a, b)
    }

    /// A snapshot on its way to a replica: (bytes arrived, bytes in all).
    pub fn transfer_progress(&self, replica: u16) -> Option<(u64, u64)> {
        self.net
            .links
            .values()
            .filter(|l| l.dialer == replica && l.purpose == Purpose::Replication && l.state == LinkState::Open)
            .find_map(|l| l.back.progress())
    }
}
