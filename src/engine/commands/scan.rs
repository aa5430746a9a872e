//! SCAN, HSCAN, SSCAN, ZSCAN. A cursor is a position in a fixed hash order
//! of the elements (FNV-64 of the key or member), so an element present for
//! the whole iteration is returned at least once however the data changes
//! in between, as Redis guarantees. Compact encodings (listpack, intset)
//! are returned whole with cursor 0, as Redis does.

use std::collections::BinaryHeap;
use std::hash::Hasher;

use super::{err, eq_ignore_case, int_arg, syntax_error, Ctx};
use crate::engine::glob;
use crate::engine::fnv::Fnv;
use crate::engine::numfmt::d2string;
use crate::engine::resp::Frame;
use crate::engine::value::{Hash, Set, Value};

fn position(bytes: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.write(bytes);
    // 0 is reserved for "done".
    h.finish().max(1)
}

/// `strtoul` as Redis's parseScanCursorOrReply uses it.
fn parse_cursor(raw: &[u8]) -> Result<u64, Frame> {
    let invalid = || err("invalid cursor");
    let (negative, digits) = match raw.first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        Some(c) if c.is_ascii_whitespace() => return Err(invalid()),
        _ => (false, raw),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        // strtoul accepts an empty string as 0.
        return if raw.is_empty() { Ok(0) } else { Err(invalid()) };
    }
    let value = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok()).ok_or_else(invalid)?;
    Ok(if negative { value.wrapping_neg() } else { value })
}

struct Options {
    count: usize,
    pattern: Option<Vec<u8>>,
    type_name: Option<Vec<u8>>,
}

fn parse_options(args: &[Vec<u8>], from: usize, allow_type: bool) -> Result<Options, Frame> {
    let mut o = Options { count: 10, pattern: None, type_name: None };
    let mut i = from;
    while i < args.len() {
        let left = args.len() - i;
        if eq_ignore_case(&args[i], "count") && left >= 2 {
            let n = int_arg(&args[i + 1])?;
            if n < 1 {
                return Err(syntax_error());
            }
            o.count = n.min(1 << 30) as usize;
        } else if eq_ignore_case(&args[i], "match") && left >= 2 {
            let p = args[i + 1].clone();
            o.pattern = if p.as_slice() == b"*" { None } else { Some(p) };
        } else if allow_type && eq_ignore_case(&args[i], "type") && left >= 2 {
            o.type_name = Some(args[i + 1].clone());
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    Ok(o)
}

/// The next `count` items at or after `cursor` in hash order, and the
/// cursor to continue from (0 when the end was reached).
fn window<T: Clone>(items: impl Iterator<Item = (u64, T)>, cursor: u64, count: usize) -> (Vec<T>, u64) {
    // Keep the `count + 1` smallest positions >= cursor: the extra one tells
    // where the next call starts.
    let mut heap: BinaryHeap<(u64, usize)> = BinaryHeap::new();
    let mut pool = Vec::new();
    for (pos, item) in items.filter(|(p, _)| *p >= cursor) {
        pool.push(item);
        heap.push((pos, pool.len() - 1));
        if heap.len() > count + 1 {
            heap.pop();
        }
    }
    let mut chosen = heap.into_sorted_vec();
    let next = if chosen.len() > count { chosen.pop().map_or(0, |(p, _)| p) } else { 0 };
    // Never stop between two elements that share a position.
    while next != 0 && chosen.last().is_some_and(|(p, _)| *p == next) {
        chosen.pop();
    }
    (chosen.into_iter().map(|(_, i)| pool[i].clone()).collect(), next)
}

fn reply(cursor: u64, items: Vec<Vec<u8>>) -> Frame {
    Frame::Array(vec![Frame::bulk(cursor.to_string()), super::bulks(items)])
}

fn matches(pattern: &Option<Vec<u8>>, item: &[u8]) -> bool {
    pattern.as_ref().is_none_or(|p| glob::matches(p, item, false))
}

pub fn scan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let cursor = match parse_cursor(&args[1]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_options(args, 2, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let now = ctx.now;
    let db = ctx.db();
    let (keys, next) = window(db.stored_keys().map(|k| (position(k), k.clone())), cursor, o.count);
    let mut out = Vec::new();
    for key in keys {
        if !matches(&o.pattern, &key) {
            continue;
        }
        if let Some(wanted) = &o.type_name {
            let type_name = db.peek(&key, now).map_or("none", |e| e.value.type_name());
            if !wanted.eq_ignore_ascii_case(type_name.as_bytes()) {
                continue;
            }
        }
        // Expired keys are removed on the way, as Redis does.
        if db.expire_if_needed(&key, now) {
            continue;
        }
        out.push(key);
    }
    reply(next, out)
}

/// HSCAN, SSCAN, ZSCAN: `(member, companion)` pairs (value or score).
fn scan_collection(ctx: &mut Ctx, args: &[Vec<u8>], want: &'static str) -> Frame {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_options(args, 3, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (items, next, paired): (Vec<(Vec<u8>, Option<Vec<u8>>)>, u64, bool) = match ctx.value(&args[1]) {
        None => return reply(0, Vec::new()),
        Some(v) if v.type_name() != want => return super::wrong_type(),
        Some(Value::Hash(Hash::Listpack(entries))) => {
            (entries.iter().map(|(f, v)| (f.clone(), Some(v.clone()))).collect(), 0, true)
        }
        Some(Value::Hash(Hash::Table(map))) => {
            let all = map.iter().map(|(f, v)| (position(f), (f.clone(), Some(v.clone()))));
            let (items, next) = window(all, cursor, o.count);
            (items, next, true)
        }
        Some(Value::Set(s @ Set::Intset(_))) => (s.members().into_iter().map(|m| (m, None)).collect(), 0, false),
        Some(Value::Set(s)) => {
            let members = s.members();
            let (items, next) = window(members.into_iter().map(|m| (position(&m), (m, None))), cursor, o.count);
            (items, next, false)
        }
        Some(Value::ZSet(z)) if z.encoding() == "listpack" => {
            (z.iter().map(|(m, s)| (m.clone(), Some(d2string(s).into_bytes()))).collect(), 0, true)
        }
        Some(Value::ZSet(z)) => {
            let all = z.iter().map(|(m, s)| (position(m), (m.clone(), Some(d2string(s).into_bytes()))));
            let (items, next) = window(all, cursor, o.count);
            (items, next, true)
        }
        Some(_) => return super::wrong_type(),
    };
    let mut out = Vec::new();
    for (member, companion) in items {
        if !matches(&o.pattern, &member) {
            continue;
        }
        out.push(member);
        if paired {
            out.extend(companion);
        }
    }
    reply(next, out)
}

pub fn hscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    scan_collection(ctx, args, "hash")
}

pub fn sscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    scan_collection(ctx, args, "set")
}

pub fn zscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    scan_collection(ctx, args, "zset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_walks_everything_once() {
        let items: Vec<(u64, u32)> = (0..100u32).map(|i| (position(&i.to_be_bytes()), i)).collect();
        let mut seen = Vec::new();
        let mut cursor = 0;
        for _ in 0..100 {
            let (batch, next) = window(items.iter().cloned(), cursor, 7);
            seen.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn cursor_parsing() {
        assert_eq!(parse_cursor(b"0").unwrap(), 0);
        assert_eq!(parse_cursor(b"-1").unwrap(), u64::MAX);
        assert!(parse_cursor(b" 1").is_err());
        assert!(parse_cursor(b"1x").is_err());
        assert!(parse_cursor(b"18446744073709551616").is_err());
    }
}
