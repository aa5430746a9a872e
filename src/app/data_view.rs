//! What the page's data view shows of one server: its keys (type, a short
//! value, time to live), and for a replica, where its data still differs
//! from its master's, key by key, while a sync or the stream catches up.

use std::collections::BTreeMap;

use crate::engine::digest::{mix_entry, Digest};
use crate::engine::keyspace::Entry;
use crate::engine::server::Server;
use crate::engine::value::Value;
use crate::engine::time::Millis;

/// More keys than this and the view lists a sample without comparing:
/// a page must stay responsive whatever a learner populates.
pub const COMPARE_LIMIT: usize = 5_000;
/// At most this many rows are shown.
pub const ROWS_SHOWN: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// The same value on the master.
    Same,
    /// Another value (or type, or expiry) than on the master.
    Differs,
    /// On the master, not here yet.
    Missing,
    /// Here, no longer on the master.
    Extra,
    /// Not compared (a master, or too many keys).
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    pub db: usize,
    pub key: String,
    /// string, list, hash, set, zset.
    pub kind: &'static str,
    pub summary: String,
    /// Milliseconds left, for a key with a time to live.
    pub ttl_ms: Option<Millis>,
    pub state: KeyState,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataView {
    pub port: u16,
    /// Keys on this server (all databases).
    pub total: usize,
    pub rows: Vec<KeyRow>,
    /// The master compared with, when this is a replica of one here.
    pub master: Option<u16>,
    /// Keys that differ, are missing or are extra.
    pub differing: usize,
    /// Whether the comparison was skipped for size.
    pub too_big: bool,
}

fn digest(entry: &Entry) -> Digest {
    let mut d = [0u8; 20];
    mix_entry(&mut d, entry);
    d
}

/// Bytes escaped as redis-cli escapes them, without its quotes, cut at
/// `limit` bytes.
fn printable(bytes: &[u8], limit: usize) -> String {
    let mut quoted = String::new();
    crate::engine::cli::repr(&bytes[..bytes.len().min(limit)], &mut quoted);
    let mut out = quoted[1..quoted.len() - 1].to_string();
    if bytes.len() > limit {
        out.push('…');
    }
    out
}

fn summary(value: &Value) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match value {
        Value::Str(s) => format!("\"{}\"", printable(&s.bytes, 40)),
        Value::List(items) => count(items.len(), "item", "items"),
        Value::Hash(h) => count(h.len(), "field", "fields"),
        Value::Set(s) => count(s.len(), "member", "members"),
        Value::ZSet(z) => count(z.len(), "member", "members"),
        Value::Stream(st) => match st.groups.len() {
            0 => count(st.length as usize, "entry", "entries"),
            g => format!("{}, {}", count(st.length as usize, "entry", "entries"), count(g, "group", "groups")),
        },
    }
}

fn row(db: usize, key: &[u8], entry: &Entry, now: Millis, state: KeyState) -> KeyRow {
    KeyRow {
        db,
        key: printable(key, 60),
        kind: entry.value.type_name(),
        summary: summary(&entry.value),
        ttl_ms: entry.expires_at.map(|at| (at - now).max(0)),
        state,
    }
}

fn live(server: &Server, now: Millis) -> impl Iterator<Item = (usize, &Vec<u8>, &Entry)> {
    server.keyspace.dbs.iter().enumerate().flat_map(move |(db, d)| {
        d.stored_entries().filter(move |(_, e)| e.expires_at.is_none_or(|at| at > now)).map(move |(k, e)| (db, k, e))
    })
}

/// The view of `server`, compared with `master` when given.
pub fn data_view(port: u16, server: &Server, master: Option<(u16, &Server)>, now: Millis) -> DataView {
    let total = server.key_count();
    let master_total = master.map_or(0, |(_, m)| m.key_count());
    if total.max(master_total) > COMPARE_LIMIT {
        let rows = live(server, now).take(ROWS_SHOWN).map(|(db, k, e)| row(db, k, e, now, KeyState::Unknown)).collect();
        return DataView { port, total, rows, master: master.map(|(p, _)| p), differing: 0, too_big: true };
    }
    let mine: BTreeMap<(usize, &Vec<u8>), &Entry> = live(server, now).map(|(db, k, e)| ((db, k), e)).collect();
    let Some((master_port, master)) = master else {
        let rows = mine.iter().take(ROWS_SHOWN).map(|((db, k), e)| row(*db, k, e, now, KeyState::Unknown)).collect();
        return DataView { port, total, rows, master: None, differing: 0, too_big: false };
    };
    let theirs: BTreeMap<(usize, &Vec<u8>), &Entry> = live(master, now).map(|(db, k, e)| ((db, k), e)).collect();
    let mut rows = Vec::new();
    let mut differing = 0;
    let mut keys: Vec<&(usize, &Vec<u8>)> = mine.keys().chain(theirs.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (state, entry) = match (mine.get(key), theirs.get(key)) {
            (Some(here), Some(there)) if digest(here) == digest(there) => (KeyState::Same, *here),
            (Some(here), Some(_)) => (KeyState::Differs, *here),
            (None, Some(there)) => (KeyState::Missing, *there),
            (Some(here), None) => (KeyState::Extra, *here),
            (None, None) => continue,
        };
        if state != KeyState::Same {
            differing += 1;
        }
        rows.push(row(key.0, key.1, entry, now, state));
    }
    // The differences first: they are what the view is for.
    rows.sort_by_key(|r| r.state == KeyState::Same);
    rows.truncate(ROWS_SHOWN);
    DataView { port, total, rows, master: Some(master_port), differing, too_big: false }
}
