//! Reading RDB files (versions 1 to 10) and DUMP payloads. Every length and
//! offset is checked against the data actually there, so a corrupt or
//! hostile file gives an error with its byte offset, never a panic or a
//! huge allocation.

use super::listpack::{self, Item};
use super::*;
use crate::engine::keyspace::{Entry, Keyspace};
use crate::engine::time::Millis;
use crate::engine::stream::{Consumer, Group, Nack, Node, Stream, StreamId, ENTRIES_READ_UNKNOWN};
use crate::engine::value::{Hash, Limits, Set, Value, ZSet};

/// What a file held.
#[derive(Clone, Debug, Default)]
pub struct RdbFile {
    /// Keys per database index, in file order.
    pub dbs: Vec<(usize, Vec<(Vec<u8>, Entry)>)>,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Where each key's record (expiry, type, key, value) lies in the
    /// file, in the order of the keys of `dbs`.
    pub spans: Vec<std::ops::Range<usize>>,
    /// The code of each function library, in file order.
    pub libraries: Vec<Vec<u8>>,
}

impl RdbFile {
    /// The dataset of a dump. Keys whose time has passed are dropped (as a
    /// master loading its dump does) and counted; `Err` names a database
    /// the server does not have.
    pub fn into_keyspace(self, databases: usize, now: Millis) -> Result<(Keyspace, u64, u64), usize> {
        let mut keyspace = Keyspace::new(databases);
        let (mut loaded, mut expired) = (0, 0);
        for (index, keys) in self.dbs {
            let db = keyspace.dbs.get_mut(index).ok_or(index)?;
            db.reserve(keys.len());
            for (key, mut entry) in keys {
                if entry.expires_at.is_some_and(|at| at <= now) {
                    expired += 1;
                    continue;
                }
                entry.accessed_at = now;
                db.insert_owned(key, entry);
                loaded += 1;
            }
        }
        Ok((keyspace, loaded, expired))
    }

    pub fn aux(&self, name: &str) -> Option<&[u8]> {
        self.aux.iter().rev().find(|(k, _)| k == name.as_bytes()).map(|(_, v)| v.as_slice())
    }

    pub fn key_count(&self) -> usize {
        self.dbs.iter().map(|(_, keys)| keys.len()).sum()
    }
}

/// A string bigger than this cannot be in a playground dump (Redis's own
/// proto-max-bulk-len is 512 MB).
const MAX_STRING: u64 = 512 * 1024 * 1024;

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

enum Len {
    Plain(u64),
    /// The special string encodings: 0 int8, 1 int16, 2 int32, 3 LZF.
    Encoded(u8),
}

impl<'a> Reader<'a> {
    fn corrupt(&self, what: impl Into<String>) -> RdbError {
        RdbError::Corrupt { offset: self.at, what: what.into() }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or(RdbError::Truncated { offset: self.data.len() })?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, RdbError> {
        Ok(self.bytes(1)?[0])
    }

    fn len_or_encoding(&mut self) -> Result<Len, RdbError> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Len::Plain((first & 0x3F) as u64),
            1 => Len::Plain((((first & 0x3F) as u64) << 8) | self.byte()? as u64),
            2 => match first {
                0x80 => Len::Plain(u32::from_be_bytes(self.bytes(4)?.try_into().unwrap_or([0; 4])) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.bytes(8)?.try_into().unwrap_or([0; 8]))),
                _ => return Err(self.corrupt(format!("unknown length encoding {first:#04x}"))),
            },
            _ => Len::Encoded(first & 0x3F),
        })
    }

    fn len(&mut self) -> Result<u64, RdbError> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(self.corrupt("a length was expected, found an encoded string")),
        }
    }

    /// A count of things still to read, bounded by the bytes left (each
    /// thing takes at least one byte).
    fn count(&mut self, per_item: usize) -> Result<usize, RdbError> {
        let n = self.len()?;
        let left = (self.data.len() - self.at) as u64;
        if n.saturating_mul(per_item as u64) > left {
            return Err(self.corrupt(format!("a count of {n} does not fit in the {left} bytes left")));
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        match self.len_or_encoding()? {
            Len::Plain(n) => {
                if n > MAX_STRING {
                    return Err(self.corrupt(format!("a string of {n} bytes")));
                }
                Ok(self.bytes(n as usize)?.to_vec())
            }
            Len::Encoded(0) => Ok((self.byte()? as i8).to_string().into_bytes()),
            Len::Encoded(1) => Ok(i16::from_le_bytes(self.bytes(2)?.try_into().unwrap_or([0; 2])).to_string().into_bytes()),
            Len::Encoded(2) => Ok(i32::from_le_bytes(self.bytes(4)?.try_into().unwrap_or([0; 4])).to_string().into_bytes()),
            Len::Encoded(3) => {
                let start = self.at;
                let compressed = self.len()?;
                let len = self.len()?;
                // LZF expands at most ~130 times; anything more is a lie.
                if len > MAX_STRING || len > compressed.saturating_mul(300).saturating_add(64) {
                    return Err(RdbError::Corrupt { offset: start, what: format!("an LZF string claiming {len} bytes") });
                }
                let packed = self.bytes(compressed as usize)?;
                lzf::decompress(packed, len as usize)
                    .ok_or(RdbError::Corrupt { offset: start, what: "LZF data does not decompress".into() })
            }
            Len::Encoded(other) => Err(self.corrupt(format!("unknown string encoding {other}"))),
        }
    }

    fn blob_items(&mut self, kind: &str, ziplist: bool) -> Result<Vec<Vec<u8>>, RdbError> {
        let start = self.at;
        let blob = self.string()?;
        let items = if ziplist { listpack::decode_ziplist(&blob) } else { listpack::decode(&blob) };
        items
            .map(|items| items.into_iter().map(Item::into_bytes).collect())
            .map_err(|e| RdbError::Corrupt { offset: start, what: format!("{kind}: {e}") })
    }

    fn double_string(&mut self) -> Result<f64, RdbError> {
        let len = self.byte()?;
        match len {
            253 => Err(self.corrupt("a NaN score")),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.bytes(n as usize)?;
                crate::engine::numfmt::parse_f64_loose(text).ok_or_else(|| self.corrupt("a score that is not a number"))
            }
        }
    }

    fn binary_double(&mut self) -> Result<f64, RdbError> {
        let v = f64::from_le_bytes(self.bytes(8)?.try_into().unwrap_or([0; 8]));
        if v.is_nan() {
            return Err(self.corrupt("a NaN score"));
        }
        Ok(v)
    }
}

fn pairs(items: Vec<Vec<u8>>, reader: &Reader) -> Result<Vec<(Vec<u8>, Vec<u8>)>, RdbError> {
    if items.len() % 2 != 0 {
        return Err(reader.corrupt("an odd number of field/value items"));
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Ok(out)
}

fn build_hash(fields: Vec<(Vec<u8>, Vec<u8>)>, limits: &Limits, reader: &Reader) -> Result<Value, RdbError> {
    let mut h = Hash::default();
    for (f, v) in fields {
        h.convert_for_lengths([f.len(), v.len()], limits);
        if !h.set(&f, v, limits) {
            return Err(reader.corrupt("a duplicate hash field"));
        }
    }
    if h.is_empty() {
        return Err(reader.corrupt("an empty hash"));
    }
    Ok(Value::Hash(h))
}

fn build_set(members: Vec<Vec<u8>>, limits: &Limits, reader: &Reader) -> Result<Value, RdbError> {
    let Some(first) = members.first() else { return Err(reader.corrupt("an empty set")) };
    let mut s = Set::for_first_member(first);
    if members.len() > limits.set_max_intset_entries {
        s = Set::for_first_member(b"x");
    }
    for m in &members {
        if !s.add(m, limits) {
            return Err(reader.corrupt("a duplicate set member"));
        }
    }
    Ok(Value::Set(s))
}

fn build_zset(members: Vec<(Vec<u8>, f64)>, limits: &Limits, reader: &Reader) -> Result<Value, RdbError> {
    if members.is_empty() {
        return Err(reader.corrupt("an empty sorted set"));
    }
    let longest = members.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::new(longest, limits);
    for (m, s) in members {
        if z.insert(&m, s, limits).is_some() {
            return Err(reader.corrupt("a duplicate sorted set member"));
        }
    }
    Ok(Value::ZSet(Box::new(z)))
}

fn read_value(r: &mut Reader, kind: u8, limits: &Limits) -> Result<Value, RdbError> {
    let start = r.at;
    Ok(match kind {
        TYPE_STRING => Value::string(r.string()?),
        TYPE_LIST => {
            let n = r.count(1)?;
            let items = (0..n).map(|_| r.string()).collect::<Result<Vec<_>, _>>()?;
            Value::List(items.into())
        }
        TYPE_LIST_ZIPLIST => Value::List(r.blob_items("ziplist", true)?.into()),
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count(1)?;
            let mut items = std::collections::VecDeque::new();
            for _ in 0..nodes {
                let container = if kind == TYPE_LIST_QUICKLIST_2 { r.len()? } else { 2 };
                match container {
                    1 => items.push_back(r.string()?),
                    2 => items.extend(r.blob_items("quicklist node", kind == TYPE_LIST_QUICKLIST)?),
                    other => return Err(r.corrupt(format!("unknown quicklist container {other}"))),
                }
            }
            if items.is_empty() {
                return Err(RdbError::Corrupt { offset: start, what: "an empty list".into() });
            }
            Value::List(items)
        }
        TYPE_SET => {
            let n = r.count(1)?;
            let members = (0..n).map(|_| r.string()).collect::<Result<Vec<_>, _>>()?;
            build_set(members, limits, r)?
        }
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            let values = listpack::decode_intset(&blob).map_err(|e| RdbError::Corrupt { offset: start, what: e.to_string() })?;
            build_set(values.iter().map(|v| v.to_string().into_bytes()).collect(), limits, r)?
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count(2)?;
            let mut members = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.string()?;
                let s = if kind == TYPE_ZSET_2 { r.binary_double()? } else { r.double_string()? };
                members.push((m, s));
            }
            build_zset(members, limits, r)?
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let items = r.blob_items("sorted set", kind == TYPE_ZSET_ZIPLIST)?;
            let mut members = Vec::new();
            for (m, s) in pairs(items, r)? {
                let score = crate::engine::numfmt::parse_f64_loose(&s)
                    .ok_or(RdbError::Corrupt { offset: start, what: "a score that is not a number".into() })?;
                members.push((m, score));
            }
            build_zset(members, limits, r)?
        }
        TYPE_HASH => {
            let n = r.count(2)?;
            let mut fields = Vec::with_capacity(n);
            for _ in 0..n {
                fields.push((r.string()?, r.string()?));
            }
            build_hash(fields, limits, r)?
        }
        TYPE_HASH_ZIPMAP => {
            let blob = r.string()?;
            let items = listpack::decode_zipmap(&blob).map_err(|e| RdbError::Corrupt { offset: start, what: e.to_string() })?;
            build_hash(pairs(items, r)?, limits, r)?
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let items = r.blob_items("hash", kind == TYPE_HASH_ZIPLIST)?;
            build_hash(pairs(items, r)?, limits, r)?
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            return Err(RdbError::Unsupported { offset: start - 1, what: "a module value".into() })
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => Value::Stream(Box::new(read_stream(r, kind == TYPE_STREAM_LISTPACKS_2)?)),
        TYPE_STREAM_LISTPACKS_3 => {
            return Err(RdbError::Unsupported { offset: start - 1, what: "a stream in Redis 7.2's format (type 21)".into() })
        }
        other => return Err(RdbError::Corrupt { offset: start - 1, what: format!("unknown value type {other}") }),
    })
}

/// A stream (`version2`: Redis 7's type 19 with its counters; type 15,
/// Redis 5 and 6, derives them as Redis 7 does when it loads one).
fn read_stream(r: &mut Reader, version2: bool) -> Result<Stream, RdbError> {
    let mut st = Stream::default();
    let nodes = r.count(2)?;
    for _ in 0..nodes {
        let key_at = r.at;
        let key = r.string()?;
        let master = StreamId::from_be_bytes(&key).ok_or(RdbError::Corrupt { offset: key_at, what: "a stream node key that is not a stream ID".into() })?;
        let lp_at = r.at;
        let blob = r.string()?;
        let items = listpack::decode(&blob).map_err(|e| RdbError::Corrupt { offset: lp_at, what: format!("stream node: {e}") })?;
        let node = Node::from_elements(master, items.into_iter().map(Item::into_bytes).collect()).map_err(|what| RdbError::Corrupt { offset: lp_at, what })?;
        if st.nodes.keys().next_back().is_some_and(|&last| last >= master) || st.nodes.values().next_back().is_some_and(|n| n.entries.last().is_some_and(|e| e.id >= master)) {
            return Err(RdbError::Corrupt { offset: key_at, what: "stream nodes out of order".into() });
        }
        st.nodes.insert(master, node);
    }
    st.length = r.len()?;
    st.last_id = StreamId::new(r.len()?, r.len()?);
    let live: u64 = st.nodes.values().map(|n| n.live as u64).sum();
    if live != st.length {
        return Err(r.corrupt(format!("the stream says it has {} entries, its nodes hold {live}", st.length)));
    }
    if st.nodes.values().next_back().and_then(|n| n.entries.last()).is_some_and(|e| e.id > st.last_id) {
        return Err(r.corrupt("a stream entry is past the stream's last ID"));
    }
    if version2 {
        st.first_id = StreamId::new(r.len()?, r.len()?);
        st.max_deleted_entry_id = StreamId::new(r.len()?, r.len()?);
        st.entries_added = r.len()?;
    } else {
        st.entries_added = st.length;
        st.first_id = st.first_live().unwrap_or(StreamId::MAX);
    }
    let groups = r.count(3)?;
    for _ in 0..groups {
        let name_at = r.at;
        let name = r.string()?;
        let last_id = StreamId::new(r.len()?, r.len()?);
        let entries_read = if version2 { r.len()? as i64 } else { st.entries_before(last_id).map_or(ENTRIES_READ_UNKNOWN, |n| n as i64) };
        let mut group = Group::new(last_id, entries_read);
        let pending = r.count(17)?;
        for _ in 0..pending {
            let id = StreamId::from_be_bytes(r.bytes(16)?).unwrap_or_default();
            let delivery_time = i64::from_le_bytes(r.bytes(8)?.try_into().unwrap_or([0; 8]));
            let delivery_count = r.len()?;
            if group.pel.insert(id, Nack { consumer: Vec::new(), delivery_time, delivery_count }).is_some() {
                return Err(r.corrupt("a pending entry listed twice in a consumer group"));
            }
        }
        let consumers = r.count(10)?;
        let mut owned_ids = std::collections::BTreeSet::new();
        for _ in 0..consumers {
            let consumer_name = r.string()?;
            let seen_time = i64::from_le_bytes(r.bytes(8)?.try_into().unwrap_or([0; 8]));
            let mut consumer = Consumer { seen_time, pending: Default::default() };
            let owned = r.count(16)?;
            for _ in 0..owned {
                let id = StreamId::from_be_bytes(r.bytes(16)?).unwrap_or_default();
                let nack = group.pel.get_mut(&id).ok_or_else(|| r.corrupt("a consumer owns an entry its group does not list as pending"))?;
                nack.consumer = consumer_name.clone();
                if !owned_ids.insert(id) {
                    return Err(r.corrupt("a pending entry owned twice"));
                }
                consumer.pending.insert(id);
            }
            if group.consumers.insert(consumer_name, consumer).is_some() {
                return Err(r.corrupt("a consumer listed twice in a group"));
            }
        }
        if owned_ids.len() != group.pel.len() {
            return Err(r.corrupt("a pending entry without a consumer"));
        }
        if st.groups.insert(name, group).is_some() {
            return Err(RdbError::Corrupt { offset: name_at, what: "a consumer group listed twice".into() });
        }
    }
    Ok(st)
}

/// Reads a whole RDB file. Keys that already expired are kept (with their
/// expiry); the loader decides what to drop.
pub fn decode(data: &[u8], limits: &Limits) -> Result<RdbFile, RdbError> {
    if data.len() < 9 || &data[..5] != b"REDIS" {
        return Err(RdbError::NotRdb);
    }
    let version: u16 = std::str::from_utf8(&data[5..9]).ok().and_then(|v| v.parse().ok()).ok_or(RdbError::NotRdb)?;
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(RdbError::UnsupportedVersion(version));
    }
    let mut r = Reader { data, at: 9 };
    let mut snapshot = RdbFile::default();
    let mut db: Option<usize> = None;
    let mut expires_at: Option<Millis> = None;
    let mut frequency: Option<u8> = None;
    let mut record_start: Option<usize> = None;
    loop {
        let op_at = r.at;
        let op = r.byte()?;
        match op {
            OP_EOF => break,
            OP_SELECTDB => {
                let index = r.len()?;
                if index >= 1 << 16 {
                    return Err(RdbError::Corrupt { offset: op_at, what: format!("database {index}") });
                }
                db = Some(index as usize);
                snapshot.dbs.push((index as usize, Vec::new()));
            }
            OP_RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            OP_AUX => {
                let key = r.string()?;
                let value = r.string()?;
                snapshot.aux.push((key, value));
            }
            OP_EXPIRETIME_MS => {
                record_start = Some(op_at);
                expires_at = Some(i64::from_le_bytes(r.bytes(8)?.try_into().unwrap_or([0; 8])));
            }
            OP_EXPIRETIME => expires_at = Some(i32::from_le_bytes(r.bytes(4)?.try_into().unwrap_or([0; 4])) as i64 * 1000),
            OP_IDLE => {
                r.len()?;
            }
            OP_FREQ => frequency = Some(r.byte()?),
            OP_FUNCTION2 => snapshot.libraries.push(r.string()?),
            // Redis 7.0's release candidates saved functions another way.
            OP_FUNCTION => return Err(RdbError::Unsupported { offset: op_at, what: "a function library of a Redis 7.0 release candidate".into() }),
            OP_MODULE_AUX => return Err(RdbError::Unsupported { offset: op_at, what: "module data".into() }),
            kind => {
                let key = r.string()?;
                let value = read_value(&mut r, kind, limits)?;
                if db.is_none() {
                    db = Some(0);
                    snapshot.dbs.push((0, Vec::new()));
                }
                let mut entry = Entry::new(value, expires_at.take(), 0);
                if let Some(count) = frequency.take() {
                    entry.lfu_counter = count;
                }
                snapshot.spans.push(record_start.take().unwrap_or(op_at)..r.at);
                if let Some((_, keys)) = snapshot.dbs.last_mut() {
                    keys.push((key, entry));
                }
            }
        }
    }
    if version >= 5 {
        let end = r.at;
        let stored = u64::from_le_bytes(r.bytes(8)?.try_into().unwrap_or([0; 8]));
        if stored != 0 {
            let actual = crc64::crc64(&data[..end]);
            if actual != stored {
                return Err(RdbError::BadChecksum { expected: stored, found: actual });
            }
        }
    }
    Ok(snapshot)
}

/// FUNCTION RESTORE's payload: library codes, RDB version, CRC64. None
/// for a payload Redis calls wrong; Err(opcode) for a record that is not
/// a library.
pub fn decode_functions_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, Option<u8>> {
    if payload.len() < 10 {
        return Err(None);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let stored = u64::from_le_bytes(footer[2..10].try_into().unwrap_or([0; 8]));
    if version > RDB_VERSION || stored != crc64::crc64(&payload[..payload.len() - 8]) {
        return Err(None);
    }
    let mut r = Reader { data: body, at: 0 };
    let mut codes = Vec::new();
    while r.at < body.len() {
        match r.byte().map_err(|_| None)? {
            OP_FUNCTION2 => codes.push(r.string().map_err(|_| None)?),
            other => return Err(Some(other)),
        }
    }
    Ok(codes)
}

/// RESTORE's payload: value, RDB version (at most ours), CRC64.
pub fn decode_dump(payload: &[u8], limits: &Limits) -> Result<Value, RdbError> {
    if payload.len() < 11 {
        return Err(RdbError::Truncated { offset: payload.len() });
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(RdbError::UnsupportedVersion(version));
    }
    let stored = u64::from_le_bytes(footer[2..10].try_into().unwrap_or([0; 8]));
    let actual = crc64::crc64(&payload[..payload.len() - 8]);
    if stored != actual {
        return Err(RdbError::BadChecksum { expected: stored, found: actual });
    }
    let mut r = Reader { data: body, at: 0 };
    let kind = r.byte()?;
    let value = read_value(&mut r, kind, limits)?;
    if r.at != body.len() {
        return Err(r.corrupt("data after the value"));
    }
    Ok(value)
}
