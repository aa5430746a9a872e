//! FUNCTION and FCALL on a server whose function library is empty: this
//! engine has no Lua yet (FUNCTION LOAD and RESTORE of a payload with
//! libraries come with scripting), so the registry these commands read
//! and clear never holds a library, and they answer as Redis 7.0.15 does
//! with none loaded. Recorded replies: tests/scenarios/functions_empty.

use super::{err, subcommand_error, Ctx};
use crate::engine::resp::Frame;

/// FUNCTION FLUSH [ASYNC|SYNC]: a change even when nothing was loaded
/// (Redis propagates it to replicas).
pub fn function_flush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    match args.get(2) {
        _ if args.len() > 3 => subcommand_error(args),
        Some(mode) if !mode.eq_ignore_ascii_case(b"sync") && !mode.eq_ignore_ascii_case(b"async") => {
            err("FUNCTION FLUSH only supports SYNC|ASYNC option")
        }
        _ => {
            *ctx.dirty += 1;
            Frame::ok()
        }
    }
}

/// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]: the libraries matching.
pub fn function_list(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut i = 2;
    let (mut with_code, mut pattern) = (false, false);
    while let Some(word) = args.get(i) {
        if word.eq_ignore_ascii_case(b"withcode") && !with_code {
            with_code = true;
        } else if word.eq_ignore_ascii_case(b"libraryname") && !pattern {
            if args.get(i + 1).is_none() {
                return err("library name argument was not given");
            }
            pattern = true;
            i += 1;
        } else {
            return err(&format!("Unknown argument {}", String::from_utf8_lossy(word)));
        }
        i += 1;
    }
    Frame::Array(Vec::new())
}

pub fn function_delete(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Frame {
    err("Library not found")
}

/// No function can be running: nothing was loaded.
pub fn function_kill(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Frame {
    Frame::error("NOTBUSY No scripts in execution right now.")
}

pub fn function_stats(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Frame {
    let lua = Frame::Array(vec![
        Frame::bulk(&b"libraries_count"[..]),
        Frame::Integer(0),
        Frame::bulk(&b"functions_count"[..]),
        Frame::Integer(0),
    ]);
    Frame::Array(vec![
        Frame::bulk(&b"running_script"[..]),
        Frame::Null,
        Frame::bulk(&b"engines"[..]),
        Frame::Array(vec![Frame::bulk(&b"LUA"[..]), lua]),
    ])
}

/// FCALL / FCALL_RO: Redis looks the function up before reading numkeys.
pub fn fcall(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Frame {
    err("Function not found")
}
