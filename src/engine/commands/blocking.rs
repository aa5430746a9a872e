//! The blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP. Each first tries its non-blocking form; when every key
//! is empty it asks the server to park the client (`ctx.client.block`)
//! until a key it waits for changes or the timeout passes in virtual time.
//! The server runs the same handler again to serve it.

use super::{err, lists, syntax_error, zsets, BlockRequest, Ctx};
use crate::engine::time::Millis;
use crate::engine::longdouble::LongDouble;
use crate::engine::resp::Frame;

/// `getTimeoutFromObjectOrReply` in seconds: the absolute deadline, or
/// `None` for 0 (forever).
fn deadline(raw: &[u8], now: Millis) -> Result<Option<Millis>, Frame> {
    let seconds = LongDouble::parse(raw).ok_or_else(|| err("timeout is not a float or out of range"))?.to_f64();
    let ms = (seconds * 1000.0).ceil();
    if ms < 0.0 {
        return Err(err("timeout is negative"));
    }
    if !ms.is_finite() || ms > (i64::MAX / 2) as f64 {
        return Err(err("timeout is out of range"));
    }
    Ok(if ms == 0.0 { None } else { Some(now + ms as i64) })
}

/// Blocks (or, inside EXEC, answers the timeout reply at once).
fn block(ctx: &mut Ctx, keys: &[Vec<u8>], deadline: Option<Millis>, on_timeout: Frame) -> Frame {
    if ctx.client.deny_blocking {
        return on_timeout;
    }
    ctx.client.block = Some(BlockRequest { keys: keys.to_vec(), deadline, on_timeout: on_timeout.clone(), rerun: None });
    on_timeout
}

fn bpop(ctx: &mut Ctx, args: &[Vec<u8>], right: bool) -> Frame {
    let timeout = match deadline(&args[args.len() - 1], ctx.now) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let keys = &args[1..args.len() - 1];
    for key in keys {
        match ctx.typed(key, super::list) {
            Err(e) => return e,
            Ok(Some(l)) if !l.is_empty() => {
                let item = if right { l.pop_back() } else { l.pop_front() };
                *ctx.dirty += 1;
                ctx.notify(super::event::LIST, if right { "rpop" } else { "lpop" }, key);
                ctx.remove_if_empty(key);
                let pop: &[u8] = if right { b"RPOP" } else { b"LPOP" };
                ctx.client.propagate_as(vec![vec![pop, key]]);
                return Frame::Array(vec![Frame::Bulk(key.clone()), Frame::Bulk(item.unwrap_or_default())]);
            }
            Ok(_) => {}
        }
    }
    block(ctx, keys, timeout, Frame::NullArray)
}

pub fn blpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bpop(ctx, args, false)
}

pub fn brpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bpop(ctx, args, true)
}

fn bmove(ctx: &mut Ctx, args: &[Vec<u8>], lmove_args: Vec<Vec<u8>>, timeout_raw: &[u8]) -> Frame {
    let timeout = match deadline(timeout_raw, ctx.now) {
        Ok(t) => t,
        Err(e) => return e,
    };
    match ctx.typed(&args[1], super::list) {
        Err(e) => e,
        Ok(Some(l)) if !l.is_empty() => {
            let reply = lists::lmove(ctx, &lmove_args);
            ctx.client.propagate = Some(vec![lmove_args]);
            reply
        }
        Ok(_) => block(ctx, &args[1..2], timeout, Frame::Null),
    }
}

pub fn blmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    for end in &args[3..5] {
        if !(super::eq_ignore_case(end, "left") || super::eq_ignore_case(end, "right")) {
            return syntax_error();
        }
    }
    let lmove_args = vec![b"lmove".to_vec(), args[1].clone(), args[2].clone(), args[3].clone(), args[4].clone()];
    bmove(ctx, args, lmove_args, &args[5])
}

pub fn brpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let lmove_args = vec![b"lmove".to_vec(), args[1].clone(), args[2].clone(), b"RIGHT".to_vec(), b"LEFT".to_vec()];
    bmove(ctx, args, lmove_args, &args[3])
}

/// BLMPOP / BZMPOP: `timeout numkeys key... WHERE [COUNT n]`; the options
/// are checked first, then the timeout, then the keys, as Redis does.
fn bmpop(ctx: &mut Ctx, args: &[Vec<u8>], zset: bool) -> Frame {
    let ends = if zset { ["min", "max"] } else { ["left", "right"] };
    let parsed = match super::parse_mpop(args, 2, ends) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let timeout = match deadline(&args[1], ctx.now) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let reply = if zset { zsets::zmpop_parsed(ctx, args, &parsed) } else { lists::lmpop_parsed(ctx, args, &parsed) };
    match reply {
        Frame::NullArray => block(ctx, &args[parsed.keys.clone()], timeout, Frame::NullArray),
        // Replicas got [LR]POP / ZPOP{MIN,MAX} key count (see lmpop_parsed).
        other => other,
    }
}

pub fn blmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bmpop(ctx, args, false)
}

pub fn bzmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bmpop(ctx, args, true)
}

fn bzpop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Frame {
    let timeout = match deadline(&args[args.len() - 1], ctx.now) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let keys = &args[1..args.len() - 1];
    for key in keys {
        match ctx.typed(key, super::zset) {
            Err(e) => return e,
            Ok(Some(z)) if !z.is_empty() => {
                let pop: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
                let popped = if max { zsets::zpopmax(ctx, &[b"zpopmax".to_vec(), key.clone()]) } else {
                    zsets::zpopmin(ctx, &[b"zpopmin".to_vec(), key.clone()])
                };
                ctx.client.propagate_as(vec![vec![pop, key]]);
                let mut out = vec![Frame::Bulk(key.clone())];
                if let Frame::Array(items) = popped {
                    out.extend(items);
                }
                return Frame::Array(out);
            }
            Ok(_) => {}
        }
    }
    block(ctx, keys, timeout, Frame::NullArray)
}

pub fn bzpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bzpop(ctx, args, false)
}

pub fn bzpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bzpop(ctx, args, true)
}
