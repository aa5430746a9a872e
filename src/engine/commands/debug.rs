//! DEBUG: DIGEST and DIGEST-VALUE (the same SHA-1 digests real Redis
//! computes), and POPULATE. Only runs where `enable-debug-command` allows.

use super::{err, positive_int_arg, subcommand_error, Ctx};
use crate::engine::digest::{dataset_digest, hex, mix_entry};
use crate::engine::resp::Frame;
use crate::engine::value::{Str, Value};

pub fn debug(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let sub = args[1].to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"digest", 2) => Frame::Simple(hex(&dataset_digest(ctx.keyspace))),
        (b"digest-value", _) => {
            let db = ctx.client.db;
            Frame::Array(
                args[2..]
                    .iter()
                    .map(|key| {
                        // Logically expired keys count too, as in Redis.
                        let mut digest = [0u8; 20];
                        if let Some(entry) = ctx.keyspace.dbs[db].stored_entry(key) {
                            mix_entry(&mut digest, entry);
                        }
                        Frame::Simple(hex(&digest))
                    })
                    .collect(),
            )
        }
        (b"populate", 3..=5) => populate(ctx, args),
        (b"sleep", 3) => {
            // Like strtod: the number at the start, 0 for none.
            let text = String::from_utf8_lossy(&args[2]);
            let seconds = leading_float(&text);
            ctx.client.sleep = Some((seconds * 1000.0).clamp(0.0, 1e12) as i64);
            Frame::ok()
        }
        (b"help", 2) => help(),
        (b"protocol", 3) => protocol(&args[2]),
        (b"object", 3) => object(ctx, &args[2]),
        _ => subcommand_error(args),
    }
}

/// DEBUG PROTOCOL: one reply of each RESP type, as a RESP2 client gets
/// it (the engine speaks RESP2: a map is a flat array, a double or a big
/// number a bulk string, a boolean 1 or 0).
fn protocol(kind: &[u8]) -> Frame {
    let ints = |n: i64| (0..n).map(Frame::Integer).collect::<Vec<_>>();
    match kind.to_ascii_lowercase().as_slice() {
        b"string" => Frame::bulk("Hello World"),
        b"integer" => Frame::Integer(12345),
        b"double" => {
            // Redis's own literal, not an approximation of pi.
            #[allow(clippy::approx_constant)]
            let value = 3.141;
            Frame::bulk(crate::engine::numfmt::fmt_g17(value))
        }
        b"bignum" => Frame::bulk("1234567999999999999999999999999999999"),
        b"null" => Frame::Null,
        b"array" | b"set" => Frame::Array(ints(3)),
        b"map" => Frame::Array((0..3).flat_map(|j| [Frame::Integer(j), Frame::Integer((j == 1) as i64)]).collect()),
        b"attrib" => Frame::bulk("Some real reply following the attribute"),
        b"push" => err("RESP2 is not supported by this command"),
        b"true" => Frame::Integer(1),
        b"false" => Frame::Integer(0),
        b"verbatim" => Frame::bulk("This is a verbatim\nstring"),
        _ => err("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

/// The longest prefix of `text` that reads as a decimal number.
fn leading_float(text: &str) -> f64 {
    let text = text.trim_start();
    // A number longer than this would not change a sleep anyway.
    let text = &text[..(0..=text.len().min(64)).rev().find(|&n| text.is_char_boundary(n)).unwrap_or(0)];
    (1..=text.len()).rev().filter(|&n| text.is_char_boundary(n)).find_map(|n| text[..n].parse::<f64>().ok()).filter(|v| v.is_finite()).unwrap_or(0.0)
}

/// Redis 7.0.15's own DEBUG HELP text, recorded by scripts/record-command-table.py.
fn help() -> Frame {
    const REPLY: &[u8] = include_bytes!("recorded/debug_help.resp");
    match crate::engine::resp::parse_frame(REPLY) {
        Ok(Some((frame, _))) => frame,
        _ => err("DEBUG HELP is not available"),
    }
}

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` (default `key`)
/// holding `value:N`, cut or zero-padded to `size`; existing keys stay.
fn populate(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let count = match positive_int_arg(&args[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let size = match args.get(4) {
        Some(raw) => match positive_int_arg(raw) {
            Ok(n) => Some(n as usize),
            Err(e) => return e,
        },
        None => None,
    };
    // A page has to stay alive: Redis would take minutes past this anyway.
    if count > 10_000_000 || size.is_some_and(|s| s > 64 * 1024 * 1024) {
        return err("DEBUG POPULATE in the playground is limited to 10000000 keys of up to 64 MB");
    }
    let prefix = args.get(3).map_or(b"key".to_vec(), |p| p.clone());
    let now = ctx.now;
    let db = ctx.db();
    for n in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{n}").as_bytes());
        if db.get(&key, now).is_some() {
            continue;
        }
        let text = format!("value:{n}").into_bytes();
        let bytes = match size {
            None | Some(0) => text,
            Some(size) => {
                let mut padded = vec![0u8; size];
                let len = size.min(text.len());
                padded[..len].copy_from_slice(&text[..len]);
                padded
            }
        };
        db.set(&key, Value::Str(Str::new(bytes)), false, now);
    }
    Frame::ok()
}

/// DEBUG OBJECT key: where the value lives (an address made up from the
/// key, stable across runs), its encoding and serialized length.
fn object(ctx: &mut Ctx, key: &[u8]) -> Frame {
    let now = ctx.now;
    let options = crate::engine::rdb::SaveOptions {
        compression: ctx.settings.rdbcompression,
        list_max_listpack_size: ctx.settings.list_max_listpack_size,
        ..Default::default()
    };
    let fill = ctx.settings.list_max_listpack_size;
    let db = ctx.client.db;
    let Some(entry) = ctx.keyspace.dbs[db].stored_entry(key) else { return err("no such key") };
    let address = 0x7f00_0000_0000u64 + (crate::engine::sha1::sha1(key)[0..4].iter().fold(0u64, |a, &b| (a << 8) | b as u64) << 4);
    let refcount = match &entry.value {
        Value::Str(s) if s.encoding() == "int" && crate::engine::numfmt::parse_i64(&s.bytes).is_some_and(|n| (0..10_000).contains(&n)) => i32::MAX as i64,
        _ => 1,
    };
    let mut extra = String::new();
    if let Value::List(items) = &entry.value {
        let items: Vec<Vec<u8>> = items.iter().cloned().collect();
        let nodes = crate::engine::rdb::quicklist_nodes(&items, fill);
        let size: usize = nodes.iter().map(Vec::len).sum();
        extra = format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{fill} ql_compressed:0 ql_uncompressed_size:{size}",
            nodes.len(),
            items.len() as f64 / nodes.len().max(1) as f64
        );
    }
    Frame::Simple(format!(
        "Value at:{address:#x} refcount:{refcount} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{extra}",
        entry.value.encoding(),
        crate::engine::rdb::serialized_len(&entry.value, &options),
        (entry.accessed_at / 1000) & ((1 << 24) - 1),
        (now / 1000 - entry.accessed_at / 1000).max(0),
    ))
}
