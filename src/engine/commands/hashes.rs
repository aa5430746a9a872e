//! Hash commands: HSET and friends, HINCRBY, HRANDFIELD, HSCAN.

use super::{err, hash, int_arg, random_count, wrong_arity, Ctx};
use crate::engine::longdouble::LongDouble;
use crate::engine::resp::Frame;
use crate::engine::value::{Hash, Value};

fn hset_generic(ctx: &mut Ctx, args: &[Vec<u8>], name: &str) -> Frame {
    if args.len() % 2 == 1 {
        return wrong_arity(name);
    }
    let limits = ctx.settings.limits.clone();
    let h = match ctx.typed_or_insert(&args[1], hash, || Value::Hash(Hash::default())) {
        Ok(h) => h,
        Err(e) => return e,
    };
    h.convert_for_lengths(args[2..].iter().map(Vec::len), &limits);
    let mut created = 0;
    for pair in args[2..].chunks(2) {
        if h.set(&pair[0], pair[1].clone(), &limits) {
            created += 1;
        }
    }
    *ctx.dirty += ((args.len() - 2) / 2) as u64;
    ctx.notify(super::event::HASH, "hset", &args[1]);
    if name == "hset" {
        Frame::Integer(created)
    } else {
        Frame::ok()
    }
}

pub fn hset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    hset_generic(ctx, args, "hset")
}

pub fn hmset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    hset_generic(ctx, args, "hmset")
}

pub fn hsetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let limits = ctx.settings.limits.clone();
    let h = match ctx.typed_or_insert(&args[1], hash, || Value::Hash(Hash::default())) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if h.get(&args[2]).is_some() {
        return Frame::Integer(0);
    }
    h.convert_for_lengths([args[2].len(), args[3].len()], &limits);
    h.set(&args[2], args[3].clone(), &limits);
    *ctx.dirty += 1;
    ctx.notify(super::event::HASH, "hset", &args[1]);
    Frame::Integer(1)
}

pub fn hget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], hash, |h| h.and_then(|h| h.get(&args[2])).map_or(Frame::Null, |v| Frame::Bulk(v.clone())))
}

pub fn hmget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], hash, |h| Frame::Array(
        args[2..]
            .iter()
            .map(|f| h.as_ref().and_then(|h| h.get(f)).map_or(Frame::Null, |v| Frame::Bulk(v.clone())))
            .collect(),
    ))
}

pub fn hdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.remove_members(&args[1], hash, &args[2..], |h, field| h.remove(field), (super::event::HASH, "hdel"))
}

pub fn hlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], hash, |h| Frame::Integer(h.map_or(0, |h| h.len() as i64)))
}

pub fn hstrlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], hash, |h| Frame::Integer(h.and_then(|h| h.get(&args[2])).map_or(0, |v| v.len() as i64)))
}

pub fn hexists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], hash, |h| Frame::Integer(h.is_some_and(|h| h.get(&args[2]).is_some()) as i64))
}

fn hgetall_generic(ctx: &mut Ctx, key: &[u8], fields: bool, values: bool) -> Frame {
    let h = match ctx.typed(key, hash) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(Vec::new()),
        Ok(Some(h)) => h,
    };
    let mut out = Vec::new();
    for (f, v) in h.entries() {
        if fields {
            out.push(Frame::Bulk(f.clone()));
        }
        if values {
            out.push(Frame::Bulk(v.clone()));
        }
    }
    Frame::Array(out)
}

pub fn hkeys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    hgetall_generic(ctx, &args[1], true, false)
}

pub fn hvals(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    hgetall_generic(ctx, &args[1], false, true)
}

pub fn hgetall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    hgetall_generic(ctx, &args[1], true, true)
}

pub fn hincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let incr = match int_arg(&args[3]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let limits = ctx.settings.limits.clone();
    let h = match ctx.typed_or_insert(&args[1], hash, || Value::Hash(Hash::default())) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match h.get(&args[2]) {
        None => 0,
        Some(v) => match super::parse_i64(v) {
            Some(n) => n,
            None => {
                let e = err("hash value is not an integer");
                ctx.remove_if_empty(&args[1]);
                return e;
            }
        },
    };
    let Some(next) = current.checked_add(incr) else {
        ctx.remove_if_empty(&args[1]);
        return err("increment or decrement would overflow");
    };
    let text = next.to_string().into_bytes();
    h.convert_for_lengths([args[2].len(), text.len()], &limits);
    h.set(&args[2], text, &limits);
    *ctx.dirty += 1;
    ctx.notify(super::event::HASH, "hincrby", &args[1]);
    Frame::Integer(next)
}

pub fn hrandfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (count, with_values) = match random_count(args, "withvalues") {
        Ok(parsed) => parsed,
        Err(e) => return e,
    };
    let entries: Vec<(Vec<u8>, Vec<u8>)> = match ctx.typed(&args[1], hash) {
        Err(e) => return e,
        Ok(None) => return if count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null },
        Ok(Some(h)) => h.entries().into_iter().map(|(f, v)| (f.clone(), v.clone())).collect(),
    };
    let picks = match count {
        None => return Frame::Bulk(entries[ctx.rng.below(entries.len())].0.clone()),
        Some(n) => ctx.rng.sample(entries.len(), n),
    };
    let mut out = Vec::new();
    for i in picks {
        out.push(Frame::Bulk(entries[i].0.clone()));
        if with_values {
            out.push(Frame::Bulk(entries[i].1.clone()));
        }
    }
    Frame::Array(out)
}

pub fn hincrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let Some(incr) = LongDouble::parse(&args[3]) else { return err("value is not a valid float") };
    if !incr.is_finite() {
        return err("value is NaN or Infinity");
    }
    let limits = ctx.settings.limits.clone();
    let h = match ctx.typed_or_insert(&args[1], hash, || Value::Hash(Hash::default())) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match h.get(&args[2]) {
        None => LongDouble::from_i64(0),
        Some(v) => match super::parse_i64(v).map(LongDouble::from_i64).or_else(|| LongDouble::parse(v)) {
            Some(v) => v,
            None => {
                ctx.remove_if_empty(&args[1]);
                return err("hash value is not a float");
            }
        },
    };
    let sum = current.add(incr);
    if !sum.is_finite() {
        ctx.remove_if_empty(&args[1]);
        return err("increment would produce NaN or Infinity");
    }
    let text = sum.to_human().into_bytes();
    h.convert_for_lengths([args[2].len(), text.len()], &limits);
    h.set(&args[2], text.clone(), &limits);
    *ctx.dirty += 1;
    ctx.notify(super::event::HASH, "hincrbyfloat", &args[1]);
    ctx.client.propagate_as(vec![vec![&b"HSET"[..], &args[1], &args[2], &text]]);
    Frame::Bulk(text)
}
