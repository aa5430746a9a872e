//! The commands of replication: REPLICAOF (and SLAVEOF) and ROLE, which a
//! user types; REPLCONF, PSYNC and SYNC, which a replica sends its master;
//! WAIT, which counts the replicas that have a client's writes.

use super::{err, int_arg, int_arg_in, not_an_integer, parse_i64, syntax_error};
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::replication::SYNTHESIZED_CACHED_MASTER;
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// REPLICAOF host port | NO ONE (and SLAVEOF).
pub fn replicaof(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if server.repl.failover.is_some() {
        return vec![err("REPLICAOF not allowed while failing over.")];
    }
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        if server.repl.master.is_some() {
            server.become_master(now);
            let who = server.client_line(id, id, args, now);
            server.notice(now, format!("MASTER MODE enabled (user request from '{who}')"));
        }
        return vec![Frame::ok()];
    }
    if server.repl.replicas.contains_key(&id) {
        return vec![err("Command is not valid when client is a replica.")];
    }
    let port = match int_arg_in(&args[2], 0, 65535, "Invalid master port") {
        Ok(p) => p as u16,
        Err(e) => return vec![e],
    };
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if server.repl.master.as_ref().is_some_and(|m| m.host.eq_ignore_ascii_case(&host) && m.port == port) {
        server.notice(now, "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.".into());
        return vec![Frame::Simple("OK Already connected to specified master".into())];
    }
    if server.repl.master.is_none() {
        server.log_as(now, 'S', '*', SYNTHESIZED_CACHED_MASTER.into());
    }
    server.set_master(host.clone(), port, now);
    let who = server.client_line(id, id, args, now);
    server.notice(now, format!("REPLICAOF {host}:{port} enabled (user request from '{who}')"));
    vec![Frame::ok()]
}

pub fn role(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![server.role_reply()]
}

/// REPLCONF option value ...: from a replica (or a client). ACK and
/// GETACK get no reply.
pub fn replconf(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args.len() % 2 == 0 {
        return vec![syntax_error()];
    }
    for pair in args[1..].chunks(2) {
        let (option, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
        match option.as_slice() {
            b"listening-port" => match parse_i64(value) {
                Some(p) if (0..=65535).contains(&p) => server.note_listening_port(id, p as u16),
                _ => return vec![err("value is not an integer or out of range")],
            },
            b"ack" => {
                server.record_ack(id, parse_i64(value), now);
                return Vec::new();
            }
            b"getack" => return Vec::new(),
            b"capa" | b"ip-address" | b"rdb-only" | b"rdb-filter-only" => {}
            _ => return vec![err(&format!("Unrecognized REPLCONF option: {}", String::from_utf8_lossy(&pair[0])))],
        }
    }
    vec![Frame::ok()]
}

pub fn psync(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    // PSYNC replid offset FAILOVER: the master hands this replica its role.
    if args.len() > 3 && args[3].eq_ignore_ascii_case(b"failover") {
        if let Err(refused) = server.accept_failover_request(id, &args[1], now) {
            return vec![refused];
        }
    }
    server.serve_sync(id, &args[1..3.min(args.len())], false, now).into_iter().collect()
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the arguments
/// as Redis reads them (each option once), then the server's checks.
pub fn failover(server: &mut Server, _: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args.len() == 2 && args[1].eq_ignore_ascii_case(b"abort") {
        return vec![server.failover_abort_command(now)];
    }
    let (mut timeout, mut force, mut to): (i64, bool, Option<(String, i64)>) = (0, false, None);
    let mut j = 1;
    while j < args.len() {
        let word = &args[j];
        if word.eq_ignore_ascii_case(b"timeout") && j + 1 < args.len() && timeout == 0 {
            match parse_i64(&args[j + 1]) {
                None => return vec![not_an_integer()],
                Some(ms) if ms <= 0 => return vec![err("FAILOVER timeout must be greater than 0")],
                Some(ms) => timeout = ms,
            }
            j += 2;
        } else if word.eq_ignore_ascii_case(b"to") && j + 2 < args.len() && to.is_none() {
            let Some(port) = parse_i64(&args[j + 2]) else { return vec![not_an_integer()] };
            to = Some((String::from_utf8_lossy(&args[j + 1]).into_owned(), port));
            j += 3;
        } else if word.eq_ignore_ascii_case(b"force") && !force {
            force = true;
            j += 1;
        } else {
            return vec![syntax_error()];
        }
    }
    vec![server.failover_command(to, timeout, force, now)]
}

pub fn sync(server: &mut Server, id: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    server.serve_sync(id, &[], true, now).into_iter().collect()
}

/// WAIT numreplicas timeout: how many replicas have this client's
/// writes; blocks until enough do or the timeout (ms, 0 = forever).
pub fn wait(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if server.repl.master.is_some() {
        return vec![err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")];
    }
    let wanted = match int_arg(&args[1]) {
        Ok(n) => n,
        Err(e) => return vec![e],
    };
    let timeout = match int_arg_in(&args[2], i64::MIN, i64::MAX, "timeout is not an integer or out of range") {
        Ok(t) if t < 0 => return vec![err("timeout is negative")],
        Ok(t) => t,
        Err(e) => return vec![e],
    };
    let woff = server.clients.get(&id).map_or(0, |c| c.woff);
    let acked = server.acks_at_least(woff);
    if acked >= wanted || server.in_exec(id) {
        return vec![Frame::Integer(acked)];
    }
    let deadline = (timeout > 0).then_some(now.saturating_add(timeout));
    server.park_for_acks(id, args, (woff, wanted, deadline), acked, now);
    Vec::new()
}
