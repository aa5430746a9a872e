//! FUNCTION (LOAD, DELETE, FLUSH, LIST, STATS, DUMP, RESTORE, KILL) and
//! FCALL / FCALL_RO over the server's libraries (`server::functions`).
//! The registry's changes reach replicas and the AOF as the commands
//! themselves, as Redis propagates them; FCALL runs a function as a
//! script (`scripting`), its writes propagated as the commands it ran.

use super::script_flags::Flags;
use super::scripting::{prepare_run, run_function};
use super::{err, subcommand_error};
use crate::engine::glob;
use crate::engine::node::ClientId;
use crate::engine::numfmt::parse_i64;
use crate::engine::rdb;
use crate::engine::resp::Frame;
use crate::engine::server::functions::{self, Libraries};
use crate::engine::server::replication::MASTER_CLIENT;
use crate::engine::server::Server;
use crate::engine::time::Millis;

fn bulk(text: &str) -> Frame {
    Frame::bulk(text.as_bytes())
}

/// A change to the registry: counted for saves, and sent on as it came.
fn propagate(server: &mut Server, id: ClientId, args: &[Vec<u8>]) {
    server.dirty += 1;
    // What came from the master goes on as the master's stream does.
    if id != MASTER_CLIENT {
        let db = server.clients.get(&id).map_or(0, |c| c.state.db);
        server.propagate(db, args.to_vec());
    }
}

/// FUNCTION LOAD [REPLACE] code
pub fn function_load(server: &mut Server, id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let mut replace = false;
    for option in &args[2..args.len() - 1] {
        if option.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else {
            return vec![err(&format!("Unknown option given: {}", String::from_utf8_lossy(option)))];
        }
    }
    let code = &args[args.len() - 1];
    match functions::prepare(&server.libraries, code, replace) {
        Ok((name, library)) => {
            server.libraries.insert(name.clone(), library);
            propagate(server, id, args);
            vec![Frame::bulk(name.into_bytes())]
        }
        Err(e) => vec![Frame::error(e)],
    }
}

pub fn function_delete(server: &mut Server, id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let name = String::from_utf8_lossy(&args[2]).into_owned();
    if server.libraries.shift_remove(&name).is_none() {
        return vec![err("Library not found")];
    }
    propagate(server, id, args);
    vec![Frame::ok()]
}

/// FUNCTION FLUSH [ASYNC|SYNC]: a change even when nothing was loaded
/// (Redis propagates it to replicas).
pub fn function_flush(server: &mut Server, id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    match args.get(2) {
        _ if args.len() > 3 => vec![subcommand_error(args)],
        Some(mode) if !mode.eq_ignore_ascii_case(b"sync") && !mode.eq_ignore_ascii_case(b"async") => {
            vec![err("FUNCTION FLUSH only supports SYNC|ASYNC option")]
        }
        _ => {
            server.libraries.clear();
            propagate(server, id, args);
            vec![Frame::ok()]
        }
    }
}

/// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]
pub fn function_list(server: &mut Server, _id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let mut i = 2;
    let (mut with_code, mut pattern) = (false, None);
    while let Some(word) = args.get(i) {
        if word.eq_ignore_ascii_case(b"withcode") && !with_code {
            with_code = true;
        } else if word.eq_ignore_ascii_case(b"libraryname") && pattern.is_none() {
            let Some(p) = args.get(i + 1) else { return vec![err("library name argument was not given")] };
            pattern = Some(p.clone());
            i += 1;
        } else {
            return vec![err(&format!("Unknown argument {}", String::from_utf8_lossy(word)))];
        }
        i += 1;
    }
    let libraries = server
        .libraries
        .iter()
        .filter(|(name, _)| pattern.as_ref().is_none_or(|p| glob::matches(p, name.as_bytes(), true)))
        .map(|(name, lib)| {
            let functions = lib
                .functions
                .iter()
                .map(|f| {
                    Frame::Array(vec![
                        bulk("name"),
                        bulk(&f.name),
                        bulk("description"),
                        f.description.as_ref().map_or(Frame::Null, |d| Frame::bulk(d.clone())),
                        bulk("flags"),
                        Frame::Array(f.flags.iter().map(|flag| Frame::Simple(flag.to_string())).collect()),
                    ])
                })
                .collect();
            let mut fields = vec![bulk("library_name"), bulk(name), bulk("engine"), bulk("LUA"), bulk("functions"), Frame::Array(functions)];
            if with_code {
                fields.push(bulk("library_code"));
                fields.push(Frame::bulk(lib.code.clone()));
            }
            Frame::Array(fields)
        })
        .collect();
    vec![Frame::Array(libraries)]
}

/// No function can be running when a command arrives: a function runs to
/// its end inside the FCALL that started it.
pub fn function_kill(_server: &mut Server, _id: ClientId, _args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    vec![Frame::error("NOTBUSY No scripts in execution right now.")]
}

pub fn function_stats(server: &mut Server, _id: ClientId, _args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let functions: usize = server.libraries.values().map(|l| l.functions.len()).sum();
    let lua = Frame::Array(vec![
        bulk("libraries_count"),
        Frame::Integer(server.libraries.len() as i64),
        bulk("functions_count"),
        Frame::Integer(functions as i64),
    ]);
    vec![Frame::Array(vec![bulk("running_script"), Frame::Null, bulk("engines"), Frame::Array(vec![bulk("LUA"), lua])])]
}

/// FUNCTION DUMP: every library in a payload FUNCTION RESTORE takes.
pub fn function_dump(server: &mut Server, _id: ClientId, _args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    vec![Frame::bulk(rdb::functions_payload(&server.library_codes(), server.settings.rdbcompression))]
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
pub fn function_restore(server: &mut Server, id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let policy = match args.get(3).map(|p| p.to_ascii_lowercase()) {
        _ if args.len() > 4 => return vec![subcommand_error(args)],
        None => b"append".to_vec(),
        Some(p) if matches!(p.as_slice(), b"append" | b"replace" | b"flush") => p,
        Some(_) => return vec![err("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")],
    };
    let codes = match rdb::decode_functions_payload(&args[2]) {
        Ok(codes) => codes,
        Err(None) => return vec![err("DUMP payload version or checksum are wrong")],
        Err(Some(_)) => return vec![err("given type is not a function")],
    };
    let mut restored = Libraries::default();
    for code in &codes {
        match functions::prepare(&restored, code, false) {
            Ok((name, library)) => {
                restored.insert(name, library);
            }
            Err(e) => return vec![Frame::error(e)],
        }
    }
    let mut merged = if policy == b"flush" { Libraries::default() } else { server.libraries.clone() };
    for (name, library) in restored {
        if merged.contains_key(&name) && policy == b"append" {
            return vec![err(&format!("Library {name} already exists"))];
        }
        for f in &library.functions {
            let clash = merged.iter().any(|(other, lib)| other != &name && lib.functions.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)));
            if clash {
                return vec![err(&format!("Function {} already exists", f.name))];
            }
        }
        merged.insert(name, library);
    }
    server.libraries = merged;
    propagate(server, id, args);
    vec![Frame::ok()]
}

pub fn fcall(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    fcall_generic(server, id, args, now, false)
}

pub fn fcall_ro(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    fcall_generic(server, id, args, now, true)
}

/// Redis looks the function up before reading numkeys.
fn fcall_generic(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis, read_only: bool) -> Vec<Frame> {
    let name = String::from_utf8_lossy(&args[1]).into_owned();
    let Some((library, function)) = functions::find(&server.libraries, &name) else { return vec![err("Function not found")] };
    // Errors name the function as it was registered.
    let (code, flags, name) = (library.code.clone(), Flags::of_function(&function.flags), function.name.clone());
    let Some(numkeys) = parse_i64(&args[2]) else { return vec![err("Bad number of keys provided")] };
    if numkeys > args.len() as i64 - 3 {
        return vec![err("Number of keys can't be greater than number of args")];
    }
    if numkeys < 0 {
        return vec![err("Number of keys can't be negative")];
    }
    if read_only && !flags.no_writes {
        return vec![err("Can not execute a script with write flag using *_ro command.")];
    }
    let mode = match prepare_run(server, id, flags, read_only, now) {
        Ok(mode) => mode,
        Err(refused) => return vec![refused],
    };
    let keys = &args[3..3 + numkeys as usize];
    let argv = &args[3 + numkeys as usize..];
    vec![run_function(server, id, args, now, &code, &name, keys, argv, mode)]
}
