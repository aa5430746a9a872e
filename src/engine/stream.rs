//! The stream type as Redis 7.0 lays it out, because RDB files, DUMP
//! payloads, XINFO and the trimming rules all show the layout: entries
//! live in nodes keyed by their first ("master") ID, each node a listpack
//! whose master entry names the fields of its first entry, whose entries
//! carry their ID as a delta from the master ID and a SAMEFIELDS flag when
//! their fields are the master's, and where XDEL only flags an entry
//! deleted until the whole node is empty. A node is full at
//! `stream-node-max-bytes` or `stream-node-max-entries`. Consumer groups
//! keep their pending entries (the PEL) and their consumers in ID and
//! name order, as Redis's radix trees do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;


/// An entry ID: milliseconds and a sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, or `None` past the last possible one.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, or `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The 128-bit big-endian form Redis uses as radix tree key and in RDB.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    pub fn from_be_bytes(bytes: &[u8]) -> Option<StreamId> {
        if bytes.len() != 16 {
            return None;
        }
        let ms = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let seq = u64::from_be_bytes(bytes[8..].try_into().ok()?);
        Some(StreamId::new(ms, seq))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Field-value pairs of an entry.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// An entry inside a node, deleted ones included (they stay in the
/// listpack, flagged, until their node empties).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeEntry {
    pub id: StreamId,
    pub pairs: Pairs,
    /// Its fields are the master entry's, so the listpack omits them.
    pub same_fields: bool,
    pub deleted: bool,
}

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// One listpack of the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub master_fields: Vec<Vec<u8>>,
    pub entries: Vec<NodeEntry>,
    /// Entries not flagged deleted.
    pub live: usize,
}

impl Node {
    fn deleted(&self) -> usize {
        self.entries.len() - self.live
    }

    /// The listpack's elements in order, integers as their decimal text
    /// (the listpack stores those as integers).
    pub fn elements(&self, master: StreamId) -> Vec<Vec<u8>> {
        let int = |v: i64| v.to_string().into_bytes();
        let mut out = vec![int(self.live as i64), int(self.deleted() as i64), int(self.master_fields.len() as i64)];
        out.extend(self.master_fields.iter().cloned());
        out.push(int(0));
        for e in &self.entries {
            let flags = if e.deleted { FLAG_DELETED } else { 0 } | if e.same_fields { FLAG_SAMEFIELDS } else { 0 };
            out.push(int(flags));
            out.push(int(e.id.ms.wrapping_sub(master.ms) as i64));
            out.push(int(e.id.seq.wrapping_sub(master.seq) as i64));
            if !e.same_fields {
                out.push(int(e.pairs.len() as i64));
            }
            for (f, v) in &e.pairs {
                if !e.same_fields {
                    out.push(f.clone());
                }
                out.push(v.clone());
            }
            let pieces = 3 + e.pairs.len() + if e.same_fields { 0 } else { e.pairs.len() + 1 };
            out.push(int(pieces as i64));
        }
        out
    }

    /// Reads a node back from its listpack's elements (integers as their
    /// text), checking them the way Redis's stream listpack validation does.
    pub fn from_elements(master: StreamId, items: Vec<Vec<u8>>) -> Result<Node, String> {
        let mut cursor = items.iter().peekable();
        let mut next = || -> Result<&[u8], String> { Ok(cursor.next().ok_or("stream listpack ends inside an entry")?.as_slice()) };
        let int = |b: &[u8]| crate::engine::numfmt::parse_i64(b).ok_or_else(|| "stream listpack holds a non-integer where a number belongs".to_string());
        let live = int(next()?)?;
        let deleted = int(next()?)?;
        let field_count = int(next()?)?;
        if live < 0 || deleted < 0 || !(0..=1 << 20).contains(&field_count) {
            return Err("stream listpack has a bad master entry".into());
        }
        let mut master_fields = Vec::new();
        for _ in 0..field_count {
            master_fields.push(next()?.to_vec());
        }
        if int(next()?)? != 0 {
            return Err("stream listpack master entry is not terminated".into());
        }
        let mut entries = Vec::new();
        let mut live_seen = 0usize;
        let total = items.len();
        let mut consumed = 4 + master_fields.len();
        while consumed < total {
            let flags = int(next()?)?;
            let ms = master.ms.wrapping_add(int(next()?)? as u64);
            let seq = master.seq.wrapping_add(int(next()?)? as u64);
            let same_fields = flags & FLAG_SAMEFIELDS != 0;
            let count = if same_fields { master_fields.len() as i64 } else { int(next()?)? };
            if !(0..=1 << 20).contains(&count) {
                return Err("stream entry has a bad field count".into());
            }
            let mut pairs = Vec::new();
            for i in 0..count as usize {
                let field = if same_fields { master_fields[i].clone() } else { next()?.to_vec() };
                pairs.push((field, next()?.to_vec()));
            }
            let pieces = int(next()?)?;
            let expected = 3 + count + if same_fields { 0 } else { count + 1 };
            consumed += expected as usize + 1;
            if pieces != expected {
                return Err("stream entry has a wrong lp-count".into());
            }
            let deleted = flags & FLAG_DELETED != 0;
            if !deleted {
                live_seen += 1;
            }
            let id = StreamId::new(ms, seq);
            if entries.last().is_some_and(|e: &NodeEntry| e.id >= id) || id < master {
                return Err("stream entries are out of order".into());
            }
            entries.push(NodeEntry { id, pairs, same_fields, deleted });
        }
        if entries.is_empty() || live_seen as i64 != live || (entries.len() - live_seen) as i64 != deleted {
            return Err("stream listpack counts do not match its entries".into());
        }
        Ok(Node { master_fields, entries, live: live_seen })
    }
}

/// An entry delivered to a consumer and not yet acknowledged.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub consumer: Vec<u8>,
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Consumer {
    pub seen_time: i64,
    pub pending: BTreeSet<StreamId>,
}

/// `entries_read` when the group's position in the stream is unknown.
pub const ENTRIES_READ_UNKNOWN: i64 = -1;

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// Forgets a pending entry, in the group and in its consumer.
    pub fn remove_pending(&mut self, id: StreamId) -> Option<Nack> {
        let nack = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pending.remove(&id);
        }
        Some(nack)
    }

    /// Gives a pending entry to `consumer` (which must exist).
    pub fn assign(&mut self, id: StreamId, consumer: &[u8]) {
        let previous = self.pel.get(&id).map(|n| n.consumer.clone());
        if let Some(old) = previous.filter(|o| o.as_slice() != consumer) {
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pending.remove(&id);
            }
        }
        if let Some(nack) = self.pel.get_mut(&id) {
            nack.consumer = consumer.to_vec();
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pending.insert(id);
        }
    }
}

/// How XADD and XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Nodes by master ID.
    pub nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// The node size limits, from `stream-node-max-bytes` and
/// `stream-node-max-entries` (0: no limit), and how to measure a node: the
/// bytes of the listpack holding these elements (the RDB layer knows).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
    pub listpack_len: fn(&[Vec<u8>]) -> usize,
}

/// Redis's hard cap on one listpack.
const LISTPACK_MAX_SIZE: u64 = 1 << 30;

impl Stream {
    /// The ID `*` gives at `now_ms`: the time, or one past the last ID when
    /// the clock is behind it; `None` once the last possible ID is taken.
    pub fn auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Appends an entry with `id` (greater than the last ID, checked by the
    /// caller), opening a new node when the tail one is full.
    pub fn append(&mut self, id: StreamId, pairs: Pairs, limits: NodeLimits) {
        let added_bytes: u64 = pairs.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        let max_bytes = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE { LISTPACK_MAX_SIZE } else { limits.max_bytes };
        let tail_full = match self.nodes.iter().next_back() {
            None => true,
            Some((master, node)) => {
                (limits.listpack_len)(&node.elements(*master)) as u64 + added_bytes >= max_bytes
                    || (limits.max_entries != 0 && node.entries.len() as u64 >= limits.max_entries)
            }
        };
        if tail_full {
            let master_fields = pairs.iter().map(|(f, _)| f.clone()).collect();
            let entry = NodeEntry { id, pairs, same_fields: true, deleted: false };
            self.nodes.insert(id, Node { master_fields, entries: vec![entry], live: 1 });
        } else if let Some((_, node)) = self.nodes.iter_mut().next_back() {
            let same_fields = node.master_fields.len() == pairs.len() && node.master_fields.iter().zip(&pairs).all(|(m, (f, _))| m == f);
            node.entries.push(NodeEntry { id, pairs, same_fields, deleted: false });
            node.live += 1;
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Live entries from `start` to `end` inclusive, forwards.
    pub fn range(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = &NodeEntry> + '_ {
        let from = self.nodes.range(..=start).next_back().map_or(start, |(k, _)| *k);
        self.nodes
            .range(from..)
            .flat_map(|(_, n)| n.entries.iter())
            .filter(move |e| !e.deleted && e.id >= start)
            .take_while(move |e| e.id <= end)
    }

    /// Live entries from `end` down to `start` inclusive.
    pub fn range_rev(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = &NodeEntry> + '_ {
        self.nodes
            .range(..=end)
            .rev()
            .flat_map(|(_, n)| n.entries.iter().rev())
            .filter(move |e| !e.deleted && e.id <= end)
            .take_while(move |e| e.id >= start)
    }

    pub fn get(&self, id: StreamId) -> Option<&NodeEntry> {
        self.range(id, id).next()
    }

    /// The first and last live IDs.
    pub fn first_live(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX).next().map(|e| e.id)
    }

    pub fn last_live(&self) -> Option<StreamId> {
        self.range_rev(StreamId::MIN, StreamId::MAX).next().map(|e| e.id)
    }

    /// Flags one entry deleted (its node goes once it has none left).
    fn remove_entry(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else { return false };
        let Some(entry) = node.entries.iter_mut().find(|e| e.id == id && !e.deleted) else { return false };
        entry.deleted = true;
        node.live -= 1;
        if node.live == 0 {
            self.nodes.remove(&master);
        }
        self.length -= 1;
        true
    }

    /// XDEL of one ID: true if it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if !self.remove_entry(id) {
            return false;
        }
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        true
    }

    /// After deletions: the first live ID, as Redis records it (0-0 once empty).
    pub fn refresh_first_id(&mut self) {
        self.first_id = if self.length == 0 { StreamId::MIN } else { self.first_live().unwrap_or(StreamId::MAX) };
    }

    /// Trims from the oldest end; `approx` removes whole nodes only and
    /// `limit` (0: none) bounds the entries removed. Answers how many went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in masters {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let Some(node) = self.nodes.get(&master) else { continue };
            let live = node.live as u64;
            if limit != 0 && deleted + live > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => self.length - live >= max,
                Trim::MinId(min) => node.entries.last().is_some_and(|e| e.id < min),
            };
            if whole {
                self.nodes.remove(&master);
                self.length -= live;
                deleted += live;
                continue;
            }
            if approx {
                break;
            }
            let mut length = self.length;
            let Some(node) = self.nodes.get_mut(&master) else { break };
            for entry in node.entries.iter_mut() {
                let stop = match how {
                    Trim::MaxLen(max) => length <= max,
                    Trim::MinId(min) => entry.id >= min,
                };
                if stop {
                    break;
                }
                if !entry.deleted {
                    entry.deleted = true;
                    node.live -= 1;
                    length -= 1;
                    deleted += 1;
                }
            }
            self.length = length;
            // A partly trimmed node keeps its flagged entries, as in Redis.
            break;
        }
        if deleted > 0 || self.length == 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Whether a deleted entry may lie between `start` and `end`.
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() || self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// How many entries were added up to `id` since the stream began, when
    /// that can be known (Redis's streamEstimateDistanceFromFirstEverEntry).
    pub fn entries_before(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(self.entries_added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return Some(self.entries_added - self.length),
                std::cmp::Ordering::Equal => return Some(self.entries_added - self.length + 1),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// A group's lag: entries not yet delivered to it, when known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != ENTRIES_READ_UNKNOWN && !self.range_has_tombstones(group.last_id, StreamId::MAX) {
            return Some(self.entries_added as i64 - group.entries_read);
        }
        self.entries_before(group.last_id).map(|read| self.entries_added as i64 - read as i64)
    }

    /// Moves a group past `id` as a delivery does, keeping its read
    /// counter when it can.
    pub fn advance_group(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if group.entries_read != ENTRIES_READ_UNKNOWN && !self.range_has_tombstones(id, StreamId::MAX) {
            group.entries_read += 1;
        } else if self.entries_added != 0 {
            group.entries_read = self.entries_before(id).map_or(ENTRIES_READ_UNKNOWN, |n| n as i64);
        }
        group.last_id = id;
    }

    /// XINFO's `radix-tree-nodes`: the nodes of the radix tree keyed by the
    /// nodes' master IDs, as rax builds it (one node per branching point,
    /// one per run of single-child bytes, one per key, and the root).
    pub fn radix_tree_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        rax_nodes(&keys)
    }
}

/// The node count of a rax holding `keys` (sorted, distinct, same length).
pub fn rax_nodes(keys: &[[u8; 16]]) -> u64 {
    fn count(keys: &[[u8; 16]], depth: usize, in_run: bool) -> u64 {
        if depth == 16 {
            return 1;
        }
        // Split the keys by their byte at `depth`.
        let mut groups = 0u64;
        let mut total = 0u64;
        let mut i = 0;
        let mut children = Vec::new();
        while i < keys.len() {
            let byte = keys[i][depth];
            let j = keys[i..].iter().position(|k| k[depth] != byte).map_or(keys.len(), |p| i + p);
            children.push((i, j));
            groups += 1;
            i = j;
        }
        if groups == 1 {
            // A single child continues (or starts) a compressed run.
            let (a, b) = children[0];
            return u64::from(!in_run) + count(&keys[a..b], depth + 1, true);
        }
        for (a, b) in children {
            total += count(&keys[a..b], depth + 1, false);
        }
        total + 1
    }
    if keys.is_empty() {
        return 1;
    }
    count(keys, 0, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter().map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    /// Roughly a listpack's size: enough for these tests, which turn on
    /// the entry limit (rdb's tests hold the real sizes).
    fn rough_len(elements: &[Vec<u8>]) -> usize {
        7 + elements.iter().map(|e| e.len() + 2).sum::<usize>()
    }

    const LIMITS: NodeLimits = NodeLimits { max_bytes: 4096, max_entries: 100, listpack_len: rough_len };

    #[test]
    fn ids_step_and_wrap_at_the_edges() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::from_be_bytes(&StreamId::new(7, 9).to_be_bytes()), Some(StreamId::new(7, 9)));
    }

    #[test]
    fn nodes_fill_up_to_the_entry_limit_and_read_back_from_their_elements() {
        let mut s = Stream::default();
        for i in 1..=250u64 {
            s.append(StreamId::new(i, 0), pairs(&[("a", "1"), ("b", "x")]), LIMITS);
        }
        assert_eq!(s.nodes.len(), 3);
        assert_eq!(s.length, 250);
        for (master, node) in &s.nodes {
            assert_eq!(&Node::from_elements(*master, node.elements(*master)).unwrap(), node);
        }
    }

    #[test]
    fn deleting_flags_entries_until_the_node_empties() {
        let mut s = Stream::default();
        for i in 1..=3u64 {
            s.append(StreamId::new(i, 0), pairs(&[("f", "v")]), LIMITS);
        }
        assert!(s.delete(StreamId::new(2, 0)));
        assert!(!s.delete(StreamId::new(2, 0)));
        assert_eq!(s.nodes.values().next().unwrap().entries.len(), 3);
        assert!(s.delete(StreamId::new(1, 0)));
        assert!(s.delete(StreamId::new(3, 0)));
        assert!(s.nodes.is_empty());
        assert_eq!(s.length, 0);
    }

    #[test]
    fn exact_trim_flags_approximate_trim_drops_whole_nodes() {
        let mut s = Stream::default();
        let small = NodeLimits { max_entries: 10, ..LIMITS };
        for i in 1..=30u64 {
            s.append(StreamId::new(i, 0), pairs(&[("f", "v")]), small);
        }
        assert_eq!(s.clone().trim(Trim::MaxLen(25), true, 0), 0);
        assert_eq!(s.clone().trim(Trim::MaxLen(15), true, 0), 10);
        let mut exact = s.clone();
        assert_eq!(exact.trim(Trim::MaxLen(25), false, 0), 5);
        assert_eq!(exact.first_id, StreamId::new(6, 0));
        assert_eq!(exact.trim(Trim::MinId(StreamId::new(12, 0)), false, 0), 6);
        assert_eq!(exact.length, 19);
    }

    #[test]
    fn rax_node_counts() {
        let key = |ms: u64| StreamId::new(ms, 0).to_be_bytes();
        assert_eq!(rax_nodes(&[]), 1);
        assert_eq!(rax_nodes(&[key(1)]), 2);
        // Diverging in the last byte of ms: run, branch, two runs, two leaves.
        assert_eq!(rax_nodes(&[key(1), key(2)]), 6);
    }
}
