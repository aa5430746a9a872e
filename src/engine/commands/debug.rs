//! DEBUG: DIGEST and DIGEST-VALUE (the same SHA-1 digests real Redis
//! computes), and POPULATE. Only runs where `enable-debug-command` allows.

use super::{err, positive_int_arg, Ctx};
use crate::engine::digest::{dataset_digest, hex, mix_entry};
use crate::engine::resp::Frame;
use crate::engine::value::{Str, Value};

fn subcommand_error(args: &[Vec<u8>]) -> Frame {
    let sub = String::from_utf8_lossy(&args[1]);
    let sub: String = sub.chars().take(128).collect();
    err(&format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
    ))
}

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
        _ => subcommand_error(args),
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
