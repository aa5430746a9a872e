//! Stream commands on the entries: XADD (with its trimming), XRANGE,
//! XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD and XREADGROUP (blocking
//! too). XINFO is in stream_info.rs, the consumer groups' own commands
//! in stream_groups.rs, the type itself in engine/stream.rs. What reaches
//! replicas is what Redis rewrites: the generated ID, `~` trimming as
//! the exact `=` result, and XREADGROUP as the XCLAIMs (or XGROUP SETID)
//! of what it delivered.

use super::{eq_ignore_case, err, int_arg, syntax_error, wrong_arity, BlockRequest, Ctx};
use crate::engine::keyspace::Db;
use crate::engine::resp::Frame;
use crate::engine::stream::{Group, Nack, NodeEntry, NodeLimits, Stream, StreamId, Trim};
use crate::engine::time::Millis;
use crate::engine::value::Value;

pub(super) fn stream(v: &mut Value) -> Option<&mut Stream> {
    match v {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

pub(super) fn invalid_id() -> Frame {
    err("Invalid stream ID specified as stream command argument")
}

/// A key or name inside an error text, as addReplyErrorFormat shows it.
pub(super) fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace(['\r', '\n'], " ")
}

/// `string2ull`: a strict integer, else what strtoull takes whole
/// (leading spaces, a sign, digits).
fn parse_u64(text: &[u8]) -> Option<u64> {
    if let Some(n) = crate::engine::numfmt::parse_i64(text) {
        return u64::try_from(n).ok();
    }
    let trimmed = text.iter().position(|c| !c.is_ascii_whitespace()).map_or(&[][..], |p| &text[p..]);
    let (negative, digits) = match trimmed.first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { n.wrapping_neg() } else { n })
}

/// `streamGenericParseIDOrReply`: `ms-seq`, `ms` (the sequence is
/// `missing_seq`), `-` and `+` unless `strict`, and `ms-*` when
/// `auto_seq` (then the second value is false).
fn parse_id_with(raw: &[u8], missing_seq: u64, strict: bool, auto_seq: bool) -> Result<(StreamId, bool), Frame> {
    if raw.len() > 127 {
        return Err(invalid_id());
    }
    // The C string ends at a NUL byte.
    let raw = raw.iter().position(|&b| b == 0).map_or(raw, |p| &raw[..p]);
    match raw {
        b"-" | b"+" if strict => return Err(invalid_id()),
        b"-" => return Ok((StreamId::MIN, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms_text, seq_text) = match raw.iter().position(|&b| b == b'-') {
        Some(p) => (&raw[..p], Some(&raw[p + 1..])),
        None => (raw, None),
    };
    let ms = parse_u64(ms_text).ok_or_else(invalid_id)?;
    match seq_text {
        Some(b"*") if auto_seq => Ok((StreamId::new(ms, 0), false)),
        Some(text) => Ok((StreamId::new(ms, parse_u64(text).ok_or_else(invalid_id)?), true)),
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

/// An ID where `-` and `+` are allowed.
pub(super) fn parse_id(raw: &[u8], missing_seq: u64) -> Result<StreamId, Frame> {
    parse_id_with(raw, missing_seq, false, false).map(|(id, _)| id)
}

/// An ID where `-` and `+` are not.
pub(super) fn parse_strict_id(raw: &[u8]) -> Result<StreamId, Frame> {
    parse_id_with(raw, 0, true, false).map(|(id, _)| id)
}

/// A range bound: `(` makes it exclusive, moving it one ID inwards.
pub(super) fn parse_bound(raw: &[u8], missing_seq: u64, is_start: bool) -> Result<StreamId, Frame> {
    if raw.len() > 1 && raw[0] == b'(' {
        let id = parse_id_with(&raw[1..], missing_seq, true, false)?.0;
        let moved = if is_start { id.next() } else { id.prev() };
        return moved.ok_or_else(|| err(if is_start { "invalid start ID for the interval" } else { "invalid end ID for the interval" }));
    }
    parse_id(raw, missing_seq)
}

pub(super) fn id_reply(id: StreamId) -> Frame {
    Frame::Bulk(id.to_string().into_bytes())
}

/// One entry as XRANGE shows it: its ID and its field-value pairs.
pub(super) fn entry_reply(e: &NodeEntry) -> Frame {
    let fields = e.pairs.iter().flat_map(|(f, v)| [Frame::Bulk(f.clone()), Frame::Bulk(v.clone())]).collect();
    Frame::Array(vec![id_reply(e.id), Frame::Array(fields)])
}

fn node_limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_bytes: ctx.settings.int_or("stream-node-max-bytes", 4096).max(0) as u64,
        max_entries: ctx.settings.int_or("stream-node-max-entries", 100).max(0) as u64,
        listpack_len: crate::engine::rdb::listpack::encoded_len,
    }
}

/// XADD's and XTRIM's options.
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    /// Where the MAXLEN count or MINID ID is (rewritten for replicas).
    trim_at: usize,
    limit: u64,
    nomkstream: bool,
    /// XADD's ID: (the ID, whether its sequence was given).
    id: Option<(StreamId, bool)>,
    /// Where the ID (or `*`) is.
    id_at: usize,
}

fn parse_trim_args(ctx: &Ctx, args: &[Vec<u8>], xadd: bool) -> Result<TrimArgs, Frame> {
    let mut parsed = TrimArgs { trim: None, approx: false, trim_at: 0, limit: 0, nomkstream: false, id: None, id_at: 0 };
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && opt.as_slice() == b"*" {
            break;
        } else if (eq_ignore_case(opt, "maxlen") || eq_ignore_case(opt, "minid")) && more > 0 {
            if parsed.trim.is_some() {
                return Err(err("syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            parsed.approx = false;
            let next = &args[i + 1];
            if more >= 2 && next.as_slice() == b"~" {
                parsed.approx = true;
                i += 1;
            } else if more >= 2 && next.as_slice() == b"=" {
                i += 1;
            }
            let value = &args[i + 1];
            parsed.trim = Some(if eq_ignore_case(opt, "maxlen") {
                let n = int_arg(value)?;
                if n < 0 {
                    return Err(err("The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(parse_strict_id(value)?)
            });
            i += 1;
            parsed.trim_at = i;
        } else if eq_ignore_case(opt, "limit") && more > 0 {
            let n = int_arg(&args[i + 1])?;
            if n < 0 {
                return Err(err("The LIMIT argument must be >= 0."));
            }
            parsed.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && eq_ignore_case(opt, "nomkstream") {
            parsed.nomkstream = true;
        } else if xadd {
            parsed.id = Some(parse_id_with(opt, 0, true, true)?);
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    parsed.id_at = i;
    if parsed.limit != 0 && parsed.trim.is_none() {
        return Err(err("syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && parsed.trim.is_none() {
        return Err(err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if ctx.client.from_master {
        parsed.limit = 0;
    } else if limit_given {
        if !parsed.approx {
            return Err(err("syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if parsed.approx {
        let per_node = ctx.settings.int_or("stream-node-max-entries", 100);
        parsed.limit = per_node.saturating_mul(100).clamp(1, 1_000_000) as u64;
        if per_node <= 0 {
            parsed.limit = 10_000;
        }
    } else {
        parsed.limit = 0;
    }
    Ok(parsed)
}

/// After a `~` trim, replicas get the exact result: `=` and the length
/// (MAXLEN) or the first ID left (MINID).
fn rewrite_trim(args: &mut [Vec<u8>], parsed: &TrimArgs, st: &Stream) {
    if !parsed.approx {
        return;
    }
    args[parsed.trim_at - 1] = b"=".to_vec();
    args[parsed.trim_at] = match parsed.trim {
        Some(Trim::MaxLen(_)) => st.length.to_string().into_bytes(),
        _ => st.nodes.values().next().and_then(|n| n.entries.first()).map_or(StreamId::MAX, |e| e.id).to_string().into_bytes(),
    };
}

pub fn xadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let parsed = match parse_trim_args(ctx, args, true) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let field_at = parsed.id_at + 1;
    if args.len() < field_at + 2 || (args.len() - field_at) % 2 == 1 {
        return wrong_arity("xadd");
    }
    if let Some((id, true)) = parsed.id {
        if id.is_zero() {
            return err("The ID specified in XADD must be greater than 0-0");
        }
    }
    let key = &args[1];
    let now = ctx.now;
    let limits = node_limits(ctx);
    match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(None) if parsed.nomkstream => return Frame::Null,
        Ok(None) => ctx.db().set(key, Value::Stream(Box::default()), false, now),
        Ok(Some(_)) => {}
    }
    let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Null };
    if st.last_id == StreamId::MAX {
        return err("The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match parsed.id {
        None => st.auto_id(now.max(0) as u64),
        Some((id, true)) => Some(id),
        Some((id, false)) if st.last_id.ms == id.ms => st.last_id.next().filter(|n| n.ms == id.ms),
        Some((id, false)) => Some(id),
    };
    let Some(id) = id.filter(|&id| id > st.last_id) else {
        return err("The ID specified in XADD is equal or smaller than the target stream top item");
    };
    let pairs = args[field_at..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    st.append(id, pairs, limits);
    let trimmed = parsed.trim.map_or(0, |how| st.trim(how, parsed.approx, parsed.limit));
    let mut rewritten = args.to_vec();
    rewrite_trim(&mut rewritten, &parsed, st);
    if !matches!(parsed.id, Some((_, true))) {
        rewritten[parsed.id_at] = id.to_string().into_bytes();
    }
    *ctx.dirty += 1;
    ctx.notify(super::event::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(super::event::STREAM, "xtrim", key);
    }
    ctx.client.propagate = Some(vec![rewritten]);
    id_reply(id)
}

pub fn xtrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let parsed = match parse_trim_args(ctx, args, false) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let key = &args[1];
    let st = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(st)) => st,
    };
    let deleted = parsed.trim.map_or(0, |how| st.trim(how, parsed.approx, parsed.limit));
    if deleted > 0 {
        let mut rewritten = args.to_vec();
        rewrite_trim(&mut rewritten, &parsed, st);
        ctx.client.propagate = Some(vec![rewritten]);
        ctx.notify(super::event::STREAM, "xtrim", key);
        *ctx.dirty += deleted;
    }
    Frame::Integer(deleted as i64)
}

fn xrange_generic(ctx: &mut Ctx, args: &[Vec<u8>], rev: bool) -> Frame {
    let (start_raw, end_raw) = if rev { (&args[3], &args[2]) } else { (&args[2], &args[3]) };
    let start = match parse_bound(start_raw, 0, true) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let end = match parse_bound(end_raw, u64::MAX, false) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            count = match int_arg(&args[j + 1]) {
                Ok(n) => n.max(0),
                Err(e) => return e,
            };
            j += 2;
        } else {
            return syntax_error();
        }
    }
    let st = match ctx.typed(&args[1], stream) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(Vec::new()),
        Ok(Some(st)) => st,
    };
    if count == 0 {
        return Frame::NullArray;
    }
    let limit = if count < 0 { usize::MAX } else { count as usize };
    let entries: Vec<Frame> = if rev {
        st.range_rev(start, end).take(limit).map(entry_reply).collect()
    } else {
        st.range(start, end).take(limit).map(entry_reply).collect()
    };
    Frame::Array(entries)
}

pub fn xrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    xrange_generic(ctx, args, false)
}

pub fn xrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    xrange_generic(ctx, args, true)
}

pub fn xlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], stream, |st| Frame::Integer(st.map_or(0, |s| s.length as i64)))
}

pub fn xdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let key = &args[1];
    match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(_)) => {}
    }
    let mut ids = Vec::with_capacity(args.len() - 2);
    for raw in &args[2..] {
        match parse_strict_id(raw) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Ok(Some(st)) = ctx.typed(key, stream) else { return Frame::Integer(0) };
    let mut deleted = 0u64;
    let mut first_gone = false;
    for id in ids {
        if st.delete(id) {
            first_gone |= id == st.first_id;
            deleted += 1;
        }
    }
    if deleted > 0 {
        if first_gone || st.length == 0 {
            st.refresh_first_id();
        }
        ctx.notify(super::event::STREAM, "xdel", key);
        *ctx.dirty += deleted;
    }
    Frame::Integer(deleted as i64)
}

pub fn xsetid(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let id = match parse_strict_id(&args[2]) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if eq_ignore_case(&args[i], "entriesadded") && more > 0 {
            entries_added = match int_arg(&args[i + 1]) {
                Ok(n) if n < 0 => return err("entries_added must be positive"),
                Ok(n) => n,
                Err(e) => return e,
            };
            i += 2;
        } else if eq_ignore_case(&args[i], "maxdeletedid") && more > 0 {
            max_deleted = match parse_strict_id(&args[i + 1]) {
                Ok(m) if id < m => return err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
                Ok(m) => m,
                Err(e) => return e,
            };
            i += 2;
        } else {
            return syntax_error();
        }
    }
    let key = &args[1];
    let st = match ctx.typed(key, stream) {
        Err(e) => return e,
        Ok(None) => return err("no such key"),
        Ok(Some(st)) => st,
    };
    if st.length > 0 {
        if st.last_live().is_some_and(|top| id < top) {
            return err("The ID specified in XSETID is smaller than the target stream top item");
        }
        if entries_added != -1 && st.length > entries_added as u64 {
            return err("The entries_added specified in XSETID is smaller than the target stream length");
        }
    }
    st.last_id = id;
    if entries_added != -1 {
        st.entries_added = entries_added as u64;
    }
    if !max_deleted.is_zero() {
        st.max_deleted_entry_id = max_deleted;
    }
    *ctx.dirty += 1;
    ctx.notify(super::event::STREAM, "xsetid", key);
    Frame::ok()
}

/// How many entries a blocked XREAD without COUNT gets at most.
const BLOCKED_DEFAULT_COUNT: i64 = 1000;

/// XREADGROUP's group, consumer and NOACK.
struct GroupRead<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
}

pub fn xread(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    read_generic(ctx, args, false)
}

pub fn xreadgroup(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    read_generic(ctx, args, true)
}

fn read_generic(ctx: &mut Ctx, args: &[Vec<u8>], with_group: bool) -> Frame {
    let mut timeout: Option<i64> = None;
    let mut count: i64 = 0;
    let mut streams_at = 0;
    let mut group_at = None;
    let mut noack = false;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if eq_ignore_case(opt, "block") && more > 0 {
            i += 1;
            match int_arg(&args[i]).map_err(|_| err("timeout is not an integer or out of range")) {
                Ok(ms) if ms < 0 => return err("timeout is negative"),
                Ok(ms) => timeout = Some(ms),
                Err(e) => return e,
            }
        } else if eq_ignore_case(opt, "count") && more > 0 {
            i += 1;
            count = match int_arg(&args[i]) {
                Ok(n) => n.max(0),
                Err(e) => return e,
            };
        } else if eq_ignore_case(opt, "streams") && more > 0 {
            streams_at = i + 1;
            if (args.len() - streams_at) % 2 != 0 {
                return err("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
            }
            break;
        } else if eq_ignore_case(opt, "group") && more >= 2 {
            if !with_group {
                return err("The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            }
            group_at = Some(i + 1);
            i += 2;
        } else if eq_ignore_case(opt, "noack") {
            if !with_group {
                return err("The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
            }
            noack = true;
        } else {
            return syntax_error();
        }
        i += 1;
    }
    if streams_at == 0 {
        return syntax_error();
    }
    if with_group && group_at.is_none() {
        return err("Missing GROUP option for XREADGROUP");
    }
    let reader = group_at.map(|g| GroupRead { group: &args[g], consumer: &args[g + 1], noack });
    let n = (args.len() - streams_at) / 2;
    let keys = &args[streams_at..streams_at + n];
    // `>` is kept as MAX: the group's last ID at the time it is served.
    let mut ids = Vec::with_capacity(n);
    let now = ctx.now;
    for (key, raw) in keys.iter().zip(&args[streams_at + n..]) {
        let st = match ctx.typed(key, stream) {
            Err(e) => return e,
            Ok(st) => st,
        };
        if let Some(r) = &reader {
            if st.as_ref().is_none_or(|s| !s.groups.contains_key(r.group)) {
                return Frame::error(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    shown(key),
                    shown(r.group)
                ));
            }
        }
        let id = match raw.as_slice() {
            b"$" if with_group => {
                return err("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
            }
            b"$" => st.map_or(StreamId::MIN, |s| s.last_id),
            b">" if !with_group => {
                return err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
            }
            b">" => StreamId::MAX,
            _ => match parse_strict_id(raw) {
                Ok(id) => id,
                Err(e) => return e,
            },
        };
        ids.push(id);
    }
    let mut served = Vec::new();
    let mut propagate = Vec::new();
    for (key, &after) in keys.iter().zip(&ids) {
        let Ok(Some(st)) = ctx.typed(key, stream) else { continue };
        let entries = match &reader {
            None => {
                if st.length == 0 || st.last_live().is_none_or(|top| top <= after) {
                    continue;
                }
                let limit = if count == 0 { usize::MAX } else { count as usize };
                Frame::Array(st.range(after.next().unwrap_or(StreamId::MAX), StreamId::MAX).take(limit).map(entry_reply).collect())
            }
            Some(r) => {
                let history = after != StreamId::MAX;
                let group_last = st.groups.get(r.group).map_or(StreamId::MAX, |g| g.last_id);
                if !history && (st.length == 0 || st.last_live().is_none_or(|top| top <= group_last)) {
                    continue;
                }
                let (entries, created) = deliver(st, key, r, if history { after } else { group_last }, history, count, now, &mut propagate);
                *ctx.dirty += 1 + u64::from(created);
                if created {
                    ctx.notify(super::event::STREAM, "xgroup-createconsumer", key);
                }
                entries
            }
        };
        served.push(Frame::Array(vec![Frame::Bulk(key.clone()), entries]));
    }
    ctx.client.propagate = Some(propagate);
    if !served.is_empty() {
        return Frame::Array(served);
    }
    if let Some(ms) = timeout {
        if ctx.client.in_script {
            let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
            return err(&format!("{name} command is not allowed with BLOCK option from scripts"));
        }
        if ctx.client.deny_blocking {
            return Frame::NullArray;
        }
        // Runs again as the same read from the IDs it waited after.
        let mut rerun = vec![args[0].clone()];
        if let Some(g) = group_at {
            rerun.extend([b"GROUP".to_vec(), args[g].clone(), args[g + 1].clone()]);
        }
        if noack {
            rerun.push(b"NOACK".to_vec());
        }
        let count = if count == 0 { BLOCKED_DEFAULT_COUNT } else { count };
        rerun.extend([b"COUNT".to_vec(), count.to_string().into_bytes(), b"STREAMS".to_vec()]);
        rerun.extend(keys.iter().cloned());
        rerun.extend(ids.iter().map(|id| if *id == StreamId::MAX && with_group { b">".to_vec() } else { id.to_string().into_bytes() }));
        let deadline = if ms == 0 { None } else { Some(now.saturating_add(ms)) };
        ctx.client.block = Some(BlockRequest { keys: keys.to_vec(), deadline, on_timeout: Frame::NullArray, rerun: Some(rerun) });
    }
    Frame::NullArray
}

/// XREADGROUP's delivery from one stream: new entries after `after`
/// (they become pending for the consumer, and the group moves on) or,
/// for `history`, the consumer's own pending entries after `after`.
/// Answers the entries and whether it created the consumer.
#[allow(clippy::too_many_arguments)]
fn deliver(st: &mut Stream, key: &[u8], r: &GroupRead, after: StreamId, history: bool, count: i64, now: Millis, propagate: &mut Vec<Vec<Vec<u8>>>) -> (Frame, bool) {
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let start = after.next().unwrap_or(StreamId::MAX);
    let mut group = match st.groups.remove(r.group) {
        Some(g) => g,
        None => return (Frame::Array(Vec::new()), false),
    };
    let created = !group.consumers.contains_key(r.consumer);
    let consumer = group.consumers.entry(r.consumer.to_vec()).or_default();
    consumer.seen_time = now;
    if created && r.noack {
        propagate.push(vec![b"XGROUP".to_vec(), b"CREATECONSUMER".to_vec(), key.to_vec(), r.group.to_vec(), r.consumer.to_vec()]);
    }
    let mut out = Vec::new();
    if history {
        let owned: Vec<StreamId> = consumer.pending.range(start..).take(limit).copied().collect();
        for id in owned {
            match st.get(id) {
                Some(e) => {
                    out.push(entry_reply(e));
                    if let Some(nack) = group.pel.get_mut(&id) {
                        nack.delivery_time = now;
                        nack.delivery_count += 1;
                    }
                }
                None => out.push(Frame::Array(vec![id_reply(id), Frame::NullArray])),
            }
        }
        st.groups.insert(r.group.to_vec(), group);
        return (Frame::Array(out), created);
    }
    let entries: Vec<NodeEntry> = st.range(start, StreamId::MAX).take(limit).cloned().collect();
    let mut moved = false;
    for e in &entries {
        if e.id > group.last_id {
            st.advance_group(&mut group, e.id);
            moved = true;
        }
        out.push(entry_reply(e));
        if !r.noack {
            // Delivered again (after XGROUP SETID moved back): it changes hands.
            group.remove_pending(e.id);
            group.pel.insert(e.id, Nack { consumer: r.consumer.to_vec(), delivery_time: now, delivery_count: 1 });
            if let Some(c) = group.consumers.get_mut(r.consumer) {
                c.pending.insert(e.id);
            }
            propagate.push(xclaim_propagation(key, r.group, &e.id.to_string().into_bytes(), &group, e.id));
        }
    }
    if r.noack && moved {
        propagate.push(setid_propagation(key, r.group, &group));
    }
    st.groups.insert(r.group.to_vec(), group);
    (Frame::Array(out), created)
}

/// The XCLAIM that gives a replica the pending entry `id` as the master
/// has it (owner, delivery time and count) and the group's last ID.
pub(super) fn xclaim_propagation(key: &[u8], group_name: &[u8], id_arg: &[u8], group: &Group, id: StreamId) -> Vec<Vec<u8>> {
    let (owner, time, count) = group.pel.get(&id).map_or((Vec::new(), 0, 0), |n| (n.consumer.clone(), n.delivery_time, n.delivery_count));
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group_name.to_vec(),
        owner,
        b"0".to_vec(),
        id_arg.to_vec(),
        b"TIME".to_vec(),
        time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        group.last_id.to_string().into_bytes(),
    ]
}

/// XGROUP SETID with the group's read counter, for what XCLAIM cannot say.
pub(super) fn setid_propagation(key: &[u8], group_name: &[u8], group: &Group) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group_name.to_vec(),
        group.last_id.to_string().into_bytes(),
        b"ENTRIESREAD".to_vec(),
        group.entries_read.to_string().into_bytes(),
    ]
}

/// What a client parked by XREAD or XREADGROUP gets once the data changed.
pub(crate) enum Wake {
    Wait,
    /// Run the read again.
    Run,
    /// Unblock it with this reply.
    Reply(Frame),
}

/// Whether a parked XREAD / XREADGROUP (its rerun form) can be served: a
/// stream has entries past what it waits after; for a group read, its
/// key stopped being a stream or its group went (Redis unblocks those
/// with an error).
pub(crate) fn wake(db: &Db, args: &[Vec<u8>], now: Millis) -> Wake {
    let with_group = args.first().is_some_and(|c| eq_ignore_case(c, "xreadgroup"));
    let Some(streams_at) = args.iter().position(|a| eq_ignore_case(a, "streams")).map(|p| p + 1) else { return Wake::Wait };
    let n = (args.len() - streams_at) / 2;
    let group = with_group.then(|| args.get(2)).flatten();
    for (key, raw) in args[streams_at..streams_at + n].iter().zip(&args[streams_at + n..]) {
        let st = match db.stored_entry(key).filter(|_| db.is_live(key, now)).map(|e| &e.value) {
            Some(Value::Stream(st)) => st,
            _ if with_group => return Wake::Reply(Frame::error("UNBLOCKED the stream key no longer exists")),
            _ => continue,
        };
        let after = match group {
            Some(g) => match st.groups.get(g.as_slice()) {
                None => return Wake::Reply(Frame::error("NOGROUP the consumer group this client was blocked on no longer exists")),
                Some(group) if raw.as_slice() == b">" => group.last_id,
                Some(_) => return Wake::Run,
            },
            None => parse_strict_id(raw).unwrap_or(StreamId::MAX),
        };
        if st.last_id > after {
            return Wake::Run;
        }
    }
    Wake::Wait
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis_reads_them() {
        assert_eq!(parse_id(b"5", 0).unwrap(), StreamId::new(5, 0));
        assert_eq!(parse_id(b"5", u64::MAX).unwrap(), StreamId::new(5, u64::MAX));
        assert_eq!(parse_id(b"5-3", 0).unwrap(), StreamId::new(5, 3));
        assert_eq!(parse_id(b"+", 0).unwrap(), StreamId::MAX);
        assert!(parse_strict_id(b"-").is_err());
        assert_eq!(parse_id(b"18446744073709551615-1", 0).unwrap(), StreamId::new(u64::MAX, 1));
        assert!(parse_id(b"18446744073709551616", 0).is_err());
        assert!(parse_id(b"-1", 0).is_err());
        assert!(parse_id(b"1-2-3", 0).is_err());
        assert_eq!(parse_id(b"+7", 0).unwrap(), StreamId::new(7, 0));
        assert_eq!(parse_id_with(b"7-*", 0, true, true).unwrap(), (StreamId::new(7, 0), false));
        assert!(parse_strict_id(b"7-*").is_err());
        assert_eq!(parse_bound(b"(5-0", 0, true).unwrap(), StreamId::new(5, 1));
        assert!(parse_bound(b"(0-0", 0, false).is_err());
    }
}
