//! EVAL, EVALSHA, their read-only forms and SCRIPT: the script cache by
//! SHA1, the shebang's flags, and the server side of a running script
//! (`redis.call`'s checks, its commands run as the caller's, their writes
//! propagated as one MULTI/EXEC, MONITOR lines from `lua`). The language
//! itself is `engine::lua`.

use super::dispatch::{feed_monitor_line, may_replicate, redacted, run};
use super::{err, resolve, subcommand_error};
use super::script_flags::{shebang_flags, Flags};
use super::table::CommandInfo;
use crate::engine::lua::{self, Host};
use crate::engine::node::ClientId;
use crate::engine::numfmt::parse_i64;
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// How a script runs once it may: read-only, and whether it may write
/// while the server is over its memory limit.
#[derive(Clone, Copy)]
pub(crate) struct RunMode {
    read_only: bool,
    /// Over maxmemory when the script started, and not allowed to be.
    deny_oom: bool,
}

/// min-replicas-to-write on a master: whether writes may go on.
fn enough_replicas(server: &Server, now: Millis) -> bool {
    let settings = &server.settings;
    server.repl.master.is_some()
        || settings.min_replicas_to_write == 0
        || settings.min_replicas_max_lag == 0
        || server.good_replicas(now) >= settings.min_replicas_to_write
}

/// The checks Redis makes before a script or function starts: flags
/// against a read-only replica and against memory; how it is to run.
pub(crate) fn prepare_run(server: &mut Server, id: ClientId, flags: Flags, read_only_command: bool, now: Millis) -> Result<RunMode, Frame> {
    let from_master = id == crate::engine::server::replication::MASTER_CLIENT;
    let may_write = !(flags.no_writes || read_only_command);
    if flags.declared && may_write && server.repl.master.is_some() && server.settings.replica_read_only && !from_master {
        return Err(Frame::error("READONLY You can't write against a read only replica."));
    }
    if flags.declared && may_write && !from_master && !enough_replicas(server, now) {
        return Err(Frame::error("NOREPLICAS Not enough good replicas to write."));
    }
    let oom = !from_master && server.perform_evictions(now).is_err();
    if oom && flags.declared && may_write && !flags.allow_oom {
        return Err(Frame::error("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"));
    }
    Ok(RunMode { read_only: !may_write, deny_oom: oom && !flags.allow_oom && !flags.no_writes })
}

/// The memory INFO counts for one cached script: its SHA's sds, the
/// cache's entry and the body's string object.
pub(crate) fn script_memory(body: &[u8]) -> u64 {
    let object = if body.len() <= 44 {
        crate::engine::memory::allocation(20 + body.len() as u64)
    } else {
        16 + crate::engine::memory::sds(body.len())
    };
    104 + object
}

/// Checks a body and caches it: its SHA, or the error Redis replies.
fn load(server: &mut Server, body: &[u8]) -> Result<String, Frame> {
    shebang_flags(body).map_err(Frame::error)?;
    let sha = lua::sha1_hex(body);
    if !server.scripts.contains_key(&sha) {
        lua::check_syntax(body).map_err(|e| Frame::error(format!("ERR Error compiling script (new function): {e}")))?;
        server.scripts.insert(sha.clone(), body.to_vec());
    }
    Ok(sha)
}

pub fn eval(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    eval_generic(server, id, args, now, false, false)
}

pub fn eval_ro(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    eval_generic(server, id, args, now, false, true)
}

pub fn evalsha(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    eval_generic(server, id, args, now, true, false)
}

pub fn evalsha_ro(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    eval_generic(server, id, args, now, true, true)
}

fn eval_generic(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis, by_sha: bool, read_only: bool) -> Vec<Frame> {
    let Some(numkeys) = parse_i64(&args[2]) else { return vec![err("value is not an integer or out of range")] };
    if numkeys > args.len() as i64 - 3 {
        return vec![err("Number of keys can't be greater than number of args")];
    }
    if numkeys < 0 {
        return vec![err("Number of keys can't be negative")];
    }
    let (sha, body) = if by_sha {
        let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
        match server.scripts.get(&sha) {
            Some(body) if sha.len() == 40 => (sha, body.clone()),
            _ => return vec![Frame::error("NOSCRIPT No matching script. Please use EVAL.")],
        }
    } else {
        match load(server, &args[1]) {
            Ok(sha) => (sha, args[1].clone()),
            Err(reply) => return vec![reply],
        }
    };
    let flags = shebang_flags(&body).unwrap_or_default();
    let mode = match prepare_run(server, id, flags, read_only, now) {
        Ok(mode) => mode,
        Err(refused) => return vec![refused],
    };
    let keys = &args[3..3 + numkeys as usize];
    let argv = &args[3 + numkeys as usize..];
    vec![in_script_context(server, id, args, now, mode, |host, random| lua::run_script(host, &body, &sha, keys, argv, random))]
}

/// FCALL's part once its checks passed: the function runs as a script.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_function(
    server: &mut Server,
    id: ClientId,
    args: &[Vec<u8>],
    now: Millis,
    code: &[u8],
    name: &str,
    keys: &[Vec<u8>],
    argv: &[Vec<u8>],
    mode: RunMode,
) -> Frame {
    in_script_context(server, id, args, now, mode, |host, random| lua::call_function(host, code, name, keys, argv, random))
}

/// What surrounds a script's run: its MONITOR line, its writes collected
/// for one MULTI/EXEC (unless a transaction already collects them),
/// blocking commands answering at once, and the caller's database
/// restored after a SELECT inside.
fn in_script_context(
    server: &mut Server,
    id: ClientId,
    args: &[Vec<u8>],
    now: Millis,
    mode: RunMode,
    run: impl FnOnce(&mut dyn Host, &mut u64) -> Frame,
) -> Frame {
    feed_monitor_line(server, id, args, now, None);
    let nested = server.exec_propagation_active();
    if !nested {
        server.begin_exec_propagation();
    }
    let Some((db, deny_blocking)) = server.clients.get_mut(&id).map(|c| {
        c.state.in_script = true;
        (c.state.db, std::mem::replace(&mut c.state.deny_blocking, true))
    }) else {
        return Frame::Null;
    };
    let mut random = server.lua_random;
    let reply = {
        let mut host = ScriptHost { server: &mut *server, id, now, mode, repl_flags: 3 };
        run(&mut host, &mut random)
    };
    server.lua_random = random;
    if let Some(c) = server.clients.get_mut(&id) {
        c.state.db = db;
        c.state.deny_blocking = deny_blocking;
        c.state.in_script = false;
    }
    if !nested {
        server.end_exec_propagation();
    }
    reply
}

struct ScriptHost<'a> {
    server: &'a mut Server,
    id: ClientId,
    now: Millis,
    mode: RunMode,
    repl_flags: i64,
}

impl ScriptHost<'_> {
    /// Why the script may not run this command now, if it may not.
    fn refusal(&mut self, info: &CommandInfo, args: &[Vec<u8>]) -> Option<Frame> {
        let server = &mut *self.server;
        if info.has_flag("noscript") && !server.scripts_run_denied {
            return Some(Frame::error("ERR This Redis command is not allowed from script"));
        }
        if let Err(refused) = super::acl::permitted_in_script(server, self.id, info, args, self.now) {
            return Some(refused);
        }
        let write = info.has_flag("write");
        if self.mode.read_only && (write || may_replicate(info)) {
            return Some(Frame::error("ERR Write commands are not allowed from read-only scripts."));
        }
        if self.mode.deny_oom && info.has_flag("denyoom") {
            return Some(Frame::error("OOM command not allowed when used memory > 'maxmemory'."));
        }
        if write && server.repl.master.is_some() && server.settings.replica_read_only {
            return Some(Frame::error("READONLY You can't write against a read only replica."));
        }
        if write && !enough_replicas(server, self.now) {
            return Some(Frame::error("NOREPLICAS Not enough good replicas to write."));
        }
        None
    }
}

impl Host for ScriptHost<'_> {
    /// Errors count where they happen, as in Redis: a refused command in
    /// the error statistics and its rejected calls, a failed one in the
    /// error statistics (its failed calls are counted as it runs).
    fn call(&mut self, args: &[Vec<u8>]) -> Frame {
        let (info, handler) = match resolve(args) {
            Ok(found) => found,
            Err(_) => {
                let refused = match super::table::lookup(args) {
                    Some(Ok(_)) => Frame::error("ERR Wrong number of args calling Redis command from script"),
                    _ => Frame::error("ERR Unknown Redis command called from script"),
                };
                self.server.count_errors(std::slice::from_ref(&refused));
                return refused;
            }
        };
        if let Some(refused) = self.refusal(info, args) {
            self.server.count_errors(std::slice::from_ref(&refused));
            self.server.stats.commands.entry(info.name.clone()).or_default().1 += 1;
            return refused;
        }
        let server = &mut *self.server;
        let buffered = server.exec_buffered();
        let replies = run(server, self.id, info, handler, args, self.now);
        if self.repl_flags != 3 {
            server.restrict_buffered(buffered, self.repl_flags & 1 != 0, self.repl_flags & 2 != 0);
        }
        if !info.has_flag("admin") && !info.has_flag("skip_monitor") {
            feed_monitor_line(server, self.id, &redacted(info, args), self.now, Some("lua"));
        }
        let reply = replies.into_iter().next().unwrap_or(Frame::Null);
        server.count_errors(std::slice::from_ref(&reply));
        reply
    }

    fn error_counted(&mut self) {
        self.server.error_reply_counted = true;
    }

    fn log(&mut self, level: i64, message: &str) {
        let wanted = match self.server.settings.value_of("loglevel").as_deref() {
            Some("debug") => 0,
            Some("verbose") => 1,
            Some("warning") => 3,
            Some("nothing") => 4,
            _ => 2,
        };
        if level >= wanted {
            let mark = ['.', '-', '*', '#'][level.clamp(0, 3) as usize];
            let role = if self.server.repl.master.is_some() { 'S' } else { 'M' };
            self.server.log_as(self.now, role, mark, message.to_string());
        }
    }

    fn acl_check(&mut self, args: &[Vec<u8>]) -> Option<bool> {
        let info = super::table::lookup(args)?.ok()?;
        Some(super::acl::allows(self.server, self.id, info, args))
    }

    fn set_repl(&mut self, flags: i64) {
        self.repl_flags = flags;
    }
}

pub fn script_load(server: &mut Server, _id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    vec![match load(server, &args[2]) {
        Ok(sha) => Frame::bulk(sha.into_bytes()),
        Err(reply) => reply,
    }]
}

pub fn script_exists(server: &mut Server, _id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let found = args[2..]
        .iter()
        .map(|sha| Frame::Integer(server.scripts.contains_key(&String::from_utf8_lossy(sha).to_ascii_lowercase()) as i64))
        .collect();
    vec![Frame::Array(found)]
}

pub fn script_flush(server: &mut Server, _id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    match args.get(2) {
        _ if args.len() > 3 => vec![subcommand_error(args)],
        Some(mode) if !mode.eq_ignore_ascii_case(b"sync") && !mode.eq_ignore_ascii_case(b"async") => {
            vec![err("SCRIPT FLUSH only support SYNC|ASYNC option")]
        }
        _ => {
            server.scripts.clear();
            vec![Frame::ok()]
        }
    }
}

/// A script runs to its end inside the command that started it, so none
/// is ever running when SCRIPT KILL arrives.
pub fn script_kill(_server: &mut Server, _id: ClientId, _args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    vec![Frame::error("NOTBUSY No scripts in execution right now.")]
}

/// SCRIPT DEBUG NO is the default; the Lua debugger (YES, SYNC) is not in
/// the playground, and says so rather than pretending to start.
pub fn script_debug(_server: &mut Server, _id: ClientId, args: &[Vec<u8>], _now: Millis) -> Vec<Frame> {
    let mode = args[2].to_ascii_lowercase();
    vec![match mode.as_slice() {
        b"no" => Frame::ok(),
        b"yes" | b"sync" => err("SCRIPT DEBUG YES/SYNC: the Lua debugger is not available in this playground (use redis.log and return values instead)"),
        _ => err("Use SCRIPT DEBUG YES/SYNC/NO"),
    }]
}

/// INFO memory's script figures: cached scripts and what they take.
pub(crate) fn cache_figures(server: &Server) -> (usize, u64) {
    (server.scripts.len(), server.scripts.values().map(|b| script_memory(b)).sum())
}
