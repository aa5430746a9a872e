//! MULTI, EXEC, DISCARD, WATCH, UNWATCH. Commands queue while MULTI is
//! open (dispatch.rs); EXEC runs them in one go, its writes propagated as
//! one transaction.

use super::dispatch::{feed_monitors, run};
use super::{err, resolve};
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

pub fn multi(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    if client.multi.is_some() {
        return vec![err("MULTI calls can not be nested")];
    }
    client.multi = Some(Vec::new());
    vec![Frame::ok()]
}

pub fn discard(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    if client.multi.is_none() {
        return vec![err("DISCARD without MULTI")];
    }
    client.end_transaction();
    vec![Frame::ok()]
}

pub fn watch(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    if client.multi.is_some() {
        return vec![err("WATCH inside MULTI is not allowed")];
    }
    if !client.dirty_cas {
        let db = client.state.db;
        for key in &args[1..] {
            if !client.watched.iter().any(|(d, k, _)| *d == db && k == key) {
                let expired = server.keyspace.dbs[db].is_expired_now(key, now);
                client.watched.push((db, key.clone(), expired));
            }
        }
        server.hints.watching = true;
    }
    vec![Frame::ok()]
}

pub fn unwatch(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    if let Some(client) = server.clients.get_mut(&id) {
        client.watched.clear();
        client.dirty_cas = false;
    }
    vec![Frame::ok()]
}

pub fn exec(server: &mut Server, id: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let Some(client) = server.clients.get_mut(&id) else { return vec![Frame::Null] };
    let Some(queue) = client.multi.take() else { return vec![err("EXEC without MULTI")] };
    // A watched key that expired since WATCH counts as changed.
    let expired_since = client
        .watched
        .iter()
        .any(|(db, key, was_expired)| !was_expired && server.keyspace.dbs[*db].is_expired_now(key, now));
    let aborted = client.multi_error;
    let cas_failed = client.dirty_cas || expired_since;
    client.end_transaction();
    if aborted {
        return vec![Frame::error("EXECABORT Transaction discarded because of previous errors.")];
    }
    if cas_failed {
        return vec![Frame::NullArray];
    }
    set_deny_blocking(server, id, true);
    server.begin_exec_propagation();
    let replies = queue
        .iter()
        .flat_map(|args| match resolve(args) {
            Ok((info, handler)) => {
                // Rules may have changed since the command was queued.
                if let Err(refused) = super::acl::permitted_in_exec(server, id, info, args, now) {
                    return vec![refused];
                }
                let replies = run(server, id, info, handler, args, now);
                feed_monitors(server, id, info, args, now);
                replies
            }
            Err(reply) => vec![reply],
        })
        .collect();
    set_deny_blocking(server, id, false);
    server.end_exec_propagation();
    if server.asleep_until.is_none() {
        super::dispatch::serve_blocked(server, now);
    }
    vec![Frame::Array(replies)]
}

/// Inside EXEC blocking commands answer at once, as on a timeout.
fn set_deny_blocking(server: &mut Server, id: ClientId, deny: bool) {
    if let Some(client) = server.clients.get_mut(&id) {
        client.state.deny_blocking = deny;
    }
}
