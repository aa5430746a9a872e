//! The values keys hold, with the encodings Redis 7.0 reports through
//! `OBJECT ENCODING` and the same rules for converting from the compact
//! encoding to the general one (never back):
//!
//! - string: `int` / `embstr` (up to 44 bytes) / `raw`;
//! - list: always `quicklist` in 7.0;
//! - hash: `listpack` (insertion order) until `hash-max-listpack-entries` /
//!   `-value` are exceeded, then `hashtable`;
//! - set: `intset` (sorted integers) until a non-integer member or more than
//!   `set-max-intset-entries`, then `hashtable`;
//! - sorted set: `listpack` until `zset-max-listpack-entries` / `-value`,
//!   then `skiplist`; both keep (score, member) order;
//! - stream: always `stream` (its layout is in stream.rs).

use std::cmp::Ordering;
use std::collections::{BTreeSet, VecDeque};

use super::fnv::{FixedHashMap, FixedHashSet};


/// The conversion thresholds, from the node's config (CONFIG SET changes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}

/// Redis's `string2ll` on a member or value: the integer it spells exactly.
pub fn as_integer(bytes: &[u8]) -> Option<i64> {
    super::numfmt::parse_i64(bytes)
}

/// How Redis created a string, which decides what OBJECT ENCODING says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrOrigin {
    /// From a client argument, through tryObjectEncoding: `int` when it
    /// spells an integer, else `embstr` up to 44 bytes, else `raw`.
    Argument,
    /// Built from a formatted number (INCRBYFLOAT): never `int`.
    Formatted,
    /// Changed in place (APPEND, SETRANGE): always `raw`.
    Modified,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub bytes: Vec<u8>,
    pub origin: StrOrigin,
}

impl Str {
    pub fn new(bytes: Vec<u8>) -> Str {
        Str { bytes, origin: StrOrigin::Argument }
    }

    pub fn encoding(&self) -> &'static str {
        let may_be_int = self.origin == StrOrigin::Argument;
        if self.origin == StrOrigin::Modified {
            "raw"
        } else if may_be_int && self.bytes.len() <= 20 && as_integer(&self.bytes).is_some() {
            "int"
        } else if self.bytes.len() <= 44 {
            "embstr"
        } else {
            "raw"
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Hash {
    Listpack(Vec<(Vec<u8>, Vec<u8>)>),
    /// Boxed, as the set's table and the sorted set: a value is then no
    /// bigger than a string's, and so is every key's table slot.
    Table(Box<FixedHashMap<Vec<u8>, Vec<u8>>>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, field: &[u8]) -> Option<&Vec<u8>> {
        match self {
            Hash::Listpack(v) => v.iter().find(|(f, _)| f == field).map(|(_, v)| v),
            Hash::Table(m) => m.get(field),
        }
    }

    /// Redis converts when a field or value is too long before inserting it.
    pub fn convert_for_lengths(&mut self, lengths: impl IntoIterator<Item = usize>, limits: &Limits) {
        if matches!(self, Hash::Listpack(_)) && lengths.into_iter().any(|l| l > limits.hash_max_listpack_value) {
            self.convert();
        }
    }

    fn convert(&mut self) {
        if let Hash::Listpack(v) = self {
            let table = std::mem::take(v).into_iter().collect();
            *self = Hash::Table(Box::new(table));
        }
    }

    /// Sets a field; returns true when the field is new.
    pub fn set(&mut self, field: &[u8], value: Vec<u8>, limits: &Limits) -> bool {
        let new = match self {
            Hash::Listpack(v) => match v.iter_mut().find(|(f, _)| f == field) {
                Some(entry) => {
                    entry.1 = value;
                    false
                }
                None => {
                    v.push((field.to_vec(), value));
                    true
                }
            },
            Hash::Table(m) => m.insert(field.to_vec(), value).is_none(),
        };
        if self.len() > limits.hash_max_listpack_entries {
            self.convert();
        }
        new
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(v) => match v.iter().position(|(f, _)| f == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(m) => m.swap_remove(field).is_some(),
        }
    }

    /// Fields and values in the encoding's order.
    pub fn entries(&self) -> Vec<(&Vec<u8>, &Vec<u8>)> {
        match self {
            Hash::Listpack(v) => v.iter().map(|(f, v)| (f, v)).collect(),
            Hash::Table(m) => m.iter().collect(),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Set {
    Intset(Vec<i64>),
    Table(Box<FixedHashSet<Vec<u8>>>),
}

impl Set {
    /// An empty set of the encoding its first member calls for.
    pub fn for_first_member(member: &[u8]) -> Set {
        if as_integer(member).is_some() {
            Set::Intset(Vec::new())
        } else {
            Set::Table(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(v) => as_integer(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Set::Table(s) => s.contains(member),
        }
    }

    fn convert(&mut self) {
        if let Set::Intset(v) = self {
            let table = v.iter().map(|n| n.to_string().into_bytes()).collect();
            *self = Set::Table(Box::new(table));
        }
    }

    /// Adds a member; returns true when it was not there.
    pub fn add(&mut self, member: &[u8], limits: &Limits) -> bool {
        if let Set::Intset(v) = self {
            match as_integer(member) {
                Some(n) => {
                    let Err(at) = v.binary_search(&n) else { return false };
                    v.insert(at, n);
                    if v.len() > limits.set_max_intset_entries {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match self {
            Set::Table(s) => s.insert(member.to_vec()),
            Set::Intset(_) => false,
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match as_integer(member).map(|n| v.binary_search(&n)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Set::Table(s) => s.swap_remove(member),
        }
    }

    /// Members in the encoding's order (ascending for an intset).
    pub fn members(&self) -> Vec<Vec<u8>> {
        match self {
            Set::Intset(v) => v.iter().map(|n| n.to_string().into_bytes()).collect(),
            Set::Table(s) => s.iter().cloned().collect(),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }
}

/// A score with the total order sorted sets use (NaN never gets in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ZSet {
    skiplist: bool,
    scores: FixedHashMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl ZSet {
    /// An empty sorted set; `skiplist` when the first member is already too
    /// long for a listpack (or listpacks are disabled), as zsetTypeCreate does.
    pub fn new(first_member_len: usize, limits: &Limits) -> ZSet {
        let skiplist = limits.zset_max_listpack_entries == 0 || first_member_len > limits.zset_max_listpack_value;
        ZSet { skiplist, ..ZSet::default() }
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Inserts or updates; returns the previous score.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: &Limits) -> Option<f64> {
        let old = self.scores.insert(member.to_vec(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), member.to_vec()));
        }
        self.order.insert((Score(score), member.to_vec()));
        if !self.skiplist && (self.len() > limits.zset_max_listpack_entries || member.len() > limits.zset_max_listpack_value) {
            self.skiplist = true;
        }
        old
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.scores.swap_remove(member)?;
        self.order.remove(&(Score(score), member.to_vec()));
        Some(score)
    }

    /// Members with scores, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Vec<u8>, f64)> + '_ {
        self.order.iter().map(|(s, m)| (m, s.0))
    }

    /// Members with scores from `min` up, lowest first.
    pub fn from_score(&self, min: f64) -> impl Iterator<Item = (&Vec<u8>, f64)> + '_ {
        self.order.range((Score(min), Vec::new())..).map(|(s, m)| (m, s.0))
    }

    /// 0-based rank from the lowest score.
    /// The member at position `i` of its table (insertion order): for
    /// sampling, not for ranks.
    pub fn member_at(&self, i: usize) -> Option<&Vec<u8>> {
        self.scores.get_index(i).map(|(m, _)| m)
    }

    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.order.range(..(Score(score), member.to_vec())).count())
    }

    pub fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Str),
    List(VecDeque<Vec<u8>>),
    Hash(Hash),
    Set(Set),
    /// Boxed: a sorted set is twice the size of the other values, and
    /// every key of every type would pay for it in its table slot.
    ZSet(Box<ZSet>),
    Stream(Box<super::stream::Stream>),
}

impl Value {
    pub fn string(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Str(Str::new(bytes.into()))
    }

    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_encodings() {
        assert_eq!(Str::new(b"123".to_vec()).encoding(), "int");
        assert_eq!(Str::new(b"0123".to_vec()).encoding(), "embstr");
        assert_eq!(Str::new(vec![b'a'; 44]).encoding(), "embstr");
        assert_eq!(Str::new(vec![b'a'; 45]).encoding(), "raw");
        assert_eq!(Str { bytes: b"1".to_vec(), origin: StrOrigin::Modified }.encoding(), "raw");
        assert_eq!(Str { bytes: b"1".to_vec(), origin: StrOrigin::Formatted }.encoding(), "embstr");
    }

    #[test]
    fn set_converts_once() {
        let limits = Limits { set_max_intset_entries: 2, ..Limits::default() };
        let mut s = Set::for_first_member(b"3");
        assert!(s.add(b"3", &limits) && s.add(b"1", &limits));
        assert_eq!(s.members(), [b"1".to_vec(), b"3".to_vec()]);
        assert_eq!(s.encoding(), "intset");
        s.add(b"2", &limits);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"2") && s.contains(b"1"));
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn hash_keeps_insertion_order_until_converted() {
        let limits = Limits { hash_max_listpack_entries: 2, ..Limits::default() };
        let mut h = Hash::default();
        h.set(b"b", b"1".to_vec(), &limits);
        h.set(b"a", b"2".to_vec(), &limits);
        assert_eq!(h.entries()[0].0, b"b");
        h.set(b"c", b"3".to_vec(), &limits);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn zset_orders_by_score_then_member() {
        let limits = Limits::default();
        let mut z = ZSet::new(1, &limits);
        z.insert(b"b", 1.0, &limits);
        z.insert(b"a", 1.0, &limits);
        z.insert(b"c", 0.5, &limits);
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m.as_slice()).collect();
        assert_eq!(order, [&b"c"[..], b"a", b"b"]);
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.insert(b"c", 2.0, &limits), Some(0.5));
        assert_eq!(z.rank(b"c"), Some(2));
    }
}
