//! String commands: SET with all of its options, GET and its variants
//! (GETEX, GETDEL, GETSET, GETRANGE), the counters (INCR, INCRBY,
//! INCRBYFLOAT, DECR...), MGET / MSET, APPEND, SETRANGE, STRLEN, LCS.

use super::{err, event, int_arg, invalid_expire_time, not_an_integer, parse_i64, string, syntax_error, wrong_arity, wrong_type, Ctx};
use crate::engine::keyspace::Value;
use crate::engine::time::Millis;
use crate::engine::longdouble::LongDouble;
use crate::engine::value::{Str, StrOrigin};
use crate::engine::resp::Frame;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, Vec<u8>)>,
}

/// Redis's `parseExtendedStringArgumentsOrReply`, for SET (options from
/// the fourth argument) and GETEX (from the third, with PERSIST instead of
/// NX/XX/GET/KEEPTTL): an option that conflicts with one already given is a
/// syntax error, the same option may repeat, an expire option needs a value.
fn parse_set_options(args: &[Vec<u8>], for_getex: bool) -> Result<SetOptions, Frame> {
    let mut o = SetOptions::default();
    let for_set = !for_getex;
    let mut j = if for_getex { 2 } else { 3 };
    while j < args.len() {
        let opt = args[j].to_ascii_lowercase();
        let next = args.get(j + 1);
        let kind = o.expire.as_ref().map(|(k, _)| *k);
        let other_expire = |mine: ExpireKind| kind.is_some_and(|k| k != mine);
        match opt.as_slice() {
            b"nx" if !o.xx && for_set => o.nx = true,
            b"xx" if !o.nx && for_set => o.xx = true,
            b"get" if for_set => o.get = true,
            b"keepttl" if kind.is_none() && !o.persist && for_set => o.keep_ttl = true,
            b"persist" if kind.is_none() && !o.keep_ttl && for_getex => o.persist = true,
            b"ex" | b"px" | b"exat" | b"pxat" => {
                let mine = match opt.as_slice() {
                    b"ex" => ExpireKind::Ex,
                    b"px" => ExpireKind::Px,
                    b"exat" => ExpireKind::ExAt,
                    _ => ExpireKind::PxAt,
                };
                match next {
                    Some(value) if !o.keep_ttl && !o.persist && !other_expire(mine) => {
                        o.expire = Some((mine, value.clone()));
                        j += 1;
                    }
                    _ => return Err(syntax_error()),
                }
            }
            _ => return Err(syntax_error()),
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry time.
fn expire_at(kind: ExpireKind, raw: &[u8], now: Millis, command: &str) -> Result<Millis, Frame> {
    let n = int_arg(raw)?;
    let in_seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (in_seconds && n > i64::MAX / 1000) {
        return Err(invalid_expire_time(command));
    }
    let mut ms = if in_seconds { n * 1000 } else { n };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        // C's signed overflow wraps in practice; Redis then sees a value <= 0.
        ms = ms.wrapping_add(now);
    }
    if ms <= 0 {
        return Err(invalid_expire_time(command));
    }
    Ok(ms)
}

pub fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let options = match parse_set_options(args, false) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let expires_at = match &options.expire {
        Some((kind, raw)) => match expire_at(*kind, raw, ctx.now, "set") {
            Ok(at) => Some(at),
            Err(reply) => return reply,
        },
        None => None,
    };
    let key = &args[1];
    let now = ctx.now;
    let mut reply = Frame::ok();
    if options.get {
        reply = match ctx.db().get(key, now) {
            None => Frame::Null,
            Some(entry) => match &entry.value {
                Value::Str(s) => Frame::bulk(s.bytes.clone()),
                _ => return wrong_type(),
            },
        };
    }
    let found = ctx.db().get(key, now).is_some();
    if (options.nx && found) || (options.xx && !found) {
        return if options.get { reply } else { Frame::Null };
    }
    let db = ctx.db();
    db.set(key, Value::string(args[2].clone()), options.keep_ttl, now);
    if expires_at.is_some() {
        db.set_expire(key, expires_at);
    }
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "set", key);
    if expires_at.is_some() {
        ctx.notify(event::GENERIC, "expire", key);
    }
    // Replicas get SET key value PXAT <ms>, or SET without its GET.
    if let Some(at) = expires_at {
        let at = at.to_string();
        ctx.client.propagate_as(vec![vec![&b"SET"[..], key, &args[2], b"PXAT", at.as_bytes()]]);
    } else if options.get {
        let kept: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a.as_slice())
            .collect();
        ctx.client.propagate_as(vec![kept]);
    }
    reply
}

pub fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    match ctx.db().get(&args[1], now) {
        None => Frame::Null,
        Some(entry) => match &entry.value {
            Value::Str(s) => Frame::bulk(s.bytes.clone()),
            _ => wrong_type(),
        },
    }
}

fn incr_decr(ctx: &mut Ctx, key: &[u8], by: i64) -> Frame {
    let now = ctx.now;
    let current = match ctx.db().get(key, now) {
        None => 0,
        Some(entry) => match &entry.value {
            Value::Str(s) => match parse_i64(&s.bytes) {
                Some(n) => n,
                None => return not_an_integer(),
            },
            _ => return wrong_type(),
        },
    };
    let Some(next) = current.checked_add(by) else {
        return err("increment or decrement would overflow");
    };
    let mut digits = Vec::with_capacity(20);
    crate::engine::resp::push_decimal(&mut digits, next);
    ctx.db().set(key, Value::string(digits), true, now);
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "incrby", key);
    Frame::Integer(next)
}

pub fn incr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    incr_decr(ctx, &args[1], 1)
}

pub fn decr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    incr_decr(ctx, &args[1], -1)
}

pub fn incrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match int_arg(&args[2]) {
        Ok(by) => incr_decr(ctx, &args[1], by),
        Err(reply) => reply,
    }
}

pub fn decrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match int_arg(&args[2]) {
        Ok(i64::MIN) => err("decrement would overflow"),
        Ok(by) => incr_decr(ctx, &args[1], -by),
        Err(reply) => reply,
    }
}

/// The string at `key`: `Ok(None)` when missing, WRONGTYPE for another type.
fn string_value(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Frame> {
    Ok(ctx.typed(key, string)?.map(|s| s.bytes.clone()))
}

pub fn getex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let options = match parse_set_options(args, true) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let value = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(v)) => v,
    };
    let now = ctx.now;
    match &options.expire {
        Some((kind, raw)) => {
            let at = match expire_at(*kind, raw, now, "getex") {
                Ok(at) => at,
                Err(e) => return e,
            };
            if matches!(kind, ExpireKind::ExAt | ExpireKind::PxAt) && at <= now {
                ctx.db().remove(&args[1]);
                ctx.client.propagate_as(vec![vec![&b"DEL"[..], &args[1]]]);
                ctx.notify(event::GENERIC, "del", &args[1]);
            } else {
                ctx.db().set_expire(&args[1], Some(at));
                let at = at.to_string();
                ctx.client.propagate_as(vec![vec![&b"PEXPIREAT"[..], &args[1], at.as_bytes()]]);
                ctx.notify(event::GENERIC, "expire", &args[1]);
            }
            *ctx.dirty += 1;
        }
        None if options.persist => {
            if ctx.db().peek(&args[1], now).is_some_and(|e| e.expires_at.is_some()) {
                ctx.db().set_expire(&args[1], None);
                *ctx.dirty += 1;
                ctx.client.propagate_as(vec![vec![&b"PERSIST"[..], &args[1]]]);
                ctx.notify(event::GENERIC, "persist", &args[1]);
            }
        }
        None => {}
    }
    Frame::Bulk(value)
}

pub fn getdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match string_value(ctx, &args[1]) {
        Err(e) => e,
        Ok(None) => Frame::Null,
        Ok(Some(v)) => {
            ctx.db().remove(&args[1]);
            *ctx.dirty += 1;
            ctx.client.propagate_as(vec![vec![&b"DEL"[..], &args[1]]]);
            ctx.notify(event::GENERIC, "del", &args[1]);
            Frame::Bulk(v)
        }
    }
}

pub fn getset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let old = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(v) => v,
    };
    let now = ctx.now;
    ctx.db().set(&args[1], Value::string(args[2].clone()), false, now);
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "set", &args[1]);
    old.map_or(Frame::Null, Frame::Bulk)
}

pub fn setnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    if ctx.db().get(&args[1], now).is_some() {
        return Frame::Integer(0);
    }
    ctx.db().set(&args[1], Value::string(args[2].clone()), false, now);
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "set", &args[1]);
    Frame::Integer(1)
}

fn setex_generic(ctx: &mut Ctx, args: &[Vec<u8>], kind: ExpireKind, name: &str) -> Frame {
    let at = match expire_at(kind, &args[2], ctx.now, name) {
        Ok(at) => at,
        Err(e) => return e,
    };
    let now = ctx.now;
    let db = ctx.db();
    db.set(&args[1], Value::string(args[3].clone()), false, now);
    db.set_expire(&args[1], Some(at));
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "set", &args[1]);
    ctx.notify(event::GENERIC, "expire", &args[1]);
    let at = at.to_string();
    ctx.client.propagate_as(vec![vec![&b"SET"[..], &args[1], &args[3], b"PXAT", at.as_bytes()]]);
    Frame::ok()
}

pub fn setex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    setex_generic(ctx, args, ExpireKind::Ex, "setex")
}

pub fn psetex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    setex_generic(ctx, args, ExpireKind::Px, "psetex")
}

pub fn mget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    Frame::Array(
        args[1..]
            .iter()
            .map(|key| match ctx.db().get(key, now).map(|e| &e.value) {
                Some(Value::Str(s)) => Frame::Bulk(s.bytes.clone()),
                _ => Frame::Null,
            })
            .collect(),
    )
}

fn mset_generic(ctx: &mut Ctx, args: &[Vec<u8>], nx: bool, name: &str) -> Frame {
    if args.len() % 2 == 0 {
        return wrong_arity(name);
    }
    let now = ctx.now;
    if nx && args[1..].chunks(2).any(|pair| ctx.db().get(&pair[0], now).is_some()) {
        return Frame::Integer(0);
    }
    for pair in args[1..].chunks(2) {
        ctx.db().set(&pair[0], Value::string(pair[1].clone()), false, now);
        ctx.notify(event::STRING, "set", &pair[0]);
    }
    *ctx.dirty += ((args.len() - 1) / 2) as u64;
    if nx {
        Frame::Integer(1)
    } else {
        Frame::ok()
    }
}

pub fn mset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    mset_generic(ctx, args, false, "mset")
}

pub fn msetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    mset_generic(ctx, args, true, "msetnx")
}

pub fn strlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match string_value(ctx, &args[1]) {
        Err(e) => e,
        Ok(v) => Frame::Integer(v.map_or(0, |v| v.len() as i64)),
    }
}

/// Redis refuses to grow a string past `proto-max-bulk-len` (512 MB).
const MAX_STRING: i64 = 512 * 1024 * 1024;

fn too_big() -> Frame {
    err("string exceeds maximum allowed size (proto-max-bulk-len)")
}

pub fn append(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let current = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(v) => v,
    };
    let now = ctx.now;
    let len = match current {
        None => {
            ctx.db().set(&args[1], Value::string(args[2].clone()), false, now);
            args[2].len()
        }
        Some(v) => {
            if (v.len() + args[2].len()) as i64 > MAX_STRING {
                return too_big();
            }
            let Ok(Some(s)) = ctx.typed(&args[1], string) else { return Frame::Null };
            s.bytes.extend_from_slice(&args[2]);
            s.origin = StrOrigin::Modified;
            s.bytes.len()
        }
    };
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "append", &args[1]);
    Frame::Integer(len as i64)
}

pub fn getrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (start, end) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let value = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Frame::bulk(Vec::new()),
        Ok(Some(v)) => v,
    };
    if start < 0 && end < 0 && start > end {
        return Frame::bulk(Vec::new());
    }
    let len = value.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Frame::bulk(Vec::new());
    }
    Frame::bulk(value[start as usize..=end as usize].to_vec())
}

pub fn setrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let offset = match int_arg(&args[2]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    if offset < 0 {
        return err("offset is out of range");
    }
    let value = &args[3];
    let current = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(v) => v,
    };
    let now = ctx.now;
    let Some(current) = current else {
        if value.is_empty() {
            return Frame::Integer(0);
        }
        if offset.saturating_add(value.len() as i64) > MAX_STRING {
            return too_big();
        }
        let mut bytes = vec![0u8; offset as usize];
        bytes.extend_from_slice(value);
        let len = bytes.len();
        ctx.db().set(&args[1], Value::Str(Str { bytes, origin: StrOrigin::Modified }), false, now);
        *ctx.dirty += 1;
        ctx.notify(event::STRING, "setrange", &args[1]);
        return Frame::Integer(len as i64);
    };
    if value.is_empty() {
        return Frame::Integer(current.len() as i64);
    }
    if offset.saturating_add(value.len() as i64) > MAX_STRING {
        return too_big();
    }
    let Ok(Some(s)) = ctx.typed(&args[1], string) else { return Frame::Null };
    let end = offset as usize + value.len();
    if s.bytes.len() < end {
        s.bytes.resize(end, 0);
    }
    s.bytes[offset as usize..end].copy_from_slice(value);
    s.origin = StrOrigin::Modified;
    let len = s.bytes.len();
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "setrange", &args[1]);
    Frame::Integer(len as i64)
}

/// LCS's options: LEN, IDX, WITHMATCHLEN, MINMATCHLEN n.
struct LcsOptions {
    get_len: bool,
    get_idx: bool,
    with_match_len: bool,
    min_match_len: i64,
}

fn lcs_options(args: &[Vec<u8>]) -> Result<LcsOptions, Frame> {
    let mut o = LcsOptions { get_len: false, get_idx: false, with_match_len: false, min_match_len: 0 };
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if super::eq_ignore_case(opt, "idx") {
            o.get_idx = true;
        } else if super::eq_ignore_case(opt, "len") {
            o.get_len = true;
        } else if super::eq_ignore_case(opt, "withmatchlen") {
            o.with_match_len = true;
        } else if super::eq_ignore_case(opt, "minmatchlen") && more {
            o.min_match_len = int_arg(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    if o.get_len && o.get_idx {
        return Err(err("If you want both the length and indexes, please just use IDX."));
    }
    Ok(o)
}

pub fn lcs(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let mut fetch = |key: &[u8]| match ctx.db().get(key, now).map(|e| &e.value) {
        None => Ok(Vec::new()),
        Some(Value::Str(s)) => Ok(s.bytes.clone()),
        Some(_) => Err(()),
    };
    let (a, b) = match (fetch(&args[1]), fetch(&args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return err("The specified keys must contain string values"),
    };
    let options = match lcs_options(args) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > MAX_STRING as u64 {
        return err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    let table = lcs_table(&a, &b);
    let total = table[a.len() * (b.len() + 1) + b.len()];
    if options.get_len {
        return Frame::Integer(total as i64);
    }
    let (result, ranges) = lcs_walk(&a, &b, &table, total as usize, &options);
    if options.get_idx {
        Frame::Array(vec![
            Frame::bulk("matches"),
            Frame::Array(ranges),
            Frame::bulk("len"),
            Frame::Integer(total as i64),
        ])
    } else {
        Frame::Bulk(result)
    }
}

/// The lengths of the longest common subsequences of every pair of
/// prefixes, row by row.
fn lcs_table(a: &[u8], b: &[u8]) -> Vec<u32> {
    let width = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for k in 1..=b.len() {
            table[i * width + k] = if a[i - 1] == b[k - 1] {
                table[(i - 1) * width + k - 1] + 1
            } else {
                table[(i - 1) * width + k].max(table[i * width + k - 1])
            };
        }
    }
    table
}

/// Walks back from the end, collecting the common string and, for IDX,
/// the matching ranges (latest first), exactly as Redis emits them.
fn lcs_walk(a: &[u8], b: &[u8], table: &[u32], total: usize, options: &LcsOptions) -> (Vec<u8>, Vec<Frame>) {
    let width = b.len() + 1;
    let (mut i, mut k) = (a.len(), b.len());
    let mut result = vec![0u8; total];
    let mut idx = total;
    let mut ranges = Vec::new();
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (a.len(), 0usize, 0usize, 0usize);
    while i > 0 && k > 0 {
        let mut emit = false;
        if a[i - 1] == b[k - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == a.len() {
                a_start = i - 1;
                a_end = i - 1;
                b_start = k - 1;
                b_end = k - 1;
            } else if a_start == i && b_start == k {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            k -= 1;
        } else {
            if table[(i - 1) * width + k] > table[i * width + k - 1] {
                i -= 1;
            } else {
                k -= 1;
            }
            if a_start != a.len() {
                emit = true;
            }
        }
        let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
        if emit {
            if options.min_match_len == 0 || match_len as i64 >= options.min_match_len {
                let mut range = vec![
                    Frame::Array(vec![Frame::Integer(a_start as i64), Frame::Integer(a_end as i64)]),
                    Frame::Array(vec![Frame::Integer(b_start as i64), Frame::Integer(b_end as i64)]),
                ];
                if options.with_match_len {
                    range.push(Frame::Integer(match_len as i64));
                }
                ranges.push(Frame::Array(range));
            }
            a_start = a.len();
        }
    }
    (result, ranges)
}

/// The value as a long double, as Redis reads it for INCRBYFLOAT.
fn long_double_arg(raw: &[u8]) -> Result<LongDouble, Frame> {
    LongDouble::parse(raw).ok_or_else(|| err("value is not a valid float"))
}

pub fn incrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let current = match string_value(ctx, &args[1]) {
        Err(e) => return e,
        Ok(v) => v,
    };
    let value = match current {
        None => LongDouble::from_i64(0),
        Some(bytes) => match parse_i64(&bytes) {
            Some(n) => LongDouble::from_i64(n),
            None => match long_double_arg(&bytes) {
                Ok(v) => v,
                Err(e) => return e,
            },
        },
    };
    let incr = match long_double_arg(&args[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let sum = value.add(incr);
    if !sum.is_finite() {
        return err("increment would produce NaN or Infinity");
    }
    let text = sum.to_human().into_bytes();
    let now = ctx.now;
    let value = Value::Str(Str { bytes: text.clone(), origin: StrOrigin::Formatted });
    ctx.db().set(&args[1], value, true, now);
    *ctx.dirty += 1;
    ctx.notify(event::STRING, "incrbyfloat", &args[1]);
    // Replicas get the result, not the arithmetic.
    ctx.client.propagate_as(vec![vec![&b"SET"[..], &args[1], &text, b"KEEPTTL"]]);
    Frame::Bulk(text)
}
