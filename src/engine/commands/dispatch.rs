//! Running one command on a server, as Redis's `processCommand` and
//! `call` do: the checks that may refuse it (and flag an open MULTI), the
//! queue of a transaction, the handler, then what follows a command:
//! propagation to replicas, watched keys, blocked clients it may serve,
//! MONITOR lines and INFO's counters.

use super::table::CommandInfo;
use super::{err, event, flag, resolve, written_keys, Ctx, DataFn, Handler, Run};
use crate::engine::client_info::client_port;
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::replication::{LinkState, MASTER_CLIENT};
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// The replies to one command from a client: usually one, none while it
/// blocks, one per channel for (UN)SUBSCRIBE.
pub fn execute(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    // Only this command's script may say its error reply was counted.
    server.error_reply_counted = false;
    let caller = server.current_client.replace(id);
    let replies = checked_run(server, id, args, now);
    server.current_client = caller;
    // CLIENT CACHING applies to the next command: Redis clears it after
    // any command but CLIENT's own, and not inside MULTI.
    let client_command = args.first().is_some_and(|a| a.eq_ignore_ascii_case(b"client"));
    if let Some(c) = server.clients.get_mut(&id).filter(|c| c.multi.is_none() && !client_command) {
        if let Some(t) = c.tracking.as_mut() {
            t.caching = false;
        }
    }
    // A command that parked its client (or waits for a pause) answers later.
    let blocked = server.clients.get(&id).is_some_and(|c| c.blocked.is_some() || c.postponed.is_some());
    if blocked {
        Vec::new()
    } else {
        replies
    }
}

fn checked_run(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let (info, handler) = match resolve(args) {
        Ok(resolved) => resolved,
        Err(reply) => {
            flag_transaction(server, id);
            // An arity error counts as a rejected call of that command.
            if let Some(Ok(info)) = super::table::lookup(args) {
                server.stats.commands.entry(info.name.clone()).or_default().1 += 1;
            }
            return vec![reply];
        }
    };
    // Without AUTH, only the commands flagged no_auth run.
    server.acl.sync_requirepass(server.settings.requirepass());
    let needs_auth = server.clients.get(&id).is_some_and(|c| !c.authenticated) && server.acl.auth_required();
    if needs_auth && id != MASTER_CLIENT && !info.has_flag("no_auth") {
        flag_transaction(server, id);
        return vec![Frame::error("NOAUTH Authentication required.")];
    }
    // The user's permissions (a command refused inside MULTI for being
    // no_multi is refused for that first).
    let no_multi_in_multi = info.has_flag("no_multi") && server.clients.get(&id).is_some_and(|c| c.multi.is_some());
    if id != MASTER_CLIENT && !no_multi_in_multi {
        if let Err(refused) = super::acl::permitted(server, id, info, args, now) {
            flag_transaction(server, id);
            return vec![refused];
        }
    }
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    client.last_command = info.name.as_str();
    client.last_command_at = now;
    let checks = protected_refusal(server, handler)
        .and_then(|()| memory_refusal(server, id, info, args, now))
        .and_then(|()| refusal(server, id, info, handler, now));
    if let Err(reply) = checks {
        flag_transaction(server, id);
        return vec![reply];
    }
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    // In RESP2 a subscribed client may only manage its subscriptions.
    if client.is_subscribed() && handler.flags & flag::SUBSCRIBED_OK == 0 {
        return vec![err(&format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            info.name
        ))];
    }
    // CLIENT PAUSE: the command waits, after every check that answers at once.
    if paused_for(server, id, info, args) {
        if let Some(client) = server.clients.get_mut(&id) {
            client.postponed = Some(args.to_vec());
        }
        server.postponed.push_back(id);
        return Vec::new();
    }
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    if let Some(queue) = client.multi.as_mut() {
        if handler.flags & flag::TXN_CONTROL == 0 {
            if info.has_flag("no_multi") {
                client.multi_error = true;
                return vec![err("Command not allowed inside a transaction")];
            }
            queue.push(args.to_vec());
            return vec![Frame::Simple("QUEUED".into())];
        }
    }
    let replies = run(server, id, info, handler, args, now);
    if info.name == "config|set" {
        server.aof_follow_config(now);
    }
    feed_monitors(server, id, info, args, now);
    // WAIT counts the replicas that reached this offset.
    let offset = server.repl.offset;
    if let Some(client) = server.clients.get_mut(&id) {
        client.woff = offset;
    }
    server.request_acks();
    replies
}

/// Whether a CLIENT PAUSE holds this command back: every command under
/// ALL; under WRITE, what may write or be replicated (PUBLISH, PFCOUNT),
/// and an EXEC whose queue holds such a command. Replicas' connections
/// are never paused.
fn paused_for(server: &Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>]) -> bool {
    if !server.clients_paused() || id == MASTER_CLIENT || server.repl.replicas.contains_key(&id) {
        return false;
    }
    if server.pause.is_some_and(|p| p.all) {
        return true;
    }
    let may_replicate = |info: &CommandInfo, args: &[Vec<u8>]| {
        info.has_flag("write") || may_replicate(info) || super::script_flags::may_write(server, info, args)
    };
    may_replicate(info, args)
        || info.name == "exec"
            && server.clients.get(&id).is_some_and(|c| {
                c.multi.iter().flatten().any(|queued| super::table::lookup(queued).and_then(Result::ok).is_some_and(|q| may_replicate(q, queued)))
            })
}

/// A command that failed its checks inside MULTI makes EXEC abort.
fn flag_transaction(server: &mut Server, id: ClientId) {
    if let Some(client) = server.clients.get_mut(&id) {
        if client.multi.is_some() {
            client.multi_error = true;
        }
    }
}

/// Over its memory limit (after evicting what its policy allows), a
/// server refuses what may grow memory, and anything but the
/// transaction's own commands inside MULTI (queueing takes memory too).
fn memory_refusal(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], now: Millis) -> Result<(), Frame> {
    if id == MASTER_CLIENT {
        return Ok(());
    }
    if let Some(refused) = server.guard_refuses(args) {
        return Err(refused);
    }
    let Err(oom) = server.perform_evictions(now) else { return Ok(()) };
    let Some(client) = server.clients.get(&id) else { return Ok(()) };
    let in_multi = client.multi.is_some() && !matches!(info.name.as_str(), "exec" | "discard" | "quit" | "reset");
    let grows = info.has_flag("denyoom")
        || info.name == "exec"
            && client.multi.iter().flatten().any(|queued| {
                super::table::lookup(queued).and_then(Result::ok).is_some_and(|queued| queued.has_flag("denyoom"))
            });
    if in_multi || grows {
        Err(oom)
    } else {
        Ok(())
    }
}

/// A protected command (DEBUG) refused by `enable-debug-command`: Redis
/// says so before any other check.
fn protected_refusal(server: &Server, handler: Handler) -> Result<(), Frame> {
    // Console clients connect from 127.0.0.1, so `local` allows them.
    if handler.flags & flag::DEBUG_GATED != 0 && server.settings.enable_debug_command == "no" {
        return Err(err("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    Ok(())
}

/// Why the server refuses to run (or queue) the command now, if it does.
fn refusal(server: &Server, id: ClientId, info: &CommandInfo, handler: Handler, now: Millis) -> Result<(), Frame> {
    let settings = &server.settings;
    let write = info.has_flag("write");
    // A master with min-replicas-to-write refuses writes without enough good replicas.
    if server.repl.master.is_none()
        && settings.min_replicas_to_write > 0
        && settings.min_replicas_max_lag > 0
        && write
        && server.good_replicas(now) < settings.min_replicas_to_write
    {
        return Err(Frame::error("NOREPLICAS Not enough good replicas to write."));
    }
    // A read-only replica refuses writes, except from its master.
    if id != MASTER_CLIENT && server.repl.master.is_some() && settings.replica_read_only && write {
        return Err(Frame::error("READONLY You can't write against a read only replica."));
    }
    // What follows does not apply to a subscribed client's refused command.
    if server.clients.get(&id).is_some_and(|c| c.is_subscribed()) && handler.flags & flag::SUBSCRIBED_OK == 0 {
        return Ok(());
    }
    // A replica whose link is down refuses what needs fresh data when
    // replica-serve-stale-data is no.
    let link_down = server.repl.master.as_ref().is_some_and(|m| m.state != LinkState::Connected);
    if link_down && !settings.replica_serve_stale_data && !info.has_flag("stale") {
        return Err(Frame::error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."));
    }
    if server.persistence.loading.as_ref().is_some_and(|l| now < l.ends_at) && !info.has_flag("loading") {
        return Err(Frame::error("LOADING Redis is loading the dataset in memory"));
    }
    Ok(())
}

/// INFO's commandstats: a call, and whether it failed.
fn count_call(server: &mut Server, name: &str, replies: &[Frame]) {
    server.stats.commands_processed += 1;
    if !server.stats.commands.contains_key(name) {
        server.stats.commands.insert(name.to_string(), Default::default());
    }
    let Some(entry) = server.stats.commands.get_mut(name) else { return };
    entry.0 += 1;
    if replies.first().is_some_and(|r| matches!(r, Frame::Error(_))) {
        entry.2 += 1;
    }
}

/// Runs a command that passed its checks.
pub(crate) fn run(server: &mut Server, id: ClientId, info: &'static CommandInfo, handler: Handler, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let asleep_before = server.asleep_until;
    let replies = match handler.run {
        Run::Server(run) => run(server, id, args, now),
        Run::Data(run) => vec![run_data(server, id, info, handler.flags, run, args, now)],
    };
    // A command costs a microsecond of virtual time; one that put the node
    // to sleep (DEBUG SLEEP) took as long as the sleep.
    let micros = match server.asleep_until {
        Some(until) if server.asleep_until != asleep_before && !server.migrating() => (until - now).max(0) as u64 * 1000,
        _ => 1,
    };
    // Counted per command run, inside EXEC too, as Redis's call() counts.
    count_call(server, &info.name, &replies);
    let blocked = server.clients.get(&id).is_some_and(|c| c.blocked.is_some());
    if !blocked {
        record_latency(server, id, info, args, micros, now);
    }
    replies
}

/// SLOWLOG, the latency monitor and LATENCY HISTOGRAM's figures for one
/// command that ran.
fn record_latency(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], micros: u64, now: Millis) {
    if micros > 1 {
        let buckets = server.stats.slow_calls.entry(info.name.clone()).or_default();
        *buckets.entry(crate::engine::server::latency::histogram_bucket(micros)).or_default() += 1;
    }
    // The monitor's threshold is in whole milliseconds: a command under one
    // cannot reach it, and most commands take a microsecond.
    if micros >= 1000 {
        let threshold = server.settings.int_or("latency-monitor-threshold", 0);
        if threshold > 0 && (micros / 1000) as i64 >= threshold {
            let event = if info.has_flag("fast") { "fast-command" } else { "command" };
            server.latency.add_sample(event, micros / 1000, now);
        }
    }
    let slower_than = server.settings.int_or("slowlog-log-slower-than", 10_000);
    if slower_than < 0 || (micros as i64) < slower_than || info.has_flag("skip_slowlog") {
        return;
    }
    let max_len = server.settings.int_or("slowlog-max-len", 128).max(0) as usize;
    let peer = match server.repl.master.as_ref().filter(|_| id == MASTER_CLIENT) {
        Some(master) => format!("{}:{}", master.host, master.port),
        None => format!("127.0.0.1:{}", client_port(id)),
    };
    let name = server.clients.get(&id).map(|c| c.name.clone()).unwrap_or_default();
    server.slowlog.push(&redacted(info, args), micros, now, peer, name, max_len);
}

/// The arguments as SLOWLOG shows them: the value of a sensitive
/// parameter in CONFIG SET is `(redacted)`.
pub(crate) fn redacted(info: &CommandInfo, args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut shown = args.to_vec();
    let hide = |arg: &mut Vec<u8>| *arg = b"(redacted)".to_vec();
    match info.name.as_str() {
        "config|set" => {
            for pair in (2..shown.len()).step_by(2) {
                let secret = ["masterauth", "requirepass", "tls-key-file-pass", "tls-client-key-file-pass"];
                if secret.iter().any(|p| shown[pair].eq_ignore_ascii_case(p.as_bytes())) && pair + 1 < shown.len() {
                    hide(&mut shown[pair + 1]);
                }
            }
        }
        // Every argument: the user's name and rules may hold passwords.
        "acl|setuser" => shown.iter_mut().skip(2).for_each(hide),
        "auth" => shown.iter_mut().skip(1).for_each(hide),
        "migrate" => {
            let mut j = 6;
            while j < shown.len() {
                if shown[j].eq_ignore_ascii_case(b"keys") {
                    break;
                }
                let secrets = if shown[j].eq_ignore_ascii_case(b"auth") { 1 } else if shown[j].eq_ignore_ascii_case(b"auth2") { 2 } else { 0 };
                shown.iter_mut().skip(j + 1).take(secrets).for_each(hide);
                j += 1 + secrets;
            }
        }
        "hello" => {
            if let Some(at) = shown.iter().position(|a| a.eq_ignore_ascii_case(b"auth")) {
                shown.iter_mut().skip(at + 1).take(2).for_each(hide);
            }
        }
        _ => {}
    }
    shown
}

/// A command on the data: the handler runs on a `Ctx`, then what it
/// changed is propagated, its watchers and blocked clients are told.
pub(crate) fn run_data(server: &mut Server, id: ClientId, info: &CommandInfo, flags: u8, run: DataFn, args: &[Vec<u8>], now: Millis) -> Frame {
    let Some(client) = server.clients.get_mut(&id) else { return Frame::Null };
    let mut state = std::mem::take(&mut client.state);
    let in_exec = state.deny_blocking;
    let dirty_before = server.dirty;
    if info.has_flag("readonly") {
        count_hits(server, state.db, info, args, now);
    }
    // Emptying a db invalidates the watchers of keys it really held.
    let emptied = emptied_dbs(server, flags, state.db, args);
    let held: Vec<(usize, Vec<u8>, bool)> = if emptied.is_empty() || !server.hints.watching {
        Vec::new()
    } else {
        server
        .clients
        .values()
        .flat_map(|c| c.watched.iter())
        .filter(|(db, key, _)| emptied.contains(db) && emptied.iter().any(|&e| server.keyspace.dbs[e].stores(key)))
        .map(|(db, key, _)| (*db, key.clone(), server.keyspace.dbs[*db].stores(key)))
        .collect()
    };
    let lfu = server.settings.lfu_policy();
    let paused = server.clients_paused();
    for db in &mut server.keyspace.dbs {
        db.lfu = lfu;
        db.keep_expired = paused;
    }
    let notify = server.settings.notify_classes();
    // Redis raises `new` as a key is added, ahead of the command's own event.
    let absent: Vec<&[u8]> = if notify & event::NEW != 0 {
        written_keys(info, args).into_iter().filter(|k| !server.keyspace.dbs[state.db].is_live(k, now)).collect()
    } else {
        Vec::new()
    };
    let (reply, events) = {
        let mut ctx = Ctx {
            keyspace: &mut server.keyspace,
            client: &mut state,
            now,
            dirty: &mut server.dirty,
            settings: &mut server.settings,
            rng: &mut server.rng,
            notify,
            events: Vec::new(),
        };
        let reply = run(&mut ctx, args);
        (reply, ctx.events)
    };
    // A key the command found expired is deleted ahead of it, on replicas
    // too: Redis propagates a lazy expiry's DEL at once, before the command
    // (after it, the replica would delete what the command just wrote).
    server.report_expired();
    for key in absent {
        if server.keyspace.dbs[state.db].is_live(key, now) {
            server.notify_keyspace_event(event::NEW, "new", key, state.db);
        }
    }
    for e in events {
        server.notify_keyspace_event(e.class, e.event, &e.key, e.db);
    }
    server.keyspace.settle();
    if info.has_flag("readonly") && !matches!(reply, Frame::Error(_)) {
        server.tracking_remember(id, info, args);
    }
    if flags & (flag::EMPTIES_ALL | flag::EMPTIES_DB) != 0 && !matches!(reply, Frame::Error(_)) {
        server.tracking_invalidate_all();
    }
    if flags & flag::EMPTIES_ALL != 0 && !matches!(reply, Frame::Error(_)) {
        server.after_flushall(now);
    }
    if let Some(ms) = state.sleep.take().filter(|&ms| ms > 0) {
        server.asleep_until = Some(now + ms);
    }
    let changed = server.dirty != dirty_before;
    let rewritten = state.propagate.take();
    if changed && id != MASTER_CLIENT {
        match rewritten {
            Some(commands) => {
                for command in commands {
                    server.propagate(state.db, command);
                }
            }
            // Redis propagates whatever changed the data (PFCOUNT stores its estimate).
            None if (info.has_flag("write") || may_replicate(info)) && server.propagation_wanted() => {
                server.propagate(state.db, args.to_vec())
            }
            None => {}
        }
    }
    // PFDEBUG's re-encoding counts as a change but leaves watches alone.
    if changed && info.name != "pfdebug" {
        // Only WATCH and tracking care which keys changed: without either,
        // the keys need not be found.
        if emptied.is_empty() && server.key_changes_followed() {
            for key in written_keys(info, args) {
                server.touch_watchers(state.db, key);
            }
        }
        for (db, key, existed) in &held {
            server.touch_watchers_replaced(*db, key, *existed, now);
        }
    }
    let request = state.block.take();
    if let Some(client) = server.clients.get_mut(&id) {
        client.state = state;
        if let Some(request) = request {
            if client.blocked.is_none() {
                let command = request.rerun.clone().unwrap_or_else(|| args.to_vec());
                client.blocked = Some((command, request, now));
                server.hints.parked = true;
            }
        }
    }
    // Inside EXEC the parked clients wait for the whole transaction (a
    // key pushed then deleted in it never wakes them).
    // Nor while a DEBUG SLEEP holds the server: they are served when it wakes.
    if changed && !in_exec && server.asleep_until.is_none() {
        serve_blocked(server, now);
    }
    reply
}

/// A command that is not a write yet may reach replicas, so CLIENT PAUSE
/// WRITE holds it (and, for PFCOUNT, which stores its estimate, replicas
/// get it): Redis's may_replicate flag, which COMMAND does not show.
pub(crate) fn may_replicate(info: &CommandInfo) -> bool {
    info.has_flag("may_replicate") || matches!(info.name.as_str(), "pfcount" | "publish" | "spublish")
}

/// INFO's keyspace_hits and keyspace_misses for a read.
fn count_hits(server: &mut Server, db: usize, info: &CommandInfo, args: &[Vec<u8>], now: Millis) {
    for key in written_keys(info, args) {
        if server.keyspace.dbs[db].is_live(key, now) {
            server.stats.keyspace_hits += 1;
        } else {
            server.stats.keyspace_misses += 1;
            server.notify_keyspace_event(event::KEY_MISS, "keymiss", key, db);
        }
    }
}

/// The databases a FLUSHALL, FLUSHDB or SWAPDB empties (or swaps).
fn emptied_dbs(server: &Server, flags: u8, db: usize, args: &[Vec<u8>]) -> Vec<usize> {
    let count = server.keyspace.dbs.len();
    if flags & flag::EMPTIES_ALL != 0 {
        (0..count).collect()
    } else if flags & flag::EMPTIES_DB != 0 {
        vec![db]
    } else if flags & flag::SWAPS_DBS != 0 {
        args[1..]
            .iter()
            .filter_map(|a| crate::engine::numfmt::parse_i64(a))
            .filter(|&i| i >= 0 && (i as usize) < count)
            .map(|i| i as usize)
            .collect()
    } else {
        Vec::new()
    }
}

/// Serves parked clients whose keys may now have data, oldest first,
/// until no more can be served (a served BLMOVE may feed another).
pub(crate) fn serve_blocked(server: &mut Server, now: Millis) {
    if !server.hints.parked {
        return;
    }
    loop {
        let mut waiting: Vec<(Millis, ClientId)> =
            server.clients.iter().filter_map(|(id, c)| c.blocked.as_ref().map(|(_, _, since)| (*since, *id))).collect();
        if waiting.is_empty() {
            server.hints.parked = false;
            return;
        }
        waiting.sort();
        let mut served_any = false;
        for (_, id) in waiting {
            if try_serve(server, id, now) {
                served_any = true;
            }
        }
        if !served_any {
            return;
        }
    }
}

/// Runs a parked client's command again; true if it got its answer.
fn try_serve(server: &mut Server, id: ClientId, now: Millis) -> bool {
    let Some(client) = server.clients.get_mut(&id) else { return false };
    let Some((args, request, since)) = client.blocked.take() else { return false };
    let db = client.state.db;
    // Only a key of the type the command pops wakes it: a string put in
    // the list's place leaves the client waiting, as in Redis.
    let wants_zset = args.first().is_some_and(|c| c.len() > 2 && c[..2].eq_ignore_ascii_case(b"bz"));
    // Looking a key up expires it if its time has come (its DEL goes to
    // replicas), as Redis's lookup for a waiting client does.
    if !server.clients_paused() {
        for key in &request.keys {
            server.keyspace.dbs[db].expire_if_needed(key, now);
        }
        server.report_expired();
    }
    let reads_stream = args.first().is_some_and(|c| c.len() > 4 && c[..5].eq_ignore_ascii_case(b"xread"));
    let has_data = if reads_stream {
        match super::streams::wake(&server.keyspace.dbs[db], &args, now) {
            super::streams::Wake::Wait => false,
            super::streams::Wake::Run => true,
            super::streams::Wake::Reply(reply) => {
                server.count_errors(std::slice::from_ref(&reply));
                // The parked call failed (Redis counts it when it unblocks).
                let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
                server.stats.commands.entry(name).or_default().2 += 1;
                server.push_output_uncounted(id, reply.to_bytes());
                return true;
            }
        }
    } else {
        request.keys.iter().any(|k| {
            server.keyspace.dbs[db].is_live(k, now)
                && server.keyspace.dbs[db].stored_entry(k).is_some_and(|e| {
                    matches!((&e.value, wants_zset), (crate::engine::value::Value::ZSet(_), true) | (crate::engine::value::Value::List(_), false))
                })
        })
    };
    let resolved = has_data.then(|| resolve(&args)).and_then(Result::ok);
    let Some((info, Handler { run: Run::Data(run), flags })) = resolved else {
        if let Some(client) = server.clients.get_mut(&id) {
            client.blocked = Some((args, request, since));
        }
        return false;
    };
    let reply = run_data(server, id, info, flags, run, &args, now);
    let Some(client) = server.clients.get_mut(&id) else { return false };
    if client.blocked.is_some() {
        // Still nothing for it (another client was faster): keep waiting
        // with the original deadline.
        client.blocked = Some((args, request, since));
        return false;
    }
    server.push_output_uncounted(id, reply.to_bytes());
    // The served command reaches SLOWLOG as it was typed, as Redis logs it
    // when it unblocks.
    record_latency(server, id, info, &args, 1, now);
    true
}

/// Rebuilds the data from the AOF (at start-up, DEBUG LOADAOF): its base,
/// then its commands run as Redis's AOF client runs them: told to no one
/// (the master's stream client is borrowed for them).
pub(crate) fn replay_aof(server: &mut Server, now: Millis) -> Result<(), String> {
    server.aof_restore_base(now)?;
    let (state, commands) = server.aof_replay_begin();
    let master_client = server.clients.remove(&MASTER_CLIENT);
    server.add_master_client(now);
    for args in &commands {
        execute_from_master(server, args, now);
    }
    server.clients.remove(&MASTER_CLIENT);
    if let Some(client) = master_client {
        server.clients.insert(MASTER_CLIENT, client);
    }
    server.aof_replay_end(state);
    Ok(())
}

/// A command from the master's stream: no reply, no READONLY. Commands
/// on the data run; of the server's own, only those a replica takes from
/// the stream (PUBLISH reaches this replica's subscribers; MULTI, EXEC
/// and PING change nothing here).
pub fn execute_from_master(server: &mut Server, args: &[Vec<u8>], now: Millis) {
    let Ok((info, handler)) = resolve(args) else { return };
    // A replica's AOF gets what its master sends that changes data.
    if info.has_flag("write") || matches!(info.name.as_str(), "multi" | "exec" | "pfcount") {
        let db = server.clients.get(&MASTER_CLIENT).map(|c| c.state.db);
        server.aof_feed(db, args);
    }
    match handler.run {
        Run::Data(run) => {
            run_data(server, MASTER_CLIENT, info, handler.flags, run, args, now);
        }
        Run::Server(run) if handler.flags & flag::FROM_STREAM != 0 => {
            run(server, MASTER_CLIENT, args, now);
        }
        Run::Server(_) => {}
    }
    feed_monitors(server, MASTER_CLIENT, info, args, now);
}

/// MONITOR: once a command ran (as Redis's `call()` does), every
/// monitoring client gets a line for it, except for administrative
/// commands and while the dataset loads. What the master's stream runs
/// on a replica shows as coming from the master.
pub(crate) fn feed_monitors(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], now: Millis) {
    if info.has_flag("admin") || info.has_flag("skip_monitor") || server.is_loading() {
        return;
    }
    // Redacting copies the arguments: only when someone is watching.
    if !server.hints.monitoring {
        return;
    }
    if !server.clients.values().any(|c| c.monitor) {
        server.hints.monitoring = false;
        return;
    }
    feed_monitor_line(server, id, &redacted(info, args), now, None);
}

/// One MONITOR line for a command, from the client's address or from
/// `peer` (`lua` for what a script runs).
pub(crate) fn feed_monitor_line(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis, peer: Option<&str>) {
    let monitors: Vec<ClientId> = server.clients.iter().filter(|(_, c)| c.monitor).map(|(i, _)| *i).collect();
    if monitors.is_empty() {
        return;
    }
    let db = server.clients.get(&id).map_or(0, |c| c.state.db);
    let peer = match (peer, server.repl.master.as_ref().filter(|_| id == MASTER_CLIENT)) {
        (Some(peer), _) => peer.to_string(),
        (None, Some(master)) => format!("{}:{}", master.host, master.port),
        (None, None) => format!("127.0.0.1:{}", client_port(id)),
    };
    let mut line = format!("{}.{:06} [{db} {peer}]", now.div_euclid(1000), now.rem_euclid(1000) * 1000);
    for arg in args {
        line.push(' ');
        crate::engine::cli::repr(arg, &mut line);
    }
    let bytes = Frame::Simple(line).to_bytes();
    for monitor in monitors {
        server.push_output_uncounted(monitor, bytes.clone());
    }
}
