//! The server's own commands: DBSIZE, FLUSHDB, FLUSHALL, CONFIG, INFO,
//! SAVE, BGSAVE, LASTSAVE, SHUTDOWN, TIME, DEBUG (its subcommands on the
//! data are in debug.rs) and MEMORY USAGE.

use super::dispatch::run_data;
use super::{debug, eq_ignore_case, err, int_arg, syntax_error, table, wrong_arity, Ctx};
use crate::engine::config::Config;
use crate::engine::info::{self, Stats};
use crate::engine::node::{ClientId, Output};
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

pub fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::Integer(ctx.db().len() as i64)
}

/// FLUSHDB and FLUSHALL take an optional ASYNC or SYNC; both act at once here.
fn flush_mode_ok(args: &[Vec<u8>]) -> bool {
    match args.len() {
        1 => true,
        2 => args[1].eq_ignore_ascii_case(b"sync") || args[1].eq_ignore_ascii_case(b"async"),
        _ => false,
    }
}

pub fn flushdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if !flush_mode_ok(args) {
        return syntax_error();
    }
    let removed = ctx.db().len() as u64;
    ctx.db().clear();
    *ctx.dirty += removed;
    Frame::ok()
}

pub fn flushall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if !flush_mode_ok(args) {
        return syntax_error();
    }
    let removed = ctx.keyspace.total_keys() as u64;
    for db in &mut ctx.keyspace.dbs {
        db.clear();
    }
    // Redis counts a FLUSHALL as at least one change even on empty data.
    *ctx.dirty += removed + 1;
    Frame::ok()
}

pub fn config_set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() % 2 == 1 {
        return wrong_arity("config|set");
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = args[2..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let mut staged = ctx.settings.clone();
    if let Err(text) = staged.set_many(&pairs) {
        return err(&text);
    }
    // A server here is the port it started on (the network, the graph
    // and the bridge know it by it): moving it fails as Redis's apply
    // fails on a port it cannot listen on, and nothing is changed.
    if staged.value_of("port") != ctx.settings.value_of("port") {
        return err("CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.");
    }
    *ctx.settings = staged;
    Frame::ok()
}

/// CONFIG GET and CONFIG REWRITE show `replicaof` as the node follows now.
fn note_replicaof(server: &mut Server) {
    server.settings.replicaof = server.repl.master.as_ref().map_or(String::new(), |m| format!("{} {}", m.host, m.port));
}

pub fn config_get(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    note_replicaof(server);
    let pairs = server.settings.matching(&args[2..]);
    vec![Frame::Array(pairs.into_iter().flat_map(|(n, v)| [Frame::bulk(n), Frame::bulk(v)]).collect())]
}

pub fn config_rewrite(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    note_replicaof(server);
    let lines = Config::rewrite(&server.config_lines, &server.settings.changed_lines());
    server.config_lines = lines.clone();
    server.outputs.push_back(Output::ConfigRewritten(lines));
    vec![Frame::ok()]
}

pub fn config_resetstat(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.stats = Stats::default();
    vec![Frame::ok()]
}

pub fn info(server: &mut Server, _: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let sections = info::selected(&args[1..]);
    server.note_memory_peak();
    vec![Frame::Bulk(info::render(&sections, &figures(server, now)).into_bytes())]
}

/// What INFO shows of the server at `now`.
fn figures(server: &Server, now: Millis) -> info::Figures<'_> {
    let blocked = || server.clients.values().filter_map(|c| c.blocked.as_ref());
    info::Figures {
        port: server.port,
        run_id: &server.run_id,
        process_id: server.process_id,
        now,
        started_at: server.started_at,
        connected_clients: server.clients.len(),
        // A client waiting for a CLIENT PAUSE to end counts as blocked.
        blocked_clients: blocked().count() + server.clients.values().filter(|c| c.postponed.is_some()).count(),
        clients_in_timeout_table: blocked().filter(|(_, r, _)| r.deadline.is_some()).count(),
        changes_since_save: server.dirty,
        last_save: server.last_save,
        pubsub_channels: server.active_channels().len(),
        pubsub_patterns: server.active_patterns().len(),
        pubsubshard_channels: server.active_shard_channels().len(),
        migrate_cached_sockets: server.migrate.cached_count(),
        tracking: server.tracking_figures(),
        dataset_bytes: server.keyspace.dataset_bytes(),
        peak_memory: server.memory.peak,
        cached_scripts: super::scripting::cache_figures(server).0,
        scripts_memory: super::scripting::cache_figures(server).1,
        functions: (
            server.libraries.values().map(|l| l.functions.len()).sum(),
            server.libraries.len(),
            crate::engine::server::functions::memory(&server.libraries),
        ),
        maxmemory: server.settings.maxmemory(),
        maxmemory_policy: server.settings.value_of("maxmemory-policy").unwrap_or_default(),
        evicted_keys: server.memory.evicted_keys,
        dbs: server
            .keyspace
            .dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.is_empty())
            .map(|(index, db)| info::DbFigures { index, keys: db.len(), expires: db.expires_count(), avg_ttl: db.avg_ttl })
            .collect(),
        stats: &server.stats,
        persistence: crate::engine::info::PersistenceFigures { aof: server.aof_figures(), ..server.persistence.figures(now) },
        replication: server.replication_info(now),
        sentinel: None,
    }
}

pub fn time(_: &mut Server, _: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    vec![Frame::Array(vec![
        Frame::bulk(now.div_euclid(1000).to_string()),
        Frame::bulk((now.rem_euclid(1000) * 1000).to_string()),
    ])]
}

pub fn lastsave(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(server.last_save / 1000)]
}

pub fn save(server: &mut Server, _: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if server.persistence.bgsave.is_some() {
        return vec![err("Background save already in progress")];
    }
    server.save_now(now);
    vec![Frame::ok()]
}

/// BGSAVE [SCHEDULE]: inside EXEC it is scheduled for the next cron.
pub fn bgsave(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    match args.len() {
        1 => {}
        2 if args[1].eq_ignore_ascii_case(b"schedule") => {}
        _ => return vec![syntax_error()],
    }
    if server.persistence.bgsave.is_some() {
        return vec![err("Background save already in progress")];
    }
    if server.aof.rewrite.is_some() {
        if args.len() == 2 {
            server.persistence.bgsave_scheduled = true;
            return vec![Frame::Simple("Background saving scheduled".into())];
        }
        return vec![err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")];
    }
    if server.in_exec(id) {
        server.persistence.bgsave_scheduled = true;
        return vec![Frame::Simple("Background saving scheduled".into())];
    }
    server.start_bgsave(now);
    vec![Frame::Simple("Background saving started".into())]
}

/// BGREWRITEAOF: a new base for the AOF, in the background.
pub fn bgrewriteaof(server: &mut Server, _: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    vec![match server.bgrewriteaof(now) {
        Ok(started) => Frame::Simple(started.into()),
        Err(refused) => err(refused),
    }]
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success there is
/// no reply: the process ends (the caller sees `stopped`).
pub fn shutdown(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let (mut nosave, mut save, mut now_flag, mut abort) = (false, false, false, false);
    for arg in &args[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" => now_flag = true,
            b"force" => {}
            b"abort" => abort = true,
            _ => return vec![syntax_error()],
        }
    }
    if (abort && (nosave || save || now_flag || args.len() > 2)) || (nosave && save) {
        return vec![syntax_error()];
    }
    if abort {
        return vec![err("No shutdown in progress.")];
    }
    if !now_flag && server.in_exec(id) {
        return vec![err("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")];
    }
    server.shut_down(save, nosave, now);
    Vec::new()
}

/// DEBUG: RELOAD saves and loads the server's dump; the other
/// subcommands work on the data (debug.rs).
pub fn debug(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"reload")) {
        let (mut flush, mut merge) = (true, false);
        for option in &args[2..] {
            if option.eq_ignore_ascii_case(b"merge") {
                merge = true;
            } else if option.eq_ignore_ascii_case(b"noflush") {
                flush = false;
            } else if option.eq_ignore_ascii_case(b"nosave") {
                // Redis then loads the dump on disk as it is; a node here
                // cannot read its disk while it runs.
                return vec![err("DEBUG RELOAD NOSAVE is not supported by the playground: the server cannot read its disk while it runs")];
            } else {
                return vec![err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")];
            }
        }
        let loaded = server.debug_reload(now, flush, merge);
        if server.stopped {
            // The duplicate key killed the process: no reply.
            return Vec::new();
        }
        return vec![match loaded {
            true => Frame::ok(),
            false => err("Error trying to load the RDB dump"),
        }];
    }
    if args.len() == 2 && args[1].eq_ignore_ascii_case(b"loadaof") {
        server.aof_flush();
        return vec![match super::dispatch::replay_aof(server, now) {
            Ok(()) => {
                server.dirty = 0;
                server.warning(now, "Append Only File loaded by DEBUG LOADAOF".into());
                Frame::ok()
            }
            Err(e) => err(&format!("Error loading the AOF: {e}")),
        }];
    }
    if args.len() == 3 && args[1].eq_ignore_ascii_case(b"set-active-expire") {
        // Redis reads the flag with atoi: anything not a number is 0.
        server.active_expire_enabled = crate::engine::numfmt::atoi(&args[2]) != 0;
        return vec![Frame::ok()];
    }
    if args.len() == 3 && args[1].eq_ignore_ascii_case(b"set-disable-deny-scripts") {
        server.scripts_run_denied = crate::engine::numfmt::atoi(&args[2]) != 0;
        return vec![Frame::ok()];
    }
    if args.len() == 3 && args[1].eq_ignore_ascii_case(b"quicklist-packed-threshold") {
        let limit = (1u64 << 32) - (1 << 20);
        return vec![match crate::engine::params::parse_memory(&args[2]).map(|v| v as u64).filter(|&v| v <= limit) {
            Some(size) => {
                server.quicklist_packed_threshold = if size == 0 { 1 << 30 } else { size };
                Frame::ok()
            }
            None => err("argument must be a memory value bigger than 1 and smaller than 4gb"),
        }];
    }
    let Some(Ok(info)) = table::lookup(args) else { return vec![err("unknown command 'debug'")] };
    vec![run_data(server, id, info, 0, debug::debug, args, now)]
}

/// MEMORY PURGE: there is no allocator cache to give back; Redis with
/// jemalloc answers OK as well.
pub fn memory_purge(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::ok()
}

/// MEMORY MALLOC-STATS: jemalloc's own report needs jemalloc, which the
/// engine does not have; Redis built with another allocator answers this.
pub fn memory_malloc_stats(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::bulk("Stats not supported for the current allocator")
}

/// MEMORY USAGE: the size a key takes, estimated the way INFO's memory
/// figures are (`memory`).
pub fn memory_usage(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut j = 3;
    while j < args.len() {
        if eq_ignore_case(&args[j], "samples") && j + 1 < args.len() {
            if let Err(e) = int_arg(&args[j + 1]) {
                return e;
            }
            j += 2;
        } else {
            return syntax_error();
        }
    }
    let now = ctx.now;
    match ctx.db().peek(&args[2], now) {
        None => Frame::Null,
        Some(e) => Frame::Integer(crate::engine::memory::usage(&args[2], &e.value) as i64),
    }
}
