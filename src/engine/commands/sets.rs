//! Set commands: SADD and friends, SPOP / SRANDMEMBER, SMOVE, the algebra
//! (SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD).

use super::{to_usize, err, int_arg_in, positive_int_arg, ranged_int_arg, set, syntax_error, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::{Set, Value};

pub fn sadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let limits = ctx.settings.limits.clone();
    let first = args[2].clone();
    let s = match ctx.typed_or_insert(&args[1], set, || Value::Set(Set::for_first_member(&first))) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let added = args[2..].iter().filter(|m| s.add(m, &limits)).count();
    *ctx.dirty += added as u64;
    if added > 0 {
        ctx.notify(super::event::SET, "sadd", &args[1]);
    }
    Frame::Integer(added as i64)
}

pub fn srem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.remove_members(&args[1], set, &args[2..], |s, member| s.remove(member), (super::event::SET, "srem"))
}

pub fn sismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], set, |s| Frame::Integer(s.is_some_and(|s| s.contains(&args[2])) as i64))
}

pub fn smismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], set, |s| Frame::Array(
        args[2..].iter().map(|m| Frame::Integer(s.as_ref().is_some_and(|s| s.contains(m)) as i64)).collect(),
    ))
}

pub fn scard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], set, |s| Frame::Integer(s.map_or(0, |s| s.len() as i64)))
}

pub fn smembers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], set, |s| super::bulks(s.map(|s| s.members()).unwrap_or_default()))
}

pub fn smove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (source, destination, member) = (&args[1], &args[2], &args[3]);
    let source_exists = match ctx.typed(source, set) {
        Ok(s) => s.is_some(),
        Err(e) => {
            // Redis checks the source type only once it knows the source exists.
            return e;
        }
    };
    if !source_exists {
        return Frame::Integer(0);
    }
    if let Err(e) = ctx.typed(destination, set) {
        return e;
    }
    if source == destination {
        let is_member = matches!(ctx.typed(source, set), Ok(Some(s)) if s.contains(member));
        return Frame::Integer(is_member as i64);
    }
    let removed = match ctx.typed(source, set) {
        Ok(Some(s)) => s.remove(member),
        _ => false,
    };
    if !removed {
        return Frame::Integer(0);
    }
    ctx.notify(super::event::SET, "srem", source);
    ctx.remove_if_empty(source);
    *ctx.dirty += 1;
    let limits = ctx.settings.limits.clone();
    let first = member.clone();
    if let Ok(d) = ctx.typed_or_insert(destination, set, || Value::Set(Set::for_first_member(&first))) {
        if d.add(member, &limits) {
            *ctx.dirty += 1;
            ctx.notify(super::event::SET, "sadd", destination);
        }
    }
    Frame::Integer(1)
}

/// The members of the set at `key`; for a missing key, the reply SPOP and
/// SRANDMEMBER give (an empty array with a count, else nil).
fn members_or_empty(ctx: &mut Ctx, key: &[u8], counted: bool) -> Result<Vec<Vec<u8>>, Frame> {
    match ctx.typed(key, set)? {
        None => Err(if counted { Frame::Array(Vec::new()) } else { Frame::Null }),
        Some(s) => Ok(s.members()),
    }
}

pub fn spop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        None => None,
        Some(raw) => match positive_int_arg(raw) {
            Ok(n) => Some(n),
            Err(e) => return e,
        },
    };
    let members = match members_or_empty(ctx, &args[1], count.is_some()) {
        Ok(members) => members,
        Err(reply) => return reply,
    };
    let picks: Vec<usize> = match count {
        None => vec![ctx.rng.below(members.len())],
        Some(0) => return Frame::Array(Vec::new()),
        Some(n) => ctx.rng.sample(members.len(), n),
    };
    if let Ok(Some(s)) = ctx.typed(&args[1], set) {
        for &i in &picks {
            s.remove(&members[i]);
        }
    }
    *ctx.dirty += picks.len() as u64;
    ctx.notify(super::event::SET, "spop", &args[1]);
    ctx.remove_if_empty(&args[1]);
    // Replicas remove exactly the members popped here.
    let mut srem: Vec<Vec<u8>> = vec![b"SREM".to_vec(), args[1].clone()];
    srem.extend(picks.iter().map(|&i| members[i].clone()));
    ctx.client.propagate = Some(vec![srem]);
    let popped = picks.into_iter().map(|i| members[i].clone());
    match count {
        None => popped.map(Frame::Bulk).next().unwrap_or(Frame::Null),
        Some(_) => super::bulks(popped),
    }
}

pub fn srandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        None => None,
        Some(raw) => match ranged_int_arg(raw, -i64::MAX, i64::MAX) {
            Ok(n) => Some(n),
            Err(e) => return e,
        },
    };
    let members = match members_or_empty(ctx, &args[1], count.is_some()) {
        Ok(members) => members,
        Err(reply) => return reply,
    };
    match count {
        None => Frame::Bulk(members[ctx.rng.below(members.len())].clone()),
        Some(n) => super::bulks(ctx.rng.sample(members.len(), n).into_iter().map(|i| members[i].clone())),
    }
}

/// The sets named by `keys` (every key's type is checked first); for an
/// intersection, `Ok(None)` when a key is missing: the result is empty.
fn load_sets(ctx: &mut Ctx, keys: &[Vec<u8>], empty_if_missing: bool) -> Result<Option<Vec<Option<Set>>>, Frame> {
    let mut sets = Vec::with_capacity(keys.len());
    for key in keys {
        sets.push(ctx.typed(key, set)?.cloned());
    }
    if empty_if_missing && sets.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(sets))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The result members; intersections keep the smallest set's order.
fn compute(op: Op, sets: &[Option<Set>]) -> Vec<Vec<u8>> {
    match op {
        Op::Inter => {
            let Some(Some(smallest)) = sets.iter().min_by_key(|s| s.as_ref().map_or(0, Set::len)) else {
                return Vec::new();
            };
            smallest
                .members()
                .into_iter()
                .filter(|m| sets.iter().all(|s| s.as_ref().is_some_and(|s| s.contains(m))))
                .collect()
        }
        Op::Union => {
            let mut seen = crate::engine::fnv::FixedHashSet::default();
            let mut out = Vec::new();
            for s in sets.iter().flatten() {
                for m in s.members() {
                    if seen.insert(m.clone()) {
                        out.push(m);
                    }
                }
            }
            out
        }
        Op::Diff => match sets.first() {
            Some(Some(first)) => first
                .members()
                .into_iter()
                .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(m)))
                .collect(),
            _ => Vec::new(),
        },
    }
}

/// The result as Redis builds it before replying: an intset when every
/// member is an integer and few enough, so the reply order matches.
fn as_set(members: &[Vec<u8>], ctx: &Ctx) -> Option<Set> {
    let first = members.first()?;
    let mut s = Set::for_first_member(first);
    for m in members {
        s.add(m, &ctx.settings.limits);
    }
    Some(s)
}

fn algebra(ctx: &mut Ctx, op: Op, keys: &[Vec<u8>], store: Option<&Vec<u8>>) -> Frame {
    let sets = match load_sets(ctx, keys, op == Op::Inter) {
        Err(e) => return e,
        Ok(sets) => sets,
    };
    let members = sets.map(|sets| compute(op, &sets)).unwrap_or_default();
    if op == Op::Inter && store.is_some() && members.is_empty() {
        // An empty intersection deletes the destination (a change only if it existed).
        let existed = store.is_some_and(|d| ctx.db().remove(d).is_some());
        *ctx.dirty += existed as u64;
        if let (true, Some(destination)) = (existed, store) {
            ctx.notify(super::event::GENERIC, "del", destination);
        }
        return Frame::Integer(0);
    }
    match store {
        None if op == Op::Inter => super::bulks(members),
        None => super::bulks(as_set(&members, ctx).map(|s| s.members()).unwrap_or_default()),
        Some(destination) => {
            let len = members.len() as i64;
            match as_set(&members, ctx) {
                Some(s) => {
                    let now = ctx.now;
                    ctx.db().set(destination, Value::Set(s), false, now);
                    let name = match op {
                        Op::Inter => "sinterstore",
                        Op::Union => "sunionstore",
                        Op::Diff => "sdiffstore",
                    };
                    ctx.notify(super::event::SET, name, destination);
                }
                None => {
                    if ctx.db().remove(destination).is_some() {
                        ctx.notify(super::event::GENERIC, "del", destination);
                    }
                }
            }
            *ctx.dirty += 1;
            Frame::Integer(len)
        }
    }
}

pub fn sinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Inter, &args[1..], None)
}

pub fn sunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Union, &args[1..], None)
}

pub fn sdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Diff, &args[1..], None)
}

pub fn sinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Inter, &args[2..], Some(&args[1]))
}

pub fn sunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Union, &args[2..], Some(&args[1]))
}

pub fn sdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    algebra(ctx, Op::Diff, &args[2..], Some(&args[1]))
}

pub fn sintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let numkeys = match int_arg_in(&args[1], 1, i64::MAX, "numkeys should be greater than 0") {
        Ok(n) => to_usize(n),
        Err(e) => return e,
    };
    if numkeys > args.len() - 2 {
        return err("Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if super::eq_ignore_case(&args[j], "limit") && j + 1 < args.len() {
            j += 1;
            limit = match int_arg_in(&args[j], 0, i64::MAX, "LIMIT can't be negative") {
                Ok(l) => to_usize(l),
                Err(e) => return e,
            };
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let sets = match load_sets(ctx, &args[2..2 + numkeys], true) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(sets)) => sets,
    };
    let n = compute(Op::Inter, &sets).len();
    Frame::Integer(if limit > 0 { n.min(limit) } else { n } as i64)
}
