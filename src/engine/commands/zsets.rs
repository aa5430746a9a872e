//! Sorted set commands: ZADD with every flag, the ZRANGE family (rank,
//! score and lex ranges, REV, LIMIT, STORE), counts, removals, pops,
//! ZRANDMEMBER. The commands across several sets are in zset_algebra.rs.

use super::{to_usize, err, eq_ignore_case, int_arg, positive_int_arg, random_count, syntax_error, zset, Ctx};
use crate::engine::numfmt::{fmt_g17, parse_f64, parse_f64_loose};
use crate::engine::resp::Frame;
use crate::engine::value::{Value, ZSet};

pub(super) fn score_reply(score: f64) -> Frame {
    Frame::Bulk(fmt_g17(score).into_bytes())
}

pub(super) fn float_arg(raw: &[u8], message: &str) -> Result<f64, Frame> {
    parse_f64(raw).ok_or_else(|| err(message))
}

pub fn zadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zadd_generic(ctx, args, false)
}

pub fn zincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let rewritten = vec![args[0].clone(), args[1].clone(), args[2].clone(), args[3].clone()];
    zadd_generic(ctx, &rewritten, true)
}

fn zadd_generic(ctx: &mut Ctx, args: &[Vec<u8>], force_incr: bool) -> Frame {
    let (mut nx, mut xx, mut ch, mut incr, mut gt, mut lt) = (false, false, false, force_incr, false, false);
    let mut at = 2;
    while at < args.len() && !force_incr {
        let opt = args[at].to_ascii_lowercase();
        match opt.as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => ch = true,
            b"incr" => incr = true,
            b"gt" => gt = true,
            b"lt" => lt = true,
            _ => break,
        }
        at += 1;
    }
    let pairs = &args[at..];
    if pairs.is_empty() || pairs.len() % 2 == 1 {
        return syntax_error();
    }
    if nx && xx {
        return err("XX and NX options at the same time are not compatible");
    }
    if (gt && nx) || (lt && nx) || (gt && lt) {
        return err("GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && pairs.len() > 2 {
        return err("INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        match float_arg(&pair[0], "value is not a valid float") {
            Ok(s) => scores.push(s),
            Err(e) => return e,
        }
    }
    let limits = ctx.settings.limits.clone();
    let exists = match ctx.typed(&args[1], zset) {
        Err(e) => return e,
        Ok(z) => z.is_some(),
    };
    let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
    if exists || !xx {
        let first_len = pairs[1].len();
        let z = match ctx.typed_or_insert(&args[1], zset, || Value::ZSet(Box::new(ZSet::new(first_len, &limits)))) {
            Ok(z) => z,
            Err(e) => return e,
        };
        for (pair, &score) in pairs.chunks(2).zip(&scores) {
            let member = &pair[1];
            match z.score(member) {
                Some(current) => {
                    if nx {
                        continue;
                    }
                    let new = if incr { current + score } else { score };
                    if new.is_nan() {
                        ctx.remove_if_empty(&args[1]);
                        return err("resulting score is not a number (NaN)");
                    }
                    if (lt && new >= current) || (gt && new <= current) {
                        continue;
                    }
                    if new != current {
                        z.insert(member, new, &limits);
                        updated += 1;
                    }
                    processed += 1;
                    last = new;
                }
                None => {
                    if xx {
                        continue;
                    }
                    z.insert(member, score, &limits);
                    added += 1;
                    processed += 1;
                    last = score;
                }
            }
        }
        if added + updated > 0 {
            ctx.notify(super::event::ZSET, if incr { "zincr" } else { "zadd" }, &args[1]);
        }
        ctx.remove_if_empty(&args[1]);
    }
    *ctx.dirty += (added + updated) as u64;
    if incr {
        if processed > 0 {
            score_reply(last)
        } else {
            Frame::Null
        }
    } else {
        Frame::Integer(if ch { added + updated } else { added })
    }
}

pub fn zcard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], zset, |z| Frame::Integer(z.map_or(0, |z| z.len() as i64)))
}

pub fn zscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], zset, |z| z.and_then(|z| z.score(&args[2])).map_or(Frame::Null, score_reply))
}

pub fn zmscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], zset, |z| Frame::Array(
        args[2..].iter().map(|m| z.as_ref().and_then(|z| z.score(m)).map_or(Frame::Null, score_reply)).collect(),
    ))
}

fn rank_generic(ctx: &mut Ctx, args: &[Vec<u8>], reverse: bool) -> Frame {
    ctx.reply_with(&args[1], zset, |z| match z.and_then(|z| z.rank(&args[2]).map(|r| (r, z.len()))) {
        Some((r, len)) => Frame::Integer(if reverse { len - 1 - r } else { r } as i64),
        None => Frame::Null,
    })
}

pub fn zrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    rank_generic(ctx, args, false)
}

pub fn zrevrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    rank_generic(ctx, args, true)
}

pub fn zrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.remove_members(&args[1], zset, &args[2..], |z, member| z.remove(member).is_some(), (super::event::ZSET, "zrem"))
}

/// A score bound: value and whether it is exclusive (`(1.5`).
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    min_ex: bool,
    max: f64,
    max_ex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let bound = |raw: &[u8]| match raw.first() {
            Some(b'(') => parse_f64_loose(&raw[1..]).map(|v| (v, true)),
            _ => parse_f64_loose(raw).map(|v| (v, false)),
        };
        let (min, min_ex) = bound(min)?;
        let (max, max_ex) = bound(max)?;
        Some(ScoreRange { min, min_ex, max, max_ex })
    }

    fn contains(&self, s: f64) -> bool {
        let above = if self.min_ex { s > self.min } else { s >= self.min };
        let below = if self.max_ex { s < self.max } else { s <= self.max };
        above && below
    }
}

#[derive(Clone)]
enum LexBound {
    Min,
    Max,
    Value(Vec<u8>, bool),
}

#[derive(Clone)]
struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        let bound = |raw: &[u8]| match raw {
            b"+" => Some(LexBound::Max),
            b"-" => Some(LexBound::Min),
            [b'(', rest @ ..] => Some(LexBound::Value(rest.to_vec(), true)),
            [b'[', rest @ ..] => Some(LexBound::Value(rest.to_vec(), false)),
            _ => None,
        };
        Some(LexRange { min: bound(min)?, max: bound(max)? })
    }

    fn contains(&self, m: &[u8]) -> bool {
        let above = match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Value(v, ex) => if *ex { m > v.as_slice() } else { m >= v.as_slice() },
        };
        let below = match &self.max {
            LexBound::Max => true,
            LexBound::Min => false,
            LexBound::Value(v, ex) => if *ex { m < v.as_slice() } else { m <= v.as_slice() },
        };
        above && below
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    Rank,
    Score,
    Lex,
}

/// The members (with scores) a range selects, in reply order.
fn select(
    z: &ZSet,
    kind: RangeKind,
    reverse: bool,
    bounds: (&[u8], &[u8]),
    offset: i64,
    limit: i64,
) -> Result<Vec<(Vec<u8>, f64)>, Frame> {
    let ordered: Vec<(Vec<u8>, f64)> = if reverse {
        z.iter().rev().map(|(m, s)| (m.clone(), s)).collect()
    } else {
        z.iter().map(|(m, s)| (m.clone(), s)).collect()
    };
    let matching: Vec<(Vec<u8>, f64)> = match kind {
        RangeKind::Rank => {
            let (start, end) = (int_arg(bounds.0)?, int_arg(bounds.1)?);
            return Ok(match super::index_window(start, end, ordered.len()) {
                Some((s, e)) => ordered[s..=e].to_vec(),
                None => Vec::new(),
            });
        }
        RangeKind::Score => {
            let range = ScoreRange::parse(bounds.0, bounds.1).ok_or_else(|| err("min or max is not a float"))?;
            ordered.into_iter().filter(|(_, s)| range.contains(*s)).collect()
        }
        RangeKind::Lex => {
            let range =
                LexRange::parse(bounds.0, bounds.1).ok_or_else(|| err("min or max not valid string range item"))?;
            ordered.into_iter().filter(|(m, _)| range.contains(m)).collect()
        }
    };
    // LIMIT: a negative offset selects nothing, a negative count means all.
    if offset < 0 {
        return Ok(Vec::new());
    }
    let rest = matching.into_iter().skip(offset as usize);
    Ok(if limit < 0 { rest.collect() } else { rest.take(to_usize(limit)).collect() })
}

pub(super) fn with_scores_reply(items: Vec<(Vec<u8>, f64)>, with_scores: bool) -> Frame {
    let mut out = Vec::new();
    for (m, s) in items {
        out.push(Frame::Bulk(m));
        if with_scores {
            out.push(score_reply(s));
        }
    }
    Frame::Array(out)
}

/// ZRANGE and its relatives. `key_at` is where the source key is; `store`
/// the destination key for ZRANGESTORE; `kind`/`reverse` are fixed by the
/// older command names and `None` for ZRANGE's own options.
fn zrange_generic(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    key_at: usize,
    store: Option<&Vec<u8>>,
    fixed_kind: Option<RangeKind>,
    fixed_reverse: Option<bool>,
) -> Frame {
    let (mut kind, mut reverse) = (fixed_kind, fixed_reverse);
    let (mut with_scores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = key_at + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let opt = &args[j];
        if store.is_none() && eq_ignore_case(opt, "withscores") {
            with_scores = true;
        } else if eq_ignore_case(opt, "limit") && left >= 2 {
            match (int_arg(&args[j + 1]), int_arg(&args[j + 2])) {
                (Ok(o), Ok(l)) => {
                    offset = o;
                    limit = l;
                }
                (Err(e), _) | (_, Err(e)) => return e,
            }
            j += 2;
        } else if fixed_reverse.is_none() && reverse.is_none() && eq_ignore_case(opt, "rev") {
            reverse = Some(true);
        } else if fixed_kind.is_none() && kind.is_none() && eq_ignore_case(opt, "bylex") {
            kind = Some(RangeKind::Lex);
        } else if fixed_kind.is_none() && kind.is_none() && eq_ignore_case(opt, "byscore") {
            kind = Some(RangeKind::Score);
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let kind = kind.unwrap_or(RangeKind::Rank);
    let reverse = reverse.unwrap_or(false);
    if limit != -1 && kind == RangeKind::Rank {
        return err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    }
    if with_scores && kind == RangeKind::Lex {
        return err("syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut lo, mut hi) = (&args[key_at + 1], &args[key_at + 2]);
    if reverse && kind != RangeKind::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    // Bounds are checked before the key is looked up, as Redis does.
    let check = match kind {
        RangeKind::Rank => int_arg(lo).and(int_arg(hi)).map(|_| ()),
        RangeKind::Score => ScoreRange::parse(lo, hi).map(|_| ()).ok_or_else(|| err("min or max is not a float")),
        RangeKind::Lex => {
            LexRange::parse(lo, hi).map(|_| ()).ok_or_else(|| err("min or max not valid string range item"))
        }
    };
    if let Err(e) = check {
        return e;
    }
    let items = match ctx.typed(&args[key_at], zset) {
        Err(e) => return e,
        Ok(None) => Vec::new(),
        Ok(Some(z)) => match select(z, kind, reverse, (lo, hi), offset, limit) {
            Ok(items) => items,
            Err(e) => return e,
        },
    };
    match store {
        None => with_scores_reply(items, with_scores),
        Some(destination) => store_zset(ctx, destination, items, "zrangestore"),
    }
}

/// ZRANGESTORE, ZUNIONSTORE...: `event` is the command's keyspace event.
pub(super) fn store_zset(ctx: &mut Ctx, destination: &[u8], items: Vec<(Vec<u8>, f64)>, event: &'static str) -> Frame {
    let len = items.len() as i64;
    if items.is_empty() {
        if ctx.db().remove(destination).is_some() {
            *ctx.dirty += 1;
            ctx.notify(super::event::GENERIC, "del", destination);
        }
        return Frame::Integer(0);
    }
    let limits = ctx.settings.limits.clone();
    let longest = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::new(0, &limits);
    if items.len() > limits.zset_max_listpack_entries || longest > limits.zset_max_listpack_value {
        z = ZSet::new(usize::MAX, &limits);
    }
    for (m, s) in items {
        z.insert(&m, s, &limits);
    }
    let now = ctx.now;
    ctx.db().set(destination, Value::ZSet(Box::new(z)), false, now);
    *ctx.dirty += 1;
    ctx.notify(super::event::ZSET, event, destination);
    Frame::Integer(len)
}

pub fn zrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, None, None)
}

pub fn zrangestore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 2, Some(&args[1]), None, None)
}

pub fn zrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, Some(RangeKind::Rank), Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, Some(RangeKind::Score), Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, Some(RangeKind::Score), Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, Some(RangeKind::Lex), Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zrange_generic(ctx, args, 1, None, Some(RangeKind::Lex), Some(true))
}

pub fn zcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let Some(range) = ScoreRange::parse(&args[2], &args[3]) else { return err("min or max is not a float") };
    ctx.reply_with(&args[1], zset, |z| Frame::Integer(z.map_or(0, |z| z.iter().filter(|(_, s)| range.contains(*s)).count()) as i64))
}

pub fn zlexcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let Some(range) = LexRange::parse(&args[2], &args[3]) else {
        return err("min or max not valid string range item");
    };
    ctx.reply_with(&args[1], zset, |z| Frame::Integer(z.map_or(0, |z| z.iter().filter(|(m, _)| range.contains(m)).count()) as i64))
}

fn zremrange_generic(ctx: &mut Ctx, args: &[Vec<u8>], kind: RangeKind) -> Frame {
    let check = match kind {
        RangeKind::Rank => int_arg(&args[2]).and(int_arg(&args[3])).map(|_| ()),
        RangeKind::Score => {
            ScoreRange::parse(&args[2], &args[3]).map(|_| ()).ok_or_else(|| err("min or max is not a float"))
        }
        RangeKind::Lex => LexRange::parse(&args[2], &args[3])
            .map(|_| ())
            .ok_or_else(|| err("min or max not valid string range item")),
    };
    if let Err(e) = check {
        return e;
    }
    let z = match ctx.typed(&args[1], zset) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(z)) => z,
    };
    let doomed = match select(z, kind, false, (&args[2], &args[3]), 0, -1) {
        Ok(items) => items,
        Err(e) => return e,
    };
    for (m, _) in &doomed {
        z.remove(m);
    }
    *ctx.dirty += doomed.len() as u64;
    if !doomed.is_empty() {
        let name = match kind {
            RangeKind::Rank => "zremrangebyrank",
            RangeKind::Score => "zremrangebyscore",
            RangeKind::Lex => "zremrangebylex",
        };
        ctx.notify(super::event::ZSET, name, &args[1]);
    }
    ctx.remove_if_empty(&args[1]);
    Frame::Integer(doomed.len() as i64)
}

pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zremrange_generic(ctx, args, RangeKind::Rank)
}

pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zremrange_generic(ctx, args, RangeKind::Score)
}

pub fn zremrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zremrange_generic(ctx, args, RangeKind::Lex)
}

/// Pops up to `count` members from the low (`max` false) or high end.
fn pop(z: &mut ZSet, max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
    let picked: Vec<(Vec<u8>, f64)> = if max {
        z.iter().rev().take(count).map(|(m, s)| (m.clone(), s)).collect()
    } else {
        z.iter().take(count).map(|(m, s)| (m.clone(), s)).collect()
    };
    for (m, _) in &picked {
        z.remove(m);
    }
    picked
}

fn zpop_generic(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Frame {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        None => 1,
        Some(raw) => match positive_int_arg(raw) {
            Ok(n) => to_usize(n),
            Err(e) => return e,
        },
    };
    let z = match ctx.typed(&args[1], zset) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(Vec::new()),
        Ok(Some(z)) => z,
    };
    let popped = pop(z, max, count);
    *ctx.dirty += popped.len() as u64;
    if !popped.is_empty() {
        ctx.notify(super::event::ZSET, if max { "zpopmax" } else { "zpopmin" }, &args[1]);
    }
    ctx.remove_if_empty(&args[1]);
    with_scores_reply(popped, true)
}

pub fn zpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zpop_generic(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    zpop_generic(ctx, args, true)
}

pub fn zmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match super::parse_mpop(args, 1, ["min", "max"]) {
        Ok(parsed) => zmpop_parsed(ctx, args, &parsed),
        Err(e) => e,
    }
}

/// Pops from the first non-empty sorted set among the parsed keys, or nil.
pub fn zmpop_parsed(ctx: &mut Ctx, args: &[Vec<u8>], parsed: &super::MpopArgs) -> Frame {
    for key in &args[parsed.keys.clone()] {
        let z = match ctx.typed(key, zset) {
            Err(e) => return e,
            Ok(None) => continue,
            Ok(Some(z)) => z,
        };
        let popped = pop(z, parsed.second_end, parsed.count);
        *ctx.dirty += popped.len() as u64;
        // Replicas pop what was popped, as Redis rewrites ZMPOP and BZMPOP.
        let count = popped.len().to_string();
        let command: &[u8] = if parsed.second_end { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.client.propagate_as(vec![vec![command, key.as_slice(), count.as_bytes()]]);
        if !popped.is_empty() {
            ctx.notify(super::event::ZSET, if parsed.second_end { "zpopmax" } else { "zpopmin" }, key);
        }
        ctx.remove_if_empty(key);
        let pairs = popped.into_iter().map(|(m, s)| Frame::Array(vec![Frame::Bulk(m), score_reply(s)])).collect();
        return Frame::Array(vec![Frame::Bulk(key.clone()), Frame::Array(pairs)]);
    }
    Frame::NullArray
}

pub fn zrandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (count, with_scores) = match random_count(args, "withscores") {
        Ok(parsed) => parsed,
        Err(e) => return e,
    };
    let items: Vec<(Vec<u8>, f64)> = match ctx.typed(&args[1], zset) {
        Err(e) => return e,
        Ok(None) => return if count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null },
        Ok(Some(z)) => z.iter().map(|(m, s)| (m.clone(), s)).collect(),
    };
    match count {
        None => Frame::Bulk(items[ctx.rng.below(items.len())].0.clone()),
        Some(n) => {
            let picks = ctx.rng.sample(items.len(), n);
            with_scores_reply(picks.into_iter().map(|i| items[i].clone()).collect(), with_scores)
        }
    }
}
