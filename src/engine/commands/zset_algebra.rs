//! The sorted-set commands across several keys: ZUNION, ZINTER, ZDIFF
//! (and their STORE forms) with WEIGHTS and AGGREGATE, and ZINTERCARD.
//! Plain sets count as sorted sets whose members all score 1.

use super::zsets::{float_arg, store_zset, with_scores_reply};
use super::{err, eq_ignore_case, int_arg, syntax_error, to_usize, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::{Set, Value, ZSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(a: f64, b: f64, how: Aggregate) -> f64 {
    match how {
        Aggregate::Sum => {
            let s = a + b;
            // inf + -inf: Redis stores 0 rather than NaN.
            if s.is_nan() {
                0.0
            } else {
                s
            }
        }
        Aggregate::Min => a.min(b),
        Aggregate::Max => a.max(b),
    }
}

/// A source of ZUNION & co.: a sorted set, or a plain set (score 1).
fn load_source(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<(Vec<u8>, f64)>>, Frame> {
    match ctx.value(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z.iter().map(|(m, s)| (m.clone(), s)).collect())),
        Some(Value::Set(s)) => Ok(Some(Set::members(s).into_iter().map(|m| (m, 1.0)).collect())),
        Some(_) => Err(super::wrong_type()),
    }
}

/// The sources named by `numkeys key [key ...]` with the count at
/// `numkeys_at`, in Redis's order of checks: the count, then each key's type.
fn load_sources(ctx: &mut Ctx, args: &[Vec<u8>], numkeys_at: usize) -> Result<Vec<Option<Vec<(Vec<u8>, f64)>>>, Frame> {
    let numkeys = int_arg(&args[numkeys_at])?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        return Err(err(&format!("at least 1 input key is needed for '{name}' command")));
    }
    if numkeys as u64 > (args.len() - numkeys_at - 1) as u64 {
        return Err(syntax_error());
    }
    let keys = &args[numkeys_at + 1..numkeys_at + 1 + to_usize(numkeys)];
    keys.iter().map(|key| load_source(ctx, key)).collect()
}

/// The options after the keys of ZUNION, ZINTER, ZDIFF and their STORE
/// forms: WEIGHTS, AGGREGATE, WITHSCORES.
struct SetOpOptions {
    weights: Vec<f64>,
    how: Aggregate,
    with_scores: bool,
}

fn set_op_options(args: &[Vec<u8>], from: usize, numkeys: usize, op: SetOp, store: bool) -> Result<SetOpOptions, Frame> {
    let mut o = SetOpOptions { weights: vec![1.0; numkeys], how: Aggregate::Sum, with_scores: false };
    let mut j = from;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        if op != SetOp::Diff && remaining >= numkeys && eq_ignore_case(&args[j], "weights") {
            for w in o.weights.iter_mut() {
                j += 1;
                *w = float_arg(&args[j], "weight value is not a float")?;
            }
        } else if op != SetOp::Diff && remaining >= 1 && eq_ignore_case(&args[j], "aggregate") {
            j += 1;
            o.how = if eq_ignore_case(&args[j], "sum") {
                Aggregate::Sum
            } else if eq_ignore_case(&args[j], "min") {
                Aggregate::Min
            } else if eq_ignore_case(&args[j], "max") {
                Aggregate::Max
            } else {
                return Err(syntax_error());
            };
        } else if !store && eq_ignore_case(&args[j], "withscores") {
            o.with_scores = true;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

fn set_op_generic(ctx: &mut Ctx, args: &[Vec<u8>], op: SetOp, store: bool) -> Frame {
    let numkeys_at = if store { 2 } else { 1 };
    let sources = match load_sources(ctx, args, numkeys_at) {
        Ok(sources) => sources,
        Err(e) => return e,
    };
    let numkeys = sources.len();
    let options = match set_op_options(args, numkeys_at + 1 + numkeys, numkeys, op, store) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let result = combine(&sources, op, &options);
    let limits = ctx.settings.limits.clone();
    let mut sorted = ZSet::new(0, &limits);
    for (m, s) in &result {
        sorted.insert(m, *s, &limits);
    }
    let items: Vec<(Vec<u8>, f64)> = sorted.iter().map(|(m, s)| (m.clone(), s)).collect();
    if store {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        store_zset(ctx, &args[1], items, event)
    } else {
        with_scores_reply(items, options.with_scores)
    }
}

/// The members and scores of a union, intersection or difference of the
/// sources (a missing key is `None`).
fn combine(sources: &[Option<Vec<(Vec<u8>, f64)>>], op: SetOp, options: &SetOpOptions) -> crate::engine::fnv::FixedHashMap<Vec<u8>, f64> {
    let (weights, how) = (&options.weights, options.how);
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut result: crate::engine::fnv::FixedHashMap<Vec<u8>, f64> = Default::default();
    match op {
        SetOp::Union => {
            for (source, &w) in sources.iter().zip(weights) {
                for (m, s) in source.iter().flatten() {
                    let v = weighted(*s, w);
                    result.entry(m.clone()).and_modify(|cur| *cur = aggregate(*cur, v, how)).or_insert(v);
                }
            }
        }
        SetOp::Inter => {
            if sources.iter().all(Option::is_some) {
                let maps: Vec<crate::engine::fnv::FixedHashMap<&Vec<u8>, f64>> = sources
                    .iter()
                    .map(|s| s.iter().flatten().map(|(m, sc)| (m, *sc)).collect())
                    .collect();
                if let Some(Some(first)) = sources.first() {
                    'member: for (m, s) in first {
                        let mut acc = weighted(*s, weights[0]);
                        for (map, &w) in maps.iter().zip(weights).skip(1) {
                            match map.get(m) {
                                Some(&other) => acc = aggregate(acc, weighted(other, w), how),
                                None => continue 'member,
                            }
                        }
                        result.insert(m.clone(), acc);
                    }
                }
            }
        }
        SetOp::Diff => {
            if let Some(Some(first)) = sources.first() {
                for (m, s) in first {
                    let elsewhere = sources[1..].iter().flatten().any(|other| other.iter().any(|(o, _)| o == m));
                    if !elsewhere {
                        result.insert(m.clone(), *s);
                    }
                }
            }
        }
    }
    result
}

pub fn zunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Union, false)
}

pub fn zinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Diff, false)
}

pub fn zunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Union, true)
}

pub fn zinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Inter, true)
}

pub fn zdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    set_op_generic(ctx, args, SetOp::Diff, true)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the
/// intersection (sets count as members with score 1), checked in the order
/// of ZINTER's: the keys' types, then the options.
pub fn zintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let sources = match load_sources(ctx, args, 1) {
        Ok(sources) => sources,
        Err(e) => return e,
    };
    let numkeys = sources.len();
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if eq_ignore_case(&args[j], "limit") && j + 1 < args.len() {
            limit = match super::int_arg_in(&args[j + 1], 0, i64::MAX, "LIMIT can't be negative") {
                Ok(l) => to_usize(l),
                Err(e) => return e,
            };
            j += 2;
        } else {
            return syntax_error();
        }
    }
    let Some(sources) = sources.into_iter().collect::<Option<Vec<_>>>() else { return Frame::Integer(0) };
    let others: Vec<std::collections::HashSet<&[u8]>> =
        sources[1..].iter().map(|s| s.iter().map(|(m, _)| m.as_slice()).collect()).collect();
    let mut count = 0usize;
    for (member, _) in &sources[0] {
        if others.iter().all(|o| o.contains(member.as_slice())) {
            count += 1;
            if limit > 0 && count == limit {
                break;
            }
        }
    }
    Frame::Integer(count as i64)
}
