//! Writing RDB version 10 as Redis 7.0 does: AUX fields, SELECTDB,
//! RESIZEDB, millisecond expiry, every 7.0 value encoding, LZF-compressed
//! strings above 20 bytes, and the CRC64 trailer.

use super::{crc64, listpack, lzf};
use super::{OP_AUX, OP_EOF, OP_EXPIRETIME_MS, OP_RESIZEDB, OP_SELECTDB, RDB_VERSION};
use super::{TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_LIST_QUICKLIST_2, TYPE_SET, TYPE_SET_INTSET, TYPE_STRING};
use super::{TYPE_STREAM_LISTPACKS_2, TYPE_ZSET_2, TYPE_ZSET_LISTPACK};
use crate::engine::keyspace::{Entry, Keyspace};
use crate::engine::numfmt::d2string;
use crate::engine::value::{Hash, Set, Str, Value};

/// What goes into a file besides the data.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    pub compression: bool,
    pub checksum: bool,
    /// Unix seconds for the `ctime` AUX field.
    pub ctime: i64,
    pub used_mem: i64,
    /// `(repl-stream-db, repl-id, repl-offset)` when replication info is saved.
    pub replication: Option<(i64, String, i64)>,
    /// list-max-listpack-size: quicklist node limit (negative: bytes level).
    pub list_max_listpack_size: i64,
    /// The base of an AOF (its `aof-base` AUX field is 1).
    pub aof_base: bool,
    /// The code of each function library, saved ahead of the keys.
    pub libraries: Vec<Vec<u8>>,
}

impl Default for SaveOptions {
    fn default() -> SaveOptions {
        SaveOptions { compression: true, checksum: true, ctime: 0, used_mem: 0, replication: None, list_max_listpack_size: -2, aof_base: false, libraries: Vec::new() }
    }
}

fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// `rdbEncodeInteger`: 8, 16 or 32-bit special encodings.
fn write_int_encoded(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xC0, b as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xC1);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xC2);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `rdbSaveRawString`: short integer-looking strings as integers, long
/// ones LZF-compressed when that saves at least four bytes.
fn write_raw_string(out: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= 11 {
        if let Some(v) = listpack::as_int(s) {
            if write_int_encoded(out, v) {
                return;
            }
        }
    }
    if compression && s.len() > 20 {
        if let Some(packed) = lzf::compress(s, s.len() - 4) {
            out.push(0xC3);
            write_len(out, packed.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A string value: int-encoded ones go through rdbSaveLongLongAsStringObject.
fn write_string_value(out: &mut Vec<u8>, s: &Str, compression: bool) {
    if s.encoding() == "int" {
        if let Some(v) = listpack::as_int(&s.bytes) {
            if !write_int_encoded(out, v) {
                write_len(out, s.bytes.len() as u64);
                out.extend_from_slice(&s.bytes);
            }
            return;
        }
    }
    write_raw_string(out, &s.bytes, compression);
}

/// Splits a list into quicklist nodes the way pushes at the tail fill them.
pub fn quicklist_nodes(items: &[Vec<u8>], fill: i64) -> Vec<Vec<u8>> {
    let byte_limit = match fill {
        f if f < 0 => [4096usize, 8192, 16384, 32768, 65536][((-f - 1) as usize).min(4)],
        _ => 8192,
    };
    let mut nodes = Vec::new();
    let mut current: Vec<&[u8]> = Vec::new();
    let mut size = 7usize;
    for item in items {
        let fits = !current.is_empty() && {
            let new_size = size + item.len() + 8;
            if fill < 0 {
                new_size <= byte_limit
            } else {
                new_size <= 8192 && (current.len() as i64) < fill
            }
        };
        if !fits && !current.is_empty() {
            nodes.push(listpack::encode(current.drain(..)));
            size = 7;
        }
        size += listpack::entry_size(item);
        current.push(item);
    }
    if !current.is_empty() {
        nodes.push(listpack::encode(current));
    }
    nodes
}

/// The value's type byte and serialisation, as `rdbSaveObjectType` +
/// `rdbSaveObject` write them.
pub fn write_value(out: &mut Vec<u8>, value: &Value, options: &SaveOptions) {
    let c = options.compression;
    match value {
        Value::Str(s) => {
            out.push(TYPE_STRING);
            write_string_value(out, s, c);
        }
        Value::List(items) => {
            out.push(TYPE_LIST_QUICKLIST_2);
            let items: Vec<Vec<u8>> = items.iter().cloned().collect();
            let nodes = quicklist_nodes(&items, options.list_max_listpack_size);
            write_len(out, nodes.len() as u64);
            for node in nodes {
                write_len(out, 2); // QUICKLIST_NODE_CONTAINER_PACKED
                write_raw_string(out, &node, c);
            }
        }
        Value::Hash(Hash::Listpack(entries)) => {
            out.push(TYPE_HASH_LISTPACK);
            let blob = listpack::encode(entries.iter().flat_map(|(f, v)| [f.as_slice(), v.as_slice()]));
            write_raw_string(out, &blob, c);
        }
        Value::Hash(Hash::Table(map)) => {
            out.push(TYPE_HASH);
            write_len(out, map.len() as u64);
            for (f, v) in map.iter() {
                write_raw_string(out, f, c);
                write_raw_string(out, v, c);
            }
        }
        Value::Set(Set::Intset(values)) => {
            out.push(TYPE_SET_INTSET);
            write_raw_string(out, &listpack::encode_intset(values), c);
        }
        Value::Set(s) => {
            out.push(TYPE_SET);
            let members = s.members();
            write_len(out, members.len() as u64);
            for m in members {
                write_raw_string(out, &m, c);
            }
        }
        Value::ZSet(z) if z.encoding() == "listpack" => {
            out.push(TYPE_ZSET_LISTPACK);
            let scores: Vec<(Vec<u8>, Vec<u8>)> = z.iter().map(|(m, s)| (m.clone(), d2string(s).into_bytes())).collect();
            let blob = listpack::encode(scores.iter().flat_map(|(m, s)| [m.as_slice(), s.as_slice()]));
            write_raw_string(out, &blob, c);
        }
        Value::ZSet(z) => {
            out.push(TYPE_ZSET_2);
            write_len(out, z.len() as u64);
            // Redis walks its skiplist from the tail: highest score first.
            for (m, s) in z.iter().rev() {
                write_raw_string(out, m, c);
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
        Value::Stream(st) => {
            out.push(TYPE_STREAM_LISTPACKS_2);
            write_stream(out, st, c);
        }
    }
}

/// `rdbSaveObject` for a stream: its listpacks keyed by master ID, its
/// counters, then each group with its pending entries and consumers.
fn write_stream(out: &mut Vec<u8>, st: &crate::engine::stream::Stream, c: bool) {
    write_len(out, st.nodes.len() as u64);
    for (master, node) in &st.nodes {
        write_raw_string(out, &master.to_be_bytes(), c);
        let elements = node.elements(*master);
        write_raw_string(out, &listpack::encode(elements.iter().map(Vec::as_slice)), c);
    }
    for n in [st.length, st.last_id.ms, st.last_id.seq, st.first_id.ms, st.first_id.seq] {
        write_len(out, n);
    }
    for n in [st.max_deleted_entry_id.ms, st.max_deleted_entry_id.seq, st.entries_added] {
        write_len(out, n);
    }
    write_len(out, st.groups.len() as u64);
    for (name, group) in &st.groups {
        write_raw_string(out, name, c);
        write_len(out, group.last_id.ms);
        write_len(out, group.last_id.seq);
        write_len(out, group.entries_read as u64);
        write_len(out, group.pel.len() as u64);
        for (id, nack) in &group.pel {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            write_len(out, nack.delivery_count);
        }
        write_len(out, group.consumers.len() as u64);
        for (name, consumer) in &group.consumers {
            write_raw_string(out, name, c);
            out.extend_from_slice(&consumer.seen_time.to_le_bytes());
            write_len(out, consumer.pending.len() as u64);
            for id in &consumer.pending {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// The bytes DEBUG OBJECT calls `serializedlength` (the value alone).
pub fn serialized_len(value: &Value, options: &SaveOptions) -> usize {
    let mut out = Vec::new();
    write_value(&mut out, value, options);
    out.len() - 1
}

fn write_aux(out: &mut Vec<u8>, key: &str, value: &[u8], compression: bool) {
    out.push(OP_AUX);
    write_raw_string(out, key.as_bytes(), compression);
    write_raw_string(out, value, compression);
}

/// One key's record: its expiry if any, the type, the key, the value.
pub fn write_record(out: &mut Vec<u8>, key: &[u8], entry: &Entry, options: &SaveOptions) {
    if let Some(at) = entry.expires_at {
        out.push(OP_EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    let mut value = Vec::new();
    write_value(&mut value, &entry.value, options);
    out.push(value[0]);
    write_raw_string(out, key, options.compression);
    out.extend_from_slice(&value[1..]);
}

/// A whole RDB file for the dataset.
pub fn encode(keyspace: &Keyspace, options: &SaveOptions) -> Vec<u8> {
    let c = options.compression;
    let mut out = Vec::new();
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    write_aux(&mut out, "redis-ver", b"7.0.15", c);
    write_aux(&mut out, "redis-bits", b"64", c);
    write_aux(&mut out, "ctime", options.ctime.to_string().as_bytes(), c);
    write_aux(&mut out, "used-mem", options.used_mem.to_string().as_bytes(), c);
    if let Some((db, id, offset)) = &options.replication {
        write_aux(&mut out, "repl-stream-db", db.to_string().as_bytes(), c);
        write_aux(&mut out, "repl-id", id.as_bytes(), c);
        write_aux(&mut out, "repl-offset", offset.to_string().as_bytes(), c);
    }
    write_aux(&mut out, "aof-base", if options.aof_base { b"1" } else { b"0" }, c);
    write_libraries(&mut out, &options.libraries, c);
    for (index, db) in keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        out.push(OP_SELECTDB);
        write_len(&mut out, index as u64);
        out.push(OP_RESIZEDB);
        write_len(&mut out, db.len() as u64);
        write_len(&mut out, db.expires_count() as u64);
        for (key, entry) in db.stored_entries() {
            write_record(&mut out, key, entry, options);
        }
    }
    out.push(OP_EOF);
    let crc = if options.checksum { crc64::crc64(&out) } else { 0 };
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Function libraries as Redis 7.0 saves them: each its opcode and code.
fn write_libraries(out: &mut Vec<u8>, libraries: &[Vec<u8>], compression: bool) {
    for code in libraries {
        out.push(super::OP_FUNCTION2);
        write_raw_string(out, code, compression);
    }
}

/// FUNCTION DUMP's payload: the libraries, the RDB version and a CRC64.
pub fn functions_payload(libraries: &[Vec<u8>], compression: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_libraries(&mut out, libraries, compression);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// DUMP's payload: the value, the RDB version and a CRC64 of both.
pub fn dump_payload(value: &Value, options: &SaveOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, value, options);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

