//! Consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER,
//! DELCONSUMER, HELP), XACK, XPENDING, XCLAIM and XAUTOCLAIM. Claims
//! reach replicas as the idempotent XCLAIM ... FORCE JUSTID LASTID form
//! Redis sends, so a replica's pending lists equal its master's.

use super::streams::{entry_reply, id_reply, parse_bound, parse_id, parse_strict_id, setid_propagation, shown, stream, xclaim_propagation};
use super::{eq_ignore_case, err, int_arg, subcommand_error, Ctx};
use crate::engine::resp::Frame;
use crate::engine::stream::{Group, Nack, StreamId, ENTRIES_READ_UNKNOWN};
use crate::engine::value::Value;

fn no_group(key: &[u8], group: &[u8]) -> Frame {
    Frame::error(format!("NOGROUP No such key '{}' or consumer group '{}'", shown(key), shown(group)))
}

/// The consumer named `name`, created (seen now) if it is new; true when created.
fn consumer_in(group: &mut Group, name: &[u8], now: i64) -> bool {
    let created = !group.consumers.contains_key(name);
    group.consumers.entry(name.to_vec()).or_default().seen_time = now;
    created
}

/// Every XGROUP subcommand but HELP, with Redis's order of checks.
pub fn xgroup(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let (create, setid) = (sub == "create", sub == "setid");
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_UNKNOWN;
    let mut i = 5;
    while i < args.len() {
        if create && eq_ignore_case(&args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && eq_ignore_case(&args[i], "entriesread") && i + 1 < args.len() {
            entries_read = match int_arg(&args[i + 1]) {
                Ok(n) if n < 0 && n != ENTRIES_READ_UNKNOWN => return err("value for ENTRIESREAD must be positive or -1"),
                Ok(n) => n,
                Err(e) => return e,
            };
            i += 2;
        } else {
            return subcommand_error(args);
        }
    }
    let (key, name) = (&args[2], &args[3]);
    let exists = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(st) => st.map(|s| s.groups.contains_key(name.as_slice())),
    };
    if !mkstream {
        match exists {
            None => {
                return err("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
            }
            Some(false) if matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") => {
                return Frame::error(format!("NOGROUP No such consumer group '{}' for key name '{}'", shown(name), shown(key)));
            }
            _ => {}
        }
    }
    let now = ctx.now;
    match sub.as_str() {
        "create" if args.len() <= 8 => {
            let id = if args[4].as_slice() == b"$" {
                None
            } else {
                match parse_strict_id(&args[4]) {
                    Ok(id) => Some(id),
                    Err(e) => return e,
                }
            };
            if exists.is_none() {
                ctx.db().set(key, Value::Stream(Box::default()), false, now);
            }
            let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
            if st.groups.contains_key(name.as_slice()) {
                return Frame::error("BUSYGROUP Consumer Group name already exists");
            }
            let id = id.unwrap_or(st.last_id);
            st.groups.insert(name.clone(), Group::new(id, entries_read));
            *ctx.dirty += 1;
            ctx.notify(super::event::STREAM, "xgroup-create", key);
            Frame::ok()
        }
        "setid" if args.len() == 5 || args.len() == 7 => {
            let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
            let id = if args[4].as_slice() == b"$" {
                st.last_id
            } else {
                match parse_id(&args[4], 0) {
                    Ok(id) => id,
                    Err(e) => return e,
                }
            };
            if let Some(g) = st.groups.get_mut(name.as_slice()) {
                g.last_id = id;
                g.entries_read = entries_read;
            }
            *ctx.dirty += 1;
            ctx.notify(super::event::STREAM, "xgroup-setid", key);
            Frame::ok()
        }
        "destroy" => {
            let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
            if st.groups.remove(name.as_slice()).is_none() {
                return Frame::Integer(0);
            }
            *ctx.dirty += 1;
            ctx.notify(super::event::STREAM, "xgroup-destroy", key);
            Frame::Integer(1)
        }
        "createconsumer" => {
            let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
            let Some(g) = st.groups.get_mut(name.as_slice()) else { return Frame::Integer(0) };
            if g.consumers.contains_key(args[4].as_slice()) {
                return Frame::Integer(0);
            }
            consumer_in(g, &args[4], now);
            *ctx.dirty += 1;
            ctx.notify(super::event::STREAM, "xgroup-createconsumer", key);
            Frame::Integer(1)
        }
        "delconsumer" => {
            let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
            let Some(g) = st.groups.get_mut(name.as_slice()) else { return Frame::Integer(0) };
            let Some(consumer) = g.consumers.remove(args[4].as_slice()) else { return Frame::Integer(0) };
            for id in &consumer.pending {
                g.pel.remove(id);
            }
            *ctx.dirty += 1;
            ctx.notify(super::event::STREAM, "xgroup-delconsumer", key);
            Frame::Integer(consumer.pending.len() as i64)
        }
        _ => subcommand_error(args),
    }
}

pub fn xack(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let has_group = match ctx.typed(&args[1], stream) {
        Err(e) => return e,
        Ok(st) => st.is_some_and(|s| s.groups.contains_key(args[2].as_slice())),
    };
    if !has_group {
        return Frame::Integer(0);
    }
    let mut ids = Vec::with_capacity(args.len() - 3);
    for raw in &args[3..] {
        match parse_strict_id(raw) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Ok(Some(st)) = ctx.typed(&args[1], stream) else { return Frame::Integer(0) };
    let Some(g) = st.groups.get_mut(args[2].as_slice()) else { return Frame::Integer(0) };
    let acked = ids.into_iter().filter(|id| g.remove_pending(*id).is_some()).count();
    *ctx.dirty += acked as u64;
    Frame::Integer(acked as i64)
}

pub fn xpending(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let summary = args.len() == 3;
    if !summary && !(6..=9).contains(&args.len()) {
        return super::syntax_error();
    }
    let mut range = None;
    let mut min_idle = 0i64;
    let mut consumer = None;
    if !summary {
        let mut at = 3;
        if eq_ignore_case(&args[3], "idle") {
            min_idle = match int_arg(&args[4]) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if args.len() < 8 {
                return super::syntax_error();
            }
            at += 2;
        }
        let count = match int_arg(&args[at + 2]) {
            Ok(n) => n.max(0),
            Err(e) => return e,
        };
        let start = match parse_bound(&args[at], 0, true) {
            Ok(id) => id,
            Err(e) => return e,
        };
        let end = match parse_bound(&args[at + 1], u64::MAX, false) {
            Ok(id) => id,
            Err(e) => return e,
        };
        consumer = args.get(at + 3);
        range = Some((start, end, count));
    }
    let now = ctx.now;
    let (key, name) = (&args[1], &args[2]);
    let st = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(st) => st,
    };
    let Some(g) = st.and_then(|s| s.groups.get(name.as_slice())) else { return no_group(key, name) };
    let Some((start, end, count)) = range else {
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            return Frame::Array(vec![Frame::Integer(0), Frame::Null, Frame::Null, Frame::NullArray]);
        };
        let owners = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pending.is_empty())
            .map(|(n, c)| Frame::Array(vec![Frame::Bulk(n.clone()), Frame::Bulk(c.pending.len().to_string().into_bytes())]))
            .collect();
        return Frame::Array(vec![Frame::Integer(g.pel.len() as i64), id_reply(*first), id_reply(*last), Frame::Array(owners)]);
    };
    let ids: Box<dyn Iterator<Item = &StreamId>> = match consumer {
        Some(c) => match g.consumers.get(c.as_slice()) {
            None => return Frame::Array(Vec::new()),
            Some(c) => Box::new(c.pending.range(start..)),
        },
        None => Box::new(g.pel.range(start..).map(|(id, _)| id)),
    };
    let mut out = Vec::new();
    for id in ids.take_while(|id| **id <= end) {
        if out.len() as i64 >= count {
            break;
        }
        let Some(nack) = g.pel.get(id) else { continue };
        if min_idle != 0 && now - nack.delivery_time < min_idle {
            continue;
        }
        out.push(Frame::Array(vec![
            id_reply(*id),
            Frame::Bulk(nack.consumer.clone()),
            Frame::Integer((now - nack.delivery_time).max(0)),
            Frame::Integer(nack.delivery_count as i64),
        ]));
    }
    Frame::Array(out)
}

/// A pending entry whose stream entry is gone: dropped from the PEL, and
/// replicas told with the XCLAIM that drops it there too.
fn drop_missing(st_group: &mut Group, key: &[u8], name: &[u8], id_arg: &[u8], id: StreamId, propagate: &mut Vec<Vec<Vec<u8>>>) {
    propagate.push(xclaim_propagation(key, name, id_arg, st_group, id));
    st_group.remove_pending(id);
}

pub fn xclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (key, name, claimer) = (&args[1], &args[2], &args[3]);
    let has_group = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(st) => st.is_some_and(|s| s.groups.contains_key(name.as_slice())),
    };
    if !has_group {
        return no_group(key, name);
    }
    let min_idle = match int_arg(&args[4]) {
        Ok(n) => n.max(0),
        Err(_) => return err("Invalid min-idle-time argument for XCLAIM"),
    };
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_strict_id(&args[j]) {
            Ok(id) => ids.push((id, j)),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now;
    let (mut force, mut justid) = (false, false);
    let mut delivery_time: Option<i64> = None;
    let mut retry_count: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        let number = |raw: &[u8], what: &str| int_arg(raw).map_err(|_| err(&format!("Invalid {what} option argument for XCLAIM")));
        if eq_ignore_case(opt, "force") {
            force = true;
        } else if eq_ignore_case(opt, "justid") {
            justid = true;
        } else if eq_ignore_case(opt, "idle") && more > 0 {
            j += 1;
            match number(&args[j], "IDLE") {
                Ok(idle) => delivery_time = Some(now - idle),
                Err(e) => return e,
            }
        } else if eq_ignore_case(opt, "time") && more > 0 {
            j += 1;
            match number(&args[j], "TIME") {
                Ok(at) => delivery_time = Some(at),
                Err(e) => return e,
            }
        } else if eq_ignore_case(opt, "retrycount") && more > 0 {
            j += 1;
            match number(&args[j], "RETRYCOUNT") {
                Ok(n) => retry_count = Some(n),
                Err(e) => return e,
            }
        } else if eq_ignore_case(opt, "lastid") && more > 0 {
            j += 1;
            match parse_strict_id(&args[j]) {
                Ok(id) => last_id = id,
                Err(e) => return e,
            }
        } else {
            return err(&format!("Unrecognized XCLAIM option '{}'", shown(opt)));
        }
        j += 1;
    }
    let Ok(Some(st)) = ctx.typed(key, stream) else { return no_group(key, name) };
    let Some(mut group) = st.groups.remove(name.as_slice()) else { return no_group(key, name) };
    let mut propagate_last_id = false;
    if last_id > group.last_id {
        group.last_id = last_id;
        propagate_last_id = true;
    }
    let delivery_time = match delivery_time {
        Some(t) if t >= 0 && t <= now => t,
        _ => now,
    };
    let mut propagate = Vec::new();
    let mut claimed = Vec::new();
    let mut changes = 0u64;
    let mut created = false;
    let mut consumer_ready = false;
    for (id, at) in ids {
        if st.get(id).is_none() {
            if group.pel.contains_key(&id) {
                drop_missing(&mut group, key, name, &args[at], id, &mut propagate);
                propagate_last_id = false;
                changes += 1;
            }
            continue;
        }
        let existing = group.pel.get(&id).map(|n| n.delivery_time);
        match existing {
            None if !force => continue,
            // Not idle long enough for this claim.
            Some(time) if min_idle != 0 && now - time < min_idle => continue,
            _ => {}
        }
        if !consumer_ready {
            created = consumer_in(&mut group, claimer, now);
            consumer_ready = true;
        }
        let nack = group.pel.entry(id).or_insert(Nack { consumer: claimer.to_vec(), delivery_time: now, delivery_count: 1 });
        nack.delivery_time = delivery_time;
        match retry_count {
            Some(n) => nack.delivery_count = n as u64,
            None if !justid => nack.delivery_count += 1,
            None => {}
        }
        group.assign(id, claimer);
        claimed.push(if justid { id_reply(id) } else { st.get(id).map_or(Frame::Null, entry_reply) });
        propagate.push(xclaim_propagation(key, name, &args[at], &group, id));
        propagate_last_id = false;
        changes += 1;
    }
    if propagate_last_id {
        propagate.push(setid_propagation(key, name, &group));
        changes += 1;
    }
    st.groups.insert(name.clone(), group);
    *ctx.dirty += changes + u64::from(created);
    if created {
        ctx.notify(super::event::STREAM, "xgroup-createconsumer", key);
    }
    ctx.client.propagate = Some(propagate);
    Frame::Array(claimed)
}

pub fn xautoclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (key, name, claimer) = (&args[1], &args[2], &args[3]);
    let min_idle = match int_arg(&args[4]) {
        Ok(n) => n.max(0),
        Err(_) => return err("Invalid min-idle-time argument for XAUTOCLAIM"),
    };
    let start = match parse_bound(&args[5], 0, true) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if eq_ignore_case(&args[j], "count") && more > 0 {
            count = match int_arg(&args[j + 1]) {
                Ok(n) if (1..=i64::MAX / 16).contains(&n) => n,
                _ => return err("COUNT must be > 0"),
            };
            j += 1;
        } else if eq_ignore_case(&args[j], "justid") {
            justid = true;
        } else {
            return super::syntax_error();
        }
        j += 1;
    }
    let has_group = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(st) => st.is_some_and(|s| s.groups.contains_key(name.as_slice())),
    };
    if !has_group {
        return no_group(key, name);
    }
    let now = ctx.now;
    let Ok(Some(st)) = ctx.typed(key, stream) else { return no_group(key, name) };
    let Some(mut group) = st.groups.remove(name.as_slice()) else { return no_group(key, name) };
    let mut attempts = count.saturating_mul(10);
    let mut propagate = Vec::new();
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut changes = 0u64;
    let mut created = false;
    let mut consumer_ready = false;
    let mut cursor = group.pel.range(start..).next().map(|(id, _)| *id);
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(id) = cursor else { break };
        cursor = id.next().and_then(|n| group.pel.range(n..).next().map(|(id, _)| *id));
        let id_text = id.to_string().into_bytes();
        if st.get(id).is_none() {
            drop_missing(&mut group, key, name, &id_text, id, &mut propagate);
            deleted.push(id_reply(id));
            changes += 1;
            count -= 1;
            continue;
        }
        if min_idle != 0 && group.pel.get(&id).is_some_and(|n| now - n.delivery_time < min_idle) {
            continue;
        }
        if !consumer_ready {
            created = consumer_in(&mut group, claimer, now);
            consumer_ready = true;
        }
        if let Some(nack) = group.pel.get_mut(&id) {
            nack.delivery_time = now;
            if !justid {
                nack.delivery_count += 1;
            }
        }
        group.assign(id, claimer);
        claimed.push(if justid { id_reply(id) } else { st.get(id).map_or(Frame::Null, entry_reply) });
        propagate.push(xclaim_propagation(key, name, &id_text, &group, id));
        changes += 1;
        count -= 1;
    }
    let next = cursor.unwrap_or(StreamId::MIN);
    st.groups.insert(name.clone(), group);
    *ctx.dirty += changes + u64::from(created);
    if created {
        ctx.notify(super::event::STREAM, "xgroup-createconsumer", key);
    }
    ctx.client.propagate = Some(propagate);
    Frame::Array(vec![id_reply(next), Frame::Array(claimed), Frame::Array(deleted)])
}
