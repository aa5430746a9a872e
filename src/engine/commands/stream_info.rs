//! XINFO STREAM (with FULL), XINFO GROUPS and XINFO CONSUMERS: what a
//! stream, its groups and their consumers hold, in Redis's fields and
//! order (RESP2 maps as flat arrays).

use super::streams::{entry_reply, id_reply, shown, stream};
use super::{eq_ignore_case, err, int_arg, Ctx};
use crate::engine::resp::Frame;
use crate::engine::stream::{Group, Stream, StreamId, ENTRIES_READ_UNKNOWN};

fn field(name: &str) -> Frame {
    Frame::Bulk(name.as_bytes().to_vec())
}

/// The stream at `key`; XINFO says "no such key" where there is none.
fn existing<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut Stream, Frame> {
    match ctx.typed(key, stream) {
        Err(e) => Err(e),
        Ok(None) => Err(err("no such key")),
        Ok(Some(st)) => Ok(st),
    }
}

pub fn xinfo_stream(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let options = &args[3..];
    let full = !options.is_empty();
    let mut count: i64 = 10;
    if full {
        if (options.len() != 1 && options.len() != 3) || !eq_ignore_case(&options[0], "full") {
            return super::subcommand_error(args);
        }
        if options.len() == 3 {
            if !eq_ignore_case(&options[1], "count") {
                return super::subcommand_error(args);
            }
            count = match int_arg(&options[2]) {
                Ok(n) if n < 0 => 10,
                Ok(n) => n,
                Err(e) => return e,
            };
        }
    }
    let st = match existing(ctx, &args[2]) {
        Ok(st) => st,
        Err(e) => return e,
    };
    let mut out = vec![
        field("length"),
        Frame::Integer(st.length as i64),
        field("radix-tree-keys"),
        Frame::Integer(st.nodes.len() as i64),
        field("radix-tree-nodes"),
        Frame::Integer(st.radix_tree_nodes() as i64),
        field("last-generated-id"),
        id_reply(st.last_id),
        field("max-deleted-entry-id"),
        id_reply(st.max_deleted_entry_id),
        field("entries-added"),
        Frame::Integer(st.entries_added as i64),
        field("recorded-first-entry-id"),
        id_reply(st.first_id),
    ];
    if !full {
        out.extend([field("groups"), Frame::Integer(st.groups.len() as i64)]);
        let first = st.range(StreamId::MIN, StreamId::MAX).next().map_or(Frame::Null, entry_reply);
        let last = st.range_rev(StreamId::MIN, StreamId::MAX).next().map_or(Frame::Null, entry_reply);
        out.extend([field("first-entry"), first, field("last-entry"), last]);
        return Frame::Array(out);
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    out.push(field("entries"));
    out.push(Frame::Array(st.range(StreamId::MIN, StreamId::MAX).take(limit).map(entry_reply).collect()));
    let mut groups = Vec::new();
    for (name, g) in &st.groups {
        let pending = g
            .pel
            .iter()
            .take(limit)
            .map(|(id, n)| Frame::Array(vec![id_reply(*id), Frame::Bulk(n.consumer.clone()), Frame::Integer(n.delivery_time), Frame::Integer(n.delivery_count as i64)]))
            .collect();
        let consumers = g
            .consumers
            .iter()
            .map(|(cname, c)| {
                let owned = c
                    .pending
                    .iter()
                    .take(limit)
                    .map(|id| {
                        let (time, deliveries) = g.pel.get(id).map_or((0, 0), |n| (n.delivery_time, n.delivery_count as i64));
                        Frame::Array(vec![id_reply(*id), Frame::Integer(time), Frame::Integer(deliveries)])
                    })
                    .collect();
                Frame::Array(vec![
                    field("name"),
                    Frame::Bulk(cname.clone()),
                    field("seen-time"),
                    Frame::Integer(c.seen_time),
                    field("pel-count"),
                    Frame::Integer(c.pending.len() as i64),
                    field("pending"),
                    Frame::Array(owned),
                ])
            })
            .collect();
        groups.push(Frame::Array(vec![
            field("name"),
            Frame::Bulk(name.clone()),
            field("last-delivered-id"),
            id_reply(g.last_id),
            field("entries-read"),
            entries_read_reply(g),
            field("lag"),
            st.lag(g).map_or(Frame::Null, Frame::Integer),
            field("pel-count"),
            Frame::Integer(g.pel.len() as i64),
            field("pending"),
            Frame::Array(pending),
            field("consumers"),
            Frame::Array(consumers),
        ]));
    }
    out.extend([field("groups"), Frame::Array(groups)]);
    Frame::Array(out)
}

fn entries_read_reply(g: &Group) -> Frame {
    if g.entries_read == ENTRIES_READ_UNKNOWN {
        Frame::Null
    } else {
        Frame::Integer(g.entries_read)
    }
}

pub fn xinfo_groups(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let st = match existing(ctx, &args[2]) {
        Ok(st) => st,
        Err(e) => return e,
    };
    let groups = st
        .groups
        .iter()
        .map(|(name, g)| {
            Frame::Array(vec![
                field("name"),
                Frame::Bulk(name.clone()),
                field("consumers"),
                Frame::Integer(g.consumers.len() as i64),
                field("pending"),
                Frame::Integer(g.pel.len() as i64),
                field("last-delivered-id"),
                id_reply(g.last_id),
                field("entries-read"),
                entries_read_reply(g),
                field("lag"),
                st.lag(g).map_or(Frame::Null, Frame::Integer),
            ])
        })
        .collect();
    Frame::Array(groups)
}

pub fn xinfo_consumers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let now = ctx.now;
    let st = match existing(ctx, &args[2]) {
        Ok(st) => st,
        Err(e) => return e,
    };
    let Some(g) = st.groups.get(args[3].as_slice()) else {
        return Frame::error(format!("NOGROUP No such consumer group '{}' for key name '{}'", shown(&args[3]), shown(&args[2])));
    };
    Frame::Array(
        g.consumers
            .iter()
            .map(|(name, c)| {
                Frame::Array(vec![
                    field("name"),
                    Frame::Bulk(name.clone()),
                    field("pending"),
                    Frame::Integer(c.pending.len() as i64),
                    field("idle"),
                    Frame::Integer((now - c.seen_time).max(0)),
                ])
            })
            .collect(),
    )
}
