//! Generic key commands: DEL, UNLINK, EXISTS, KEYS, TYPE, TOUCH, the
//! expiry family (EXPIRE, PEXPIREAT, TTL, PERSIST...), RENAME, MOVE,
//! COPY, SWAPDB, RANDOMKEY, OBJECT, DUMP and RESTORE.

use super::{err, event, int_arg, invalid_expire_time, Ctx};
use crate::engine::glob;
use crate::engine::resp::Frame;

pub fn del(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let mut deleted = 0;
    for key in &args[1..] {
        let db = ctx.db();
        db.expire_if_needed(key, now);
        if db.remove(key).is_some() {
            deleted += 1;
            ctx.notify(event::GENERIC, "del", key);
        }
    }
    *ctx.dirty += deleted as u64;
    Frame::Integer(deleted)
}

pub fn exists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let count = args[1..].iter().filter(|key| ctx.db().peek(key, now).is_some()).count();
    Frame::Integer(count as i64)
}

pub fn keys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let pattern = &args[1];
    let all = pattern.as_slice() == b"*";
    let found = ctx
        .db()
        .keys(now)
        .filter(|key| all || glob::matches(pattern, key, false))
        .map(|key| Frame::bulk(key.clone()))
        .collect();
    Frame::Array(found)
}

pub fn type_(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let name = ctx.db().peek(&args[1], now).map_or("none", |e| e.value.type_name());
    Frame::Simple(name.into())
}

fn ttl_generic(ctx: &mut Ctx, key: &[u8], in_ms: bool) -> Frame {
    let now = ctx.now;
    let Some(entry) = ctx.db().peek(key, now) else { return Frame::Integer(-2) };
    match entry.expires_at {
        None => Frame::Integer(-1),
        Some(at) => {
            let ms = (at - now).max(0);
            Frame::Integer(if in_ms { ms } else { (ms + 500) / 1000 })
        }
    }
}

pub fn ttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ttl_generic(ctx, &args[1], false)
}

pub fn pttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ttl_generic(ctx, &args[1], true)
}

#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(options: &[Vec<u8>]) -> Result<ExpireFlags, Frame> {
    let mut flags = ExpireFlags::default();
    for opt in options {
        match opt.to_ascii_lowercase().as_slice() {
            b"nx" => flags.nx = true,
            b"xx" => flags.xx = true,
            b"gt" => flags.gt = true,
            b"lt" => flags.lt = true,
            _ => {
                let end = opt.iter().position(|&b| b == 0).unwrap_or(opt.len());
                return Err(err(&format!("Unsupported option {}", String::from_utf8_lossy(&opt[..end]))));
            }
        }
    }
    if flags.nx && (flags.xx || flags.gt || flags.lt) {
        return Err(err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags.gt && flags.lt {
        return Err(err("GT and LT options at the same time are not compatible"));
    }
    Ok(flags)
}

/// EXPIRE key seconds [NX|XX|GT|LT], relative to the virtual clock.
pub fn expire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expire_generic(ctx, args, true, true, "expire")
}

pub fn object_encoding(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    ctx.db().peek(&args[2], now).map_or(Frame::Null, |e| Frame::bulk(e.value.encoding()))
}

/// Integers 0..9999 are shared objects in Redis, with a pinned refcount.
pub fn object_refcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    match ctx.db().peek(&args[2], now).map(|e| &e.value) {
        None => Frame::Null,
        Some(crate::engine::value::Value::Str(s))
            if s.encoding() == "int" && super::parse_i64(&s.bytes).is_some_and(|n| (0..10_000).contains(&n)) =>
        {
            Frame::Integer(i32::MAX as i64)
        }
        Some(_) => Frame::Integer(1),
    }
}

/// Seconds since the last access, on Redis's one-second LRU clock.
pub fn object_idletime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let lfu = ctx.db().lfu;
    match ctx.db().peek(&args[2], now) {
        None => Frame::Null,
        Some(_) if lfu.is_some() => err("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
        Some(e) => Frame::Integer((now.div_euclid(1000) - e.accessed_at.div_euclid(1000)).max(0)),
    }
}

pub fn object_freq(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let lfu = ctx.db().lfu;
    match (ctx.db().peek(&args[2], now), lfu) {
        (None, _) => Frame::Null,
        (Some(e), Some(policy)) => Frame::Integer(e.lfu_decayed(policy, now) as i64),
        (Some(_), None) => err("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    }
}

pub fn unlink(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    del(ctx, args)
}

pub fn touch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    Frame::Integer(args[1..].iter().filter(|key| ctx.db().get(key, now).is_some()).count() as i64)
}

fn rename_generic(ctx: &mut Ctx, args: &[Vec<u8>], nx: bool) -> Frame {
    let (from, to) = (&args[1], &args[2]);
    let now = ctx.now;
    if ctx.db().get(from, now).is_none() {
        return err("no such key");
    }
    if from == to {
        return if nx { Frame::Integer(0) } else { Frame::ok() };
    }
    if ctx.db().get(to, now).is_some() && nx {
        return Frame::Integer(0);
    }
    let Some(mut entry) = ctx.db().remove(from) else { return err("no such key") };
    entry.accessed_at = now;
    ctx.db().insert_entry(to, entry);
    *ctx.dirty += 1;
    ctx.notify(event::GENERIC, "rename_from", from);
    ctx.notify(event::GENERIC, "rename_to", to);
    if nx {
        Frame::Integer(1)
    } else {
        Frame::ok()
    }
}

pub fn rename(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    rename_generic(ctx, args, false)
}

pub fn renamenx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    rename_generic(ctx, args, true)
}

fn db_index(ctx: &Ctx, raw: &[u8], message: Option<&str>) -> Result<usize, Frame> {
    let n = match message {
        None => super::ranged_int_arg(raw, i32::MIN as i64, i32::MAX as i64)?,
        Some(m) => super::int_arg_in(raw, i32::MIN as i64, i32::MAX as i64, m)?,
    };
    if n < 0 || n as usize >= ctx.keyspace.dbs.len() {
        return Err(err("DB index is out of range"));
    }
    Ok(n as usize)
}

pub fn move_(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let target = match db_index(ctx, &args[2], None) {
        Ok(t) => t,
        Err(e) => return e,
    };
    if target == ctx.client.db {
        return err("source and destination objects are the same");
    }
    let now = ctx.now;
    if ctx.db().get(&args[1], now).is_none() {
        return Frame::Integer(0);
    }
    if ctx.keyspace.dbs[target].get(&args[1], now).is_some() {
        return Frame::Integer(0);
    }
    let Some(entry) = ctx.db().remove(&args[1]) else { return Frame::Integer(0) };
    ctx.keyspace.dbs[target].insert_entry(&args[1], entry);
    *ctx.dirty += 1;
    ctx.notify(event::GENERIC, "move_from", &args[1]);
    ctx.notify_in(target, event::GENERIC, "move_to", &args[1]);
    Frame::Integer(1)
}

pub fn copy(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut target = ctx.client.db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if super::eq_ignore_case(&args[j], "replace") {
            replace = true;
        } else if super::eq_ignore_case(&args[j], "db") && j + 1 < args.len() {
            target = match db_index(ctx, &args[j + 1], None) {
                Ok(t) => t,
                Err(e) => return e,
            };
            j += 1;
        } else {
            return super::syntax_error();
        }
        j += 1;
    }
    if target == ctx.client.db && args[1] == args[2] {
        return err("source and destination objects are the same");
    }
    let now = ctx.now;
    let Some(mut entry) = ctx.db().get(&args[1], now).cloned() else { return Frame::Integer(0) };
    if ctx.keyspace.dbs[target].get(&args[2], now).is_some() && !replace {
        return Frame::Integer(0);
    }
    entry.accessed_at = now;
    ctx.keyspace.dbs[target].insert_entry(&args[2], entry);
    *ctx.dirty += 1;
    ctx.notify_in(target, event::GENERIC, "copy_to", &args[2]);
    Frame::Integer(1)
}

pub fn swapdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let a = match db_index(ctx, &args[1], Some("invalid first DB index")) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let b = match db_index(ctx, &args[2], Some("invalid second DB index")) {
        Ok(b) => b,
        Err(e) => return e,
    };
    ctx.keyspace.dbs.swap(a, b);
    *ctx.dirty += 1;
    Frame::ok()
}

/// RANDOMKEY: a random stored key; one whose time has passed is expired
/// on the way (its DEL reaches replicas), as Redis's dbRandomKey does, and
/// another is drawn.
pub fn randomkey(ctx: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    // While clients are paused expired keys stay: a bounded number of draws.
    for _ in 0..100 {
        let keys: Vec<Vec<u8>> = ctx.db().stored_keys().cloned().collect();
        if keys.is_empty() {
            return Frame::Null;
        }
        let key = keys[ctx.rng.below(keys.len())].clone();
        if !ctx.db().is_expired_now(&key, now) {
            return Frame::Bulk(key);
        }
        ctx.db().expire_if_needed(&key, now);
    }
    Frame::Null
}

/// PEXPIRE, EXPIREAT, PEXPIREAT share EXPIRE's rules; only the unit and
/// the base time differ.
fn expire_generic(ctx: &mut Ctx, args: &[Vec<u8>], in_seconds: bool, relative: bool, name: &str) -> Frame {
    let flags = match parse_expire_flags(&args[3..]) {
        Ok(flags) => flags,
        Err(reply) => return reply,
    };
    let n = match int_arg(&args[2]) {
        Ok(n) => n,
        Err(reply) => return reply,
    };
    let scaled = if in_seconds { n.checked_mul(1000) } else { Some(n) };
    let base = if relative { ctx.now } else { 0 };
    let Some(when) = scaled.and_then(|ms| ms.checked_add(base)) else {
        return invalid_expire_time(name);
    };
    let now = ctx.now;
    let Some(entry) = ctx.db().get(&args[1], now) else { return Frame::Integer(0) };
    let current = entry.expires_at;
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c));
    if refused {
        return Frame::Integer(0);
    }
    if when <= now {
        ctx.db().remove(&args[1]);
        ctx.client.propagate_as(vec![vec![&b"DEL"[..], &args[1]]]);
        ctx.notify(event::GENERIC, "del", &args[1]);
    } else {
        ctx.db().set_expire(&args[1], Some(when));
        ctx.notify(event::GENERIC, "expire", &args[1]);
        if name != "pexpireat" {
            let at = when.to_string();
            ctx.client.propagate_as(vec![vec![&b"PEXPIREAT"[..], &args[1], at.as_bytes()]]);
        }
    }
    *ctx.dirty += 1;
    Frame::Integer(1)
}

pub fn pexpire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expire_generic(ctx, args, false, true, "pexpire")
}

pub fn expireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expire_generic(ctx, args, true, false, "expireat")
}

pub fn pexpireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expire_generic(ctx, args, false, false, "pexpireat")
}

fn expiretime_generic(ctx: &mut Ctx, key: &[u8], in_ms: bool) -> Frame {
    let now = ctx.now;
    match ctx.db().peek(key, now) {
        None => Frame::Integer(-2),
        Some(e) => match e.expires_at {
            None => Frame::Integer(-1),
            Some(at) => Frame::Integer(if in_ms { at } else { at / 1000 }),
        },
    }
}

pub fn expiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expiretime_generic(ctx, &args[1], false)
}

pub fn pexpiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    expiretime_generic(ctx, &args[1], true)
}

pub fn persist(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    match ctx.db().get(&args[1], now) {
        Some(e) if e.expires_at.is_some() => {
            ctx.db().set_expire(&args[1], None);
            *ctx.dirty += 1;
            ctx.notify(event::GENERIC, "persist", &args[1]);
            Frame::Integer(1)
        }
        _ => Frame::Integer(0),
    }
}

fn save_options(ctx: &Ctx) -> crate::engine::rdb::SaveOptions {
    crate::engine::rdb::SaveOptions {
        compression: ctx.settings.rdbcompression,
        list_max_listpack_size: ctx.settings.list_max_listpack_size,
        ..Default::default()
    }
}

pub fn dump(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let options = save_options(ctx);
    let now = ctx.now;
    match ctx.db().get(&args[1], now) {
        None => Frame::Null,
        Some(e) => Frame::Bulk(crate::engine::rdb::dump_payload(&e.value, &options)),
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
pub fn restore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, None::<i64>, None::<i64>);
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        if super::eq_ignore_case(&args[j], "replace") {
            replace = true;
        } else if super::eq_ignore_case(&args[j], "absttl") {
            absttl = true;
        } else if super::eq_ignore_case(&args[j], "idletime") && more && freq.is_none() {
            match int_arg(&args[j + 1]) {
                Ok(n) if n < 0 => return err("Invalid IDLETIME value, must be >= 0"),
                Ok(n) => idle = Some(n),
                Err(e) => return e,
            }
            j += 1;
        } else if super::eq_ignore_case(&args[j], "freq") && more && idle.is_none() {
            match int_arg(&args[j + 1]) {
                Ok(n) if !(0..=255).contains(&n) => return err("Invalid FREQ value, must be >= 0 and <= 255"),
                Ok(n) => freq = Some(n),
                Err(e) => return e,
            }
            j += 1;
        } else {
            return super::syntax_error();
        }
        j += 1;
    }
    let now = ctx.now;
    let key = &args[1];
    if !replace && ctx.db().get(key, now).is_some() {
        return Frame::error("BUSYKEY Target key name already exists.");
    }
    let ttl = match int_arg(&args[2]) {
        Ok(t) if t < 0 => return err("Invalid TTL value, must be >= 0"),
        Ok(t) => t,
        Err(e) => return e,
    };
    let limits = ctx.settings.limits.clone();
    let value = match crate::engine::rdb::decode_dump(&args[3], &limits) {
        Ok(v) => v,
        Err(crate::engine::rdb::RdbError::BadChecksum { .. } | crate::engine::rdb::RdbError::UnsupportedVersion(_)) => {
            return err("DUMP payload version or checksum are wrong")
        }
        Err(crate::engine::rdb::RdbError::Truncated { .. }) if args[3].len() < 10 => {
            return err("DUMP payload version or checksum are wrong")
        }
        Err(_) => return err("Bad data format"),
    };
    let deleted = replace && ctx.db().remove(key).is_some();
    let at = if ttl != 0 && !absttl { ttl.saturating_add(now) } else { ttl };
    if at != 0 && at <= now {
        if deleted {
            *ctx.dirty += 1;
            ctx.notify(event::GENERIC, "del", key);
        }
        return Frame::ok();
    }
    let accessed = idle.map_or(now, |s| now - s.saturating_mul(1000));
    if at != 0 && !absttl {
        // Replicas get the absolute time.
        let mut rewritten: Vec<Vec<u8>> = args.to_vec();
        rewritten[2] = at.to_string().into_bytes();
        rewritten.push(b"ABSTTL".to_vec());
        ctx.client.propagate_as(vec![rewritten]);
    }
    let mut entry = crate::engine::keyspace::Entry::new(value, (at != 0).then_some(at), now);
    entry.accessed_at = accessed;
    if let (Some(count), Some(_)) = (freq, ctx.db().lfu) {
        entry.lfu_counter = count as u8;
    }
    ctx.db().insert_entry(key, entry);
    *ctx.dirty += 1;
    ctx.notify(event::GENERIC, "restore", key);
    Frame::ok()
}
