//! String commands of the first slice: SET with all of its options, GET,
//! INCR, DECR, INCRBY, DECRBY.

use super::{err, int_arg, invalid_expire_time, not_an_integer, parse_i64, syntax_error, wrong_type, Ctx};
use crate::engine::keyspace::{Millis, Value};
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
    expire: Option<(ExpireKind, Vec<u8>)>,
}

/// Redis's `parseExtendedStringArgumentsOrReply` for SET: an option that
/// conflicts with one already given is a syntax error, the same option may
/// repeat, and an expire option needs a following argument.
fn parse_set_options(args: &[Vec<u8>]) -> Result<SetOptions, Frame> {
    let mut o = SetOptions::default();
    let mut j = 3;
    while j < args.len() {
        let opt = args[j].to_ascii_lowercase();
        let next = args.get(j + 1);
        let kind = o.expire.as_ref().map(|(k, _)| *k);
        let other_expire = |mine: ExpireKind| kind.is_some_and(|k| k != mine);
        match opt.as_slice() {
            b"nx" if !o.xx => o.nx = true,
            b"xx" if !o.nx => o.xx = true,
            b"get" => o.get = true,
            b"keepttl" if kind.is_none() => o.keep_ttl = true,
            b"ex" | b"px" | b"exat" | b"pxat" => {
                let mine = match opt.as_slice() {
                    b"ex" => ExpireKind::Ex,
                    b"px" => ExpireKind::Px,
                    b"exat" => ExpireKind::ExAt,
                    _ => ExpireKind::PxAt,
                };
                match next {
                    Some(value) if !o.keep_ttl && !other_expire(mine) => {
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
fn expire_at(kind: ExpireKind, raw: &[u8], now: Millis) -> Result<Millis, Frame> {
    let n = int_arg(raw)?;
    let in_seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (in_seconds && n > i64::MAX / 1000) {
        return Err(invalid_expire_time("set"));
    }
    let mut ms = if in_seconds { n * 1000 } else { n };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        // C's signed overflow wraps in practice; Redis then sees a value <= 0.
        ms = ms.wrapping_add(now);
    }
    if ms <= 0 {
        return Err(invalid_expire_time("set"));
    }
    Ok(ms)
}

pub fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let options = match parse_set_options(args) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let expires_at = match &options.expire {
        Some((kind, raw)) => match expire_at(*kind, raw, ctx.now) {
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
    ctx.db().set(key, Value::string(next.to_string()), true, now);
    *ctx.dirty += 1;
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
