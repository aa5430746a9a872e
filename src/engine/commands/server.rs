//! Connection and server-wide commands of the first slice: PING, ECHO,
//! SELECT, DBSIZE, FLUSHDB, FLUSHALL.

use super::{err, ranged_int_arg, syntax_error, wrong_arity, Ctx};
use crate::engine::resp::Frame;

pub fn ping(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match args.len() {
        1 => Frame::Simple("PONG".into()),
        2 => Frame::bulk(args[1].clone()),
        _ => wrong_arity("ping"),
    }
}

pub fn echo(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    Frame::bulk(args[1].clone())
}

pub fn select(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let index = match ranged_int_arg(&args[1], i32::MIN as i64, i32::MAX as i64) {
        Ok(index) => index,
        Err(reply) => return reply,
    };
    if index < 0 || index as usize >= ctx.keyspace.dbs.len() {
        return err("DB index is out of range");
    }
    ctx.client.db = index as usize;
    Frame::ok()
}

pub fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::Integer(ctx.db().len() as i64)
}

/// FLUSHDB and FLUSHALL take an optional ASYNC or SYNC; both act at once here.
fn flush_mode_ok(args: &[Vec<u8>]) -> bool {
    match args.len() {
        1 => true,
        2 => args[1].eq_ignore_ascii_case(b"sync") || args[1].eq_ignore_ascii_case(b"async"),
        _ => false,
    }
}

pub fn flushdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if !flush_mode_ok(args) {
        return syntax_error();
    }
    let removed = ctx.db().len() as u64;
    ctx.db().clear();
    *ctx.dirty += removed;
    Frame::ok()
}

pub fn flushall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if !flush_mode_ok(args) {
        return syntax_error();
    }
    let removed = ctx.keyspace.total_keys() as u64;
    for db in &mut ctx.keyspace.dbs {
        db.clear();
    }
    // Redis counts a FLUSHALL as at least one change even on empty data.
    *ctx.dirty += removed + 1;
    Frame::ok()
}

pub fn config_get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let pairs = ctx.settings.matching(&args[2..]);
    Frame::Array(pairs.into_iter().flat_map(|(n, v)| [Frame::bulk(n), Frame::bulk(v)]).collect())
}

pub fn config_set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() % 2 == 1 {
        return wrong_arity("config|set");
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = args[2..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    match ctx.settings.set_many(&pairs) {
        Ok(()) => Frame::ok(),
        Err(text) => err(&text),
    }
}
