//! What the data would take in a real Redis 7.0 built with jemalloc: the
//! allocations behind each key (dict entry, key sds, object, value
//! encoding, expiry entry) rounded to jemalloc's size classes, and the
//! hash tables. INFO's `used_memory`, MEMORY USAGE, `maxmemory` and the
//! page's memory guard all read these figures, so the same `maxmemory`
//! gives the verdicts it gives on Redis (tests/memory.rs holds them within
//! 25 % of figures recorded from redis-server). It also names the
//! `maxmemory-policy` values.
//!
//! Large collections are sized from a few of their elements (as MEMORY
//! USAGE samples them), so accounting a command costs the same on a list
//! of ten elements as on one of a million.

use super::stream::Stream;
use super::value::{as_integer, Hash, Set, Value, ZSet};

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    pub fn volatile_only(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileRandom | Policy::VolatileTtl)
    }
}

/// What an idle redis-server 7.0.15 reports as `used_memory` before any
/// client connects (its `used_memory_startup`).
pub const STARTUP_BYTES: u64 = 866_000;

/// What one connected client costs (its query buffer and reply block).
pub const CLIENT_BYTES: u64 = 20_000;

/// What the process holds beyond `used_memory`, as jemalloc and the
/// kernel report it: allocated (jemalloc's own count, a little above
/// Redis's), active (whole pages in use), resident (what jemalloc has
/// mapped), RSS (the process). Calibrated on redis-server 7.0.15 from empty
/// to `DEBUG POPULATE 1000000` (used 0.9 MB: RSS 6.7 MB; 10 MB: 16.2 MB;
/// 89 MB: 99.2 MB); the model lands within a few percent of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessMemory {
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub rss: u64,
}

pub fn process_memory(used: u64) -> ProcessMemory {
    let allocated = used + 450_000;
    let active = allocated + 150_000 + allocated * 3 / 1000;
    let resident = active + 2_600_000 + active * 4 / 100;
    let rss = resident + 2_200_000 + resident * 6 / 1000;
    ProcessMemory { allocated, active, resident, rss }
}

/// A dictEntry (key, value, next): 24 bytes, allocated as 32.
const DICT_ENTRY: u64 = 32;
/// A robj header.
const OBJECT: u64 = 16;
/// Elements read to size a large collection.
const SAMPLES: usize = 16;
/// `list-max-listpack-size -2`: a quicklist node holds about 8 KB.
const QUICKLIST_NODE_BYTES: u64 = 8 * 1024;

/// The size class jemalloc serves a request of `n` bytes from.
pub fn allocation(n: u64) -> u64 {
    match n {
        0..=8 => 8,
        9..=128 => n.div_ceil(16) * 16,
        _ => {
            // Four classes per doubling above 128 bytes.
            let step = 1u64 << (63 - (n - 1).leading_zeros() - 2);
            n.div_ceil(step) * step
        }
    }
}

/// An sds string of `len` bytes: header by length, the bytes, a NUL.
pub fn sds(len: usize) -> u64 {
    let header = match len {
        0..=31 => 1,
        32..=255 => 3,
        256..=65_535 => 5,
        _ => 9,
    };
    allocation(header + len as u64 + 1)
}

/// A hash table of `n` entries: Redis grows it to the next power of two.
pub fn table(n: usize) -> u64 {
    if n == 0 {
        0
    } else {
        n.next_power_of_two().max(4) as u64 * 8
    }
}

/// The bytes a key and its value take, without the key's slot in the
/// database's table (`table` over the key count gives those).
pub fn entry(key: &[u8], value: &Value, expires: bool) -> u64 {
    DICT_ENTRY + sds(key.len()) + value_bytes(value) + if expires { DICT_ENTRY } else { 0 }
}

/// MEMORY USAGE of a key: its value, its key sds and an unrounded
/// dictEntry, as Redis's own estimate adds them up (a shared integer's
/// object counted too).
pub fn usage(key: &[u8], value: &Value) -> u64 {
    24 + sds(key.len()) + value_bytes(value).max(OBJECT)
}

/// The value's object and what hangs off it.
pub fn value_bytes(value: &Value) -> u64 {
    match value {
        Value::Str(s) => string_object(&s.bytes, s.encoding()),
        Value::List(items) => {
            let n = items.len();
            let sampled = sample(n).map(|i| listpack_entry(&items[i])).sum::<u64>();
            let bytes = scaled_by(sampled, sample(n).count(), n);
            let nodes = bytes.div_ceil(QUICKLIST_NODE_BYTES).max(1);
            // quicklist struct (40) + a node (32) and its listpack each.
            OBJECT + allocation(40) + nodes * (32 + allocation((bytes / nodes) + 7))
        }
        Value::Hash(Hash::Listpack(pairs)) => {
            OBJECT + allocation(7 + pairs.iter().map(|(f, v)| listpack_entry(f) + listpack_entry(v)).sum::<u64>())
        }
        Value::Hash(Hash::Table(map)) => {
            let sampled: u64 = spread(map.len()).filter_map(|i| map.get_index(i)).map(|(f, v)| DICT_ENTRY + sds(f.len()) + sds(v.len())).sum();
            OBJECT + allocation(56) + table(map.len()) + scaled(sampled, map.len())
        }
        Value::Set(Set::Intset(values)) => {
            let width = match (values.first(), values.last()) {
                (Some(&lo), Some(&hi)) if lo >= i16::MIN as i64 && hi <= i16::MAX as i64 => 2,
                (Some(&lo), Some(&hi)) if lo >= i32::MIN as i64 && hi <= i32::MAX as i64 => 4,
                (None, _) => 2,
                _ => 8,
            };
            OBJECT + allocation(8 + width * values.len() as u64)
        }
        Value::Set(Set::Table(members)) => {
            let n = members.len();
            let sampled: u64 = spread(n).filter_map(|i| members.get_index(i)).map(|m| DICT_ENTRY + sds(m.len())).sum();
            OBJECT + allocation(56) + table(n) + scaled(sampled, n)
        }
        Value::ZSet(z) => zset_bytes(z),
        Value::Stream(st) => stream_bytes(st),
    }
}

/// A radix tree of `keys` 16-byte IDs in `nodes` nodes, as Redis counts one.
fn rax_bytes(keys: usize, nodes: u64) -> u64 {
    keys as u64 * 16 + nodes * (4 + 8 * 30)
}

/// A stream: its struct, its radix tree, its listpacks (sized from the
/// first few; the tail one is allocated 4 KB ahead, as Redis preallocates
/// it) and its consumer groups' pending lists.
fn stream_bytes(st: &Stream) -> u64 {
    let node_bytes = |n: &crate::engine::stream::Node| -> u64 {
        let element = |b: &[u8]| b.len() as u64 + 2;
        let master: u64 = n.master_fields.iter().map(|f| element(f)).sum();
        let entries: u64 = n
            .entries
            .iter()
            .map(|e| 8 + e.pairs.iter().map(|(f, v)| element(v) + if e.same_fields { 0 } else { element(f) + 1 }).sum::<u64>())
            .sum();
        10 + master + entries
    };
    let n = st.nodes.len();
    let sampled: u64 = st.nodes.values().take(SAMPLES).map(node_bytes).sum();
    let seen = n.min(SAMPLES);
    let lists = match st.nodes.values().next_back() {
        None => 0,
        Some(tail) if n <= SAMPLES => sampled - node_bytes(tail) + allocation(node_bytes(tail).max(4096)),
        Some(tail) => scaled_by(sampled, seen, n - 1) + allocation(node_bytes(tail).max(4096)),
    };
    let tree = rax_bytes(n, if n <= SAMPLES { st.radix_tree_nodes() } else { 2 * n as u64 + 1 });
    let groups: u64 = st
        .groups
        .values()
        .map(|g| {
            let consumers: u64 = g.consumers.iter().map(|(name, c)| 32 + name.len() as u64 + rax_bytes(c.pending.len(), 2 * c.pending.len() as u64 + 1)).sum();
            40 + rax_bytes(g.pel.len(), 2 * g.pel.len() as u64 + 1) + 24 * g.pel.len() as u64 + consumers
        })
        .sum();
    OBJECT + 80 + tree + lists + groups
}

fn zset_bytes(z: &ZSet) -> u64 {
    let n = z.len();
    if z.encoding() == "listpack" {
        let entries: u64 = z.iter().map(|(m, score)| listpack_entry(m) + score_entry(score)).sum();
        return OBJECT + allocation(7 + entries);
    }
    // A dict entry, a skiplist node (about 1.33 levels of 16 bytes on
    // top of 32) and the member's sds, per element.
    let sampled: u64 = spread(n).filter_map(|i| z.member_at(i)).map(|m| DICT_ENTRY + 53 + sds(m.len())).sum();
    OBJECT + allocation(16) + allocation(56) + allocation(32 + 32 * 16) + table(n) + scaled(sampled, n)
}

/// The total over `n` elements of what `sampled` measured on the first
/// `min(n, SAMPLES)` of them.
fn scaled(sampled: u64, n: usize) -> u64 {
    scaled_by(sampled, n.min(SAMPLES), n)
}

/// The positions sampled in a table of `n`: spread over it, the old and
/// the new elements alike (tables keep their insertion order).
fn spread(n: usize) -> impl Iterator<Item = usize> {
    let seen = n.min(SAMPLES);
    (0..seen).map(move |i| i * n / seen)
}

/// For a list: the positions sampled (spread from both ends).
fn sample(n: usize) -> impl Iterator<Item = usize> {
    let half = SAMPLES / 2;
    let front = 0..n.min(half);
    let back = n.saturating_sub(half).max(n.min(half))..n;
    front.chain(back)
}

/// The total over `n` elements of what `sampled` measured on `seen` of them.
fn scaled_by(sampled: u64, seen: usize, n: usize) -> u64 {
    if seen == 0 {
        0
    } else {
        sampled * n as u64 / seen as u64
    }
}

/// A string value's object: integers live in the object (shared below
/// 10000), short strings share one allocation with it (embstr), longer
/// ones have their own sds.
fn string_object(bytes: &[u8], encoding: &str) -> u64 {
    match encoding {
        "int" => match as_integer(bytes) {
            Some(0..=9_999) => 0,
            _ => OBJECT,
        },
        "embstr" => allocation(OBJECT + 3 + bytes.len() as u64 + 1),
        _ => OBJECT + sds(bytes.len()),
    }
}

/// One listpack entry: its encoding (integers packed in 1 to 9 bytes,
/// strings after a 1, 2 or 5 byte header) and its back-length.
fn listpack_entry(element: &[u8]) -> u64 {
    let body = match as_integer(element) {
        Some(v) if (0..=127).contains(&v) => 1,
        Some(v) if (-4096..=4095).contains(&v) => 2,
        Some(v) if i16::try_from(v).is_ok() => 3,
        Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => 4,
        Some(v) if i32::try_from(v).is_ok() => 5,
        Some(_) => 9,
        None => match element.len() {
            0..=63 => 1 + element.len() as u64,
            64..=4095 => 2 + element.len() as u64,
            _ => 5 + element.len() as u64,
        },
    };
    body + match body {
        0..=127 => 1,
        128..=16_383 => 2,
        _ => 3,
    }
}

/// A score in a listpack: integral scores are stored as integers.
fn score_entry(score: f64) -> u64 {
    if score.fract() == 0.0 && score.abs() < 1e15 {
        listpack_entry((score as i64).to_string().as_bytes())
    } else {
        listpack_entry(format!("{score}").as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_size_classes() {
        let classes: Vec<u64> = [1, 8, 9, 24, 100, 128, 129, 160, 161, 1006, 4500, 8200].map(allocation).to_vec();
        assert_eq!(classes, [8, 8, 16, 32, 112, 128, 160, 160, 192, 1024, 5120, 10240]);
    }

    #[test]
    fn strings_by_encoding() {
        assert_eq!(value_bytes(&Value::string("12")), 0);
        assert_eq!(value_bytes(&Value::string("123456")), 16);
        assert_eq!(value_bytes(&Value::string(vec![b'a'; 20])), 48);
        assert_eq!(value_bytes(&Value::string(vec![b'a'; 100])), 16 + 112);
        // As MEMORY USAGE reports them on redis-server 7.0.15.
        assert_eq!(usage(b"key:0", &Value::string(vec![b'x'; 100])), 160);
        assert_eq!(usage(b"key:0", &Value::string(vec![b'x'; 1000])), 1072);
    }
}
