//! List commands (7.0 lists are always `quicklist`): pushes, pops, ranges,
//! LINSERT, LREM, LTRIM, LPOS, LMOVE, LMPOP.

use std::collections::VecDeque;

use super::{to_usize, err, eq_ignore_case, event, int_arg, int_arg_in, list, positive_int_arg, syntax_error, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

fn end_arg(arg: &[u8]) -> Result<End, Frame> {
    if eq_ignore_case(arg, "left") {
        Ok(End::Left)
    } else if eq_ignore_case(arg, "right") {
        Ok(End::Right)
    } else {
        Err(syntax_error())
    }
}

fn push_generic(ctx: &mut Ctx, args: &[Vec<u8>], end: End, only_existing: bool) -> Frame {
    let key = &args[1];
    let exists = match ctx.typed(key, list) {
        Ok(l) => l.is_some(),
        Err(e) => return e,
    };
    if !exists && only_existing {
        return Frame::Integer(0);
    }
    let l = match ctx.typed_or_insert(key, list, || Value::List(VecDeque::new())) {
        Ok(l) => l,
        Err(e) => return e,
    };
    for item in &args[2..] {
        match end {
            End::Left => l.push_front(item.clone()),
            End::Right => l.push_back(item.clone()),
        }
    }
    let len = l.len() as i64;
    *ctx.dirty += (args.len() - 2) as u64;
    ctx.notify(event::LIST, push_event(end), key);
    Frame::Integer(len)
}

pub fn lpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    push_generic(ctx, args, End::Left, false)
}

pub fn rpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    push_generic(ctx, args, End::Right, false)
}

pub fn lpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    push_generic(ctx, args, End::Left, true)
}

pub fn rpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    push_generic(ctx, args, End::Right, true)
}

fn pop_n(l: &mut VecDeque<Vec<u8>>, end: End, n: usize) -> Vec<Vec<u8>> {
    let n = n.min(l.len());
    match end {
        End::Left => l.drain(..n).collect(),
        End::Right => (0..n).filter_map(|_| l.pop_back()).collect(),
    }
}

fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

fn pop_generic(ctx: &mut Ctx, args: &[Vec<u8>], end: End) -> Frame {
    if args.len() > 3 {
        return super::wrong_arity(if end == End::Left { "lpop" } else { "rpop" });
    }
    let count = match args.get(2) {
        Some(raw) => match positive_int_arg(raw) {
            Ok(n) => Some(to_usize(n)),
            Err(e) => return e,
        },
        None => None,
    };
    let key = &args[1];
    let l = match ctx.typed(key, list) {
        Err(e) => return e,
        Ok(None) => return if count.is_some() { Frame::NullArray } else { Frame::Null },
        Ok(Some(l)) => l,
    };
    let reply = match count {
        Some(0) => return Frame::Array(Vec::new()),
        None => Frame::Bulk(pop_n(l, end, 1).pop().unwrap_or_default()),
        Some(n) => super::bulks(pop_n(l, end, n)),
    };
    *ctx.dirty += 1;
    ctx.notify(event::LIST, pop_event(end), key);
    ctx.remove_if_empty(key);
    reply
}

pub fn lpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    pop_generic(ctx, args, End::Left)
}

pub fn rpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    pop_generic(ctx, args, End::Right)
}

pub fn llen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match ctx.typed(&args[1], list) {
        Ok(l) => Frame::Integer(l.map_or(0, |l| l.len() as i64)),
        Err(e) => e,
    }
}

pub fn lrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (start, end) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match ctx.typed(&args[1], list) {
        Err(e) => e,
        Ok(None) => Frame::Array(Vec::new()),
        Ok(Some(l)) => match super::index_window(start, end, l.len()) {
            None => Frame::Array(Vec::new()),
            Some((s, e)) => super::bulks(l.range(s..=e).cloned()),
        },
    }
}

pub fn ltrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (start, end) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let key = &args[1];
    let l = match ctx.typed(key, list) {
        Err(e) => return e,
        Ok(None) => return Frame::ok(),
        Ok(Some(l)) => l,
    };
    let before = l.len();
    match super::index_window(start, end, l.len()) {
        None => l.clear(),
        Some((s, e)) => {
            l.truncate(e + 1);
            l.drain(..s);
        }
    }
    *ctx.dirty += (before - l.len()) as u64;
    ctx.notify(event::LIST, "ltrim", key);
    ctx.remove_if_empty(key);
    Frame::ok()
}

fn index_of(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

pub fn lindex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let l = match ctx.typed(&args[1], list) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(l)) => l,
    };
    let index = match int_arg(&args[2]) {
        Ok(i) => i,
        Err(e) => return e,
    };
    match index_of(index, l.len()) {
        Some(i) => Frame::Bulk(l[i].clone()),
        None => Frame::Null,
    }
}

pub fn lset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let l = match ctx.typed(&args[1], list) {
        Err(e) => return e,
        Ok(None) => return err("no such key"),
        Ok(Some(l)) => l,
    };
    let index = match int_arg(&args[2]) {
        Ok(i) => i,
        Err(e) => return e,
    };
    match index_of(index, l.len()) {
        Some(i) => {
            l[i] = args[3].clone();
            *ctx.dirty += 1;
            ctx.notify(event::LIST, "lset", &args[1]);
            Frame::ok()
        }
        None => err("index out of range"),
    }
}

pub fn linsert(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let after = if eq_ignore_case(&args[2], "after") {
        true
    } else if eq_ignore_case(&args[2], "before") {
        false
    } else {
        return syntax_error();
    };
    let l = match ctx.typed(&args[1], list) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(l)) => l,
    };
    let Some(pos) = l.iter().position(|item| *item == args[3]) else { return Frame::Integer(-1) };
    l.insert(if after { pos + 1 } else { pos }, args[4].clone());
    let len = l.len() as i64;
    *ctx.dirty += 1;
    ctx.notify(event::LIST, "linsert", &args[1]);
    Frame::Integer(len)
}

pub fn lrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let count = match int_arg(&args[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let key = &args[1];
    let l = match ctx.typed(key, list) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(l)) => l,
    };
    let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    let mut removed = 0;
    if count >= 0 {
        let mut i = 0;
        while i < l.len() && removed < limit {
            if l[i] == args[3] {
                l.remove(i);
                removed += 1;
            } else {
                i += 1;
            }
        }
    } else {
        let mut i = l.len();
        while i > 0 && removed < limit {
            i -= 1;
            if l[i] == args[3] {
                l.remove(i);
                removed += 1;
            }
        }
    }
    *ctx.dirty += removed as u64;
    if removed > 0 {
        ctx.notify(event::LIST, "lrem", key);
    }
    ctx.remove_if_empty(key);
    Frame::Integer(removed as i64)
}

pub fn lpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let opt = &args[j];
        if eq_ignore_case(opt, "rank") && more {
            j += 1;
            rank = match int_arg(&args[j]) {
                Ok(0) => {
                    return err("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
                }
                Ok(r) => r,
                Err(e) => return e,
            };
        } else if eq_ignore_case(opt, "count") && more {
            j += 1;
            count = match int_arg_in(&args[j], 0, i64::MAX, "COUNT can't be negative") {
                Ok(c) => Some(c),
                Err(e) => return e,
            };
        } else if eq_ignore_case(opt, "maxlen") && more {
            j += 1;
            maxlen = match int_arg_in(&args[j], 0, i64::MAX, "MAXLEN can't be negative") {
                Ok(m) => m,
                Err(e) => return e,
            };
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let l = match ctx.typed(&args[1], list) {
        Err(e) => return e,
        Ok(None) => return if count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null },
        Ok(Some(l)) => l,
    };
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let len = l.len();
    let mut matches = 0u64;
    let mut found = Vec::new();
    for scanned in 0..len {
        if maxlen != 0 && scanned as i64 >= maxlen {
            break;
        }
        let index = if from_tail { len - 1 - scanned } else { scanned };
        if l[index] == args[2] {
            matches += 1;
            if matches >= rank {
                found.push(Frame::Integer(index as i64));
                match count {
                    None => break,
                    Some(c) if c != 0 && (matches - rank + 1) as i64 >= c => break,
                    _ => {}
                }
            }
        }
    }
    match count {
        Some(_) => Frame::Array(found),
        None => found.pop().unwrap_or(Frame::Null),
    }
}

fn lmove_generic(ctx: &mut Ctx, source: &[u8], destination: &[u8], from: End, to: End) -> Frame {
    match ctx.typed(source, list) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(l)) if l.is_empty() => return Frame::Null,
        Ok(Some(_)) => {}
    }
    if let Err(e) = ctx.typed(destination, list) {
        return e;
    }
    let item = match ctx.typed(source, list) {
        Ok(Some(l)) => pop_n(l, from, 1).pop().unwrap_or_default(),
        _ => return Frame::Null,
    };
    let dest = match ctx.typed_or_insert(destination, list, || Value::List(VecDeque::new())) {
        Ok(l) => l,
        Err(e) => return e,
    };
    match to {
        End::Left => dest.push_front(item.clone()),
        End::Right => dest.push_back(item.clone()),
    }
    *ctx.dirty += 1;
    // Redis tells of the push, then the pop, then the emptied source.
    ctx.notify(event::LIST, push_event(to), destination);
    ctx.notify(event::LIST, pop_event(from), source);
    ctx.remove_if_empty(source);
    Frame::Bulk(item)
}

pub fn rpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    lmove_generic(ctx, &args[1], &args[2], End::Right, End::Left)
}

pub fn lmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (from, to) = match (end_arg(&args[3]), end_arg(&args[4])) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    lmove_generic(ctx, &args[1], &args[2], from, to)
}

pub fn lmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match super::parse_mpop(args, 1, ["left", "right"]) {
        Ok(parsed) => lmpop_parsed(ctx, args, &parsed),
        Err(e) => e,
    }
}

/// Pops from the first non-empty list among the parsed keys, or nil.
pub fn lmpop_parsed(ctx: &mut Ctx, args: &[Vec<u8>], parsed: &super::MpopArgs) -> Frame {
    let end = if parsed.second_end { End::Right } else { End::Left };
    for key in &args[parsed.keys.clone()] {
        let l = match ctx.typed(key, list) {
            Err(e) => return e,
            Ok(None) => continue,
            Ok(Some(l)) if l.is_empty() => continue,
            Ok(Some(l)) => l,
        };
        let items = pop_n(l, end, parsed.count);
        *ctx.dirty += items.len() as u64;
        // Replicas pop what was popped, as Redis rewrites LMPOP and BLMPOP.
        let count = items.len().to_string();
        let pop: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
        ctx.client.propagate_as(vec![vec![pop, key.as_slice(), count.as_bytes()]]);
        ctx.notify(event::LIST, pop_event(end), key);
        ctx.remove_if_empty(key);
        return Frame::Array(vec![Frame::Bulk(key.clone()), super::bulks(items)]);
    }
    Frame::NullArray
}
