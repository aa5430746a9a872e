//! The connection's own commands: PING, ECHO, SELECT, HELLO, QUIT, RESET,
//! MONITOR and CLIENT.

use super::{eq_ignore_case, err, parse_i64, ranged_int_arg, syntax_error, wrong_arity, Ctx};
use crate::engine::client_info::client_port;
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::replication::MASTER_CLIENT;
use crate::engine::server::tracking::Tracking;
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// PING answers PONG, or in RESP2's subscribed mode a `pong` message.
pub fn ping(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    if server.clients.get(&id).is_some_and(|c| c.is_subscribed()) {
        let message = args.get(1).cloned().unwrap_or_default();
        return vec![Frame::Array(vec![Frame::bulk("pong"), Frame::Bulk(message)])];
    }
    vec![match args.len() {
        1 => Frame::Simple("PONG".into()),
        2 => Frame::bulk(args[1].clone()),
        _ => wrong_arity("ping"),
    }]
}

pub fn echo(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    Frame::bulk(args[1].clone())
}

pub fn select(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let index = match ranged_int_arg(&args[1], i32::MIN as i64, i32::MAX as i64) {
        Ok(index) => index,
        Err(reply) => return reply,
    };
    if index < 0 || index as usize >= ctx.keyspace.dbs.len() {
        return err("DB index is out of range");
    }
    ctx.client.db = index as usize;
    Frame::ok()
}

pub fn quit(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.quitting.insert(id);
    vec![Frame::ok()]
}

pub fn reset(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    if let Some(client) = server.clients.get_mut(&id) {
        client.end_transaction();
        client.state.db = 0;
        client.channels.clear();
        client.patterns.clear();
        client.shard_channels.clear();
        client.name.clear();
    }
    server.disable_tracking(id);
    // Back to the default user, who may need a password again.
    server.acl.sync_requirepass(server.settings.requirepass());
    let open = !server.acl.auth_required();
    if let Some(client) = server.clients.get_mut(&id) {
        client.authenticated = open;
        client.user = b"default".to_vec();
    }
    vec![Frame::Simple("RESET".into())]
}

pub fn monitor(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    if client.state.deny_blocking {
        return vec![err("MONITOR isn't allowed for DENY BLOCKING client")];
    }
    // A client already monitoring (or a replica) is ignored: no reply.
    if client.monitor || server.repl.replicas.contains_key(&id) {
        return Vec::new();
    }
    client.monitor = true;
    server.hints.monitoring = true;
    vec![Frame::ok()]
}

/// HELLO [2]: the connection's properties; RESP3 is not spoken here.
/// AUTH [username] password: the default user is the only user.
pub fn auth(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args.len() > 3 {
        return vec![super::syntax_error()];
    }
    server.acl.sync_requirepass(server.settings.requirepass());
    if args.len() == 2 && server.acl.default_user().is_some_and(|u| u.nopass()) {
        return vec![err("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")];
    }
    let (user, given): (&[u8], &[u8]) = if args.len() == 3 { (&args[1], &args[2]) } else { (b"default", &args[1]) };
    vec![authenticate(server, id, &args[0], user, given, now).unwrap_or_else(Frame::ok)]
}

/// Checks a user and password; on success the client is authenticated as
/// that user, otherwise the refusal (and an ACL LOG entry).
fn authenticate(server: &mut Server, id: ClientId, command: &[u8], user: &[u8], given: &[u8], now: Millis) -> Option<Frame> {
    server.acl.sync_requirepass(server.settings.requirepass());
    if !server.acl.credentials_ok(user, given) {
        super::acl::log_denial(server, id, crate::engine::acl::Denied::Auth, command.to_vec(), Some(user.to_vec()), now);
        return Some(Frame::error("WRONGPASS invalid username-password pair or user is disabled."));
    }
    if let Some(client) = server.clients.get_mut(&id) {
        client.authenticated = true;
        client.user = user.to_vec();
    }
    None
}

pub fn hello(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if let Some(version) = args.get(1) {
        match parse_i64(version) {
            None => return vec![err("Protocol version is not an integer or out of range")],
            Some(2) => {}
            Some(_) => return vec![Frame::error("NOPROTO unsupported protocol version")],
        }
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = 2;
    while j < args.len() {
        if eq_ignore_case(&args[j], "setname") && j + 1 < args.len() {
            name = Some(args[j + 1].clone());
            j += 2;
        } else if eq_ignore_case(&args[j], "auth") && j + 2 < args.len() {
            credentials = Some((args[j + 1].clone(), args[j + 2].clone()));
            j += 3;
        } else {
            return vec![err(&format!("Syntax error in HELLO option '{}'", String::from_utf8_lossy(&args[j])))];
        }
    }
    if let Some((user, given)) = credentials {
        if let Some(refused) = authenticate(server, id, &args[0], &user, &given, now) {
            return vec![refused];
        }
    }
    let open = !server.acl.auth_required();
    if !open && server.clients.get(&id).is_some_and(|c| !c.authenticated) {
        return vec![Frame::error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")];
    }
    if let Some(name) = name {
        if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
            return vec![err("Client names cannot contain spaces, newlines or special characters.")];
        }
        if let Some(client) = server.clients.get_mut(&id) {
            client.name = name;
        }
    }
    let role = if server.repl.master.is_some() { "replica" } else { "master" };
    vec![Frame::Array(vec![
        Frame::bulk("server"),
        Frame::bulk("redis"),
        Frame::bulk("version"),
        Frame::bulk("7.0.15"),
        Frame::bulk("proto"),
        Frame::Integer(2),
        Frame::bulk("id"),
        Frame::Integer(id as i64),
        Frame::bulk("mode"),
        Frame::bulk("standalone"),
        Frame::bulk("role"),
        Frame::bulk(role),
        Frame::bulk("modules"),
        Frame::Array(Vec::new()),
    ])]
}

pub fn client_id(_: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(id as i64)]
}

pub fn client_getname(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let name = server.clients.get(&id).map(|c| c.name.clone()).unwrap_or_default();
    vec![if name.is_empty() { Frame::Null } else { Frame::Bulk(name) }]
}

pub fn client_setname(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let name = &args[2];
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return vec![err("Client names cannot contain spaces, newlines or special characters.")];
    }
    if let Some(client) = server.clients.get_mut(&id) {
        client.name = name.clone();
    }
    vec![Frame::ok()]
}

pub fn client_info(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    vec![Frame::Bulk(format!("{}\n", server.client_line(id, id, args, now)).into_bytes())]
}

/// CLIENT LIST [TYPE type] [ID id...].
pub fn client_list(server: &mut Server, viewer: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let mut ids: Vec<ClientId> = server.clients.keys().copied().collect();
    let mut j = 2;
    while j < args.len() {
        if eq_ignore_case(&args[j], "type") && j + 1 < args.len() {
            let t = args[j + 1].to_ascii_lowercase();
            match t.as_slice() {
                b"normal" => ids.retain(|i| !server.clients[i].is_subscribed()),
                b"pubsub" => ids.retain(|i| server.clients[i].is_subscribed()),
                b"master" | b"replica" | b"slave" => ids.clear(),
                _ => return vec![err(&format!("Unknown client type '{}'", String::from_utf8_lossy(&args[j + 1])))],
            }
            j += 2;
        } else if eq_ignore_case(&args[j], "id") && j + 1 < args.len() {
            let mut wanted = Vec::new();
            for raw in &args[j + 1..] {
                match parse_i64(raw) {
                    Some(n) if n > 0 => wanted.push(n as u64),
                    _ => return vec![err("Invalid client ID")],
                }
            }
            ids.retain(|i| wanted.contains(i));
            j = args.len();
        } else {
            return vec![syntax_error()];
        }
    }
    let text: String = ids.iter().map(|&i| format!("{}\n", server.client_line(i, viewer, args, now))).collect();
    vec![Frame::Bulk(text.into_bytes())]
}

/// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked first, then the
/// timeout; a pause only ever grows (a later end, ALL over WRITE).
pub fn client_pause(server: &mut Server, _: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args.len() > 4 {
        return vec![super::subcommand_error(args)];
    }
    let all = match args.get(3).map(|m| m.to_ascii_lowercase()) {
        None => true,
        Some(mode) if mode == b"all" => true,
        Some(mode) if mode == b"write" => false,
        Some(_) => return vec![err("CLIENT PAUSE mode must be WRITE or ALL")],
    };
    let until = match parse_i64(&args[2]) {
        None => return vec![err("timeout is not an integer or out of range")],
        Some(ms) if ms < 0 => return vec![err("timeout is negative")],
        Some(ms) => match now.checked_add(ms) {
            Some(until) => until,
            None => return vec![err("timeout is out of range")],
        },
    };
    server.pause_clients(all, until);
    vec![Frame::ok()]
}

pub fn client_unpause(server: &mut Server, _: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    server.unpause_clients(now);
    vec![Frame::ok()]
}

/// CLIENT REPLY ON|OFF|SKIP: only ON answers (OK).
pub fn client_reply(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    use crate::engine::server::clients::ReplyMode;
    let Some(client) = server.clients.get_mut(&id) else { return Vec::new() };
    match args[2].to_ascii_lowercase().as_slice() {
        b"on" => {
            client.reply = ReplyMode::On;
            vec![Frame::ok()]
        }
        b"off" => {
            client.reply = ReplyMode::Off;
            Vec::new()
        }
        b"skip" => {
            if client.reply != ReplyMode::Off {
                client.reply = ReplyMode::SkipNext;
            }
            Vec::new()
        }
        _ => vec![super::syntax_error()],
    }
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client parked by a blocking
/// command (or WAIT) gets its timeout reply, or an UNBLOCKED error; 1 if
/// there was such a client.
pub fn client_unblock(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    if args.len() > 4 {
        return vec![super::subcommand_error(args)];
    }
    let Some(id) = parse_i64(&args[2]) else { return vec![super::not_an_integer()] };
    let as_error = match args.get(3).map(|m| m.to_ascii_lowercase()) {
        None => false,
        Some(m) if m == b"timeout" => false,
        Some(m) if m == b"error" => true,
        Some(_) => return vec![err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")],
    };
    let Some(client) = u64::try_from(id).ok().and_then(|id| server.clients.get_mut(&id)) else { return vec![Frame::Integer(0)] };
    let Some((_, request, _)) = client.blocked.take() else { return vec![Frame::Integer(0)] };
    client.waiting_acks = None;
    let reply = if as_error { Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK") } else { request.on_timeout };
    server.push_output(id as u64, reply.to_bytes());
    vec![Frame::Integer(1)]
}

/// CLIENT KILL addr, or CLIENT KILL with filters (ID, TYPE, ADDR,
/// LADDR, USER, SKIPME, MAXAGE).
pub fn client_kill(server: &mut Server, me: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let addr_of = |id: ClientId| format!("127.0.0.1:{}", client_port(id));
    if args.len() == 3 {
        let wanted = String::from_utf8_lossy(&args[2]).into_owned();
        let Some(id) = server.clients.keys().copied().find(|&id| addr_of(id) == wanted) else {
            return vec![err("No such client")];
        };
        server.kill_client(id, now);
        return vec![Frame::ok()];
    }
    if args.len() % 2 != 0 {
        return vec![syntax_error()];
    }
    let mut candidates: Vec<ClientId> = server.clients.keys().copied().collect();
    let mut skip_me = true;
    for pair in args[2..].chunks(2) {
        if let Err(reply) = kill_filter(server, &mut candidates, &mut skip_me, &pair[0], &pair[1]) {
            return vec![reply];
        }
    }
    if skip_me {
        candidates.retain(|&i| i != me);
    }
    let killed = candidates.len();
    for id in candidates {
        if id == me {
            server.quitting.insert(id);
        } else if id == MASTER_CLIENT {
            server.kill_master_link(now);
        } else {
            server.kill_client(id, now);
        }
    }
    vec![Frame::Integer(killed as i64)]
}

/// One `option value` filter of CLIENT KILL, narrowing the candidates.
fn kill_filter(server: &Server, candidates: &mut Vec<ClientId>, skip_me: &mut bool, option: &[u8], value: &[u8]) -> Result<(), Frame> {
    let addr_of = |id: ClientId| format!("127.0.0.1:{}", client_port(id));
    let text = String::from_utf8_lossy(value).into_owned();
    match option.to_ascii_lowercase().as_slice() {
        b"id" => match parse_i64(value) {
            Some(n) if n > 0 => candidates.retain(|&i| i == n as u64),
            _ => return Err(err("client-id should be greater than 0")),
        },
        b"type" => match text.to_ascii_lowercase().as_str() {
            "normal" => candidates.retain(|i| {
                !server.clients[i].is_subscribed() && !server.repl.replicas.contains_key(i) && *i != MASTER_CLIENT
            }),
            "pubsub" => candidates.retain(|i| server.clients[i].is_subscribed()),
            "replica" | "slave" => candidates.retain(|i| server.repl.replicas.contains_key(i)),
            "master" => candidates.retain(|i| *i == MASTER_CLIENT),
            _ => return Err(err(&format!("Unknown client type '{text}'"))),
        },
        b"addr" => candidates.retain(|&i| addr_of(i) == text),
        b"laddr" => {
            let local = format!("127.0.0.1:{}", server.port);
            candidates.retain(|_| local == text);
        }
        b"user" => {
            if text != "default" {
                return Err(err(&format!("No such user '{text}'")));
            }
        }
        b"skipme" => match text.to_ascii_lowercase().as_str() {
            "yes" => *skip_me = true,
            "no" => *skip_me = false,
            _ => return Err(syntax_error()),
        },
        b"maxage" => {
            if parse_i64(value).is_none() {
                return Err(super::not_an_integer());
            }
        }
        _ => return Err(syntax_error()),
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF.
pub fn client_no_evict(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let on = if eq_ignore_case(&args[2], "on") {
        true
    } else if eq_ignore_case(&args[2], "off") {
        false
    } else {
        return vec![super::syntax_error()];
    };
    if let Some(client) = server.clients.get_mut(&id) {
        client.no_evict = on;
    }
    vec![Frame::ok()]
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP], with Redis's checks in Redis's order.
pub fn client_tracking(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let mut mode = Tracking::default();
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if eq_ignore_case(opt, "redirect") && more > 0 {
            j += 1;
            if mode.redirect != 0 {
                return vec![err("A client can only redirect to a single other client")];
            }
            let Some(to) = parse_i64(&args[j]) else { return vec![err("value is not an integer or out of range")] };
            if to < 0 || !server.clients.contains_key(&(to as ClientId)) || to as ClientId == crate::engine::server::replication::MASTER_CLIENT {
                return vec![err("The client ID you want redirect to does not exist")];
            }
            mode.redirect = to as ClientId;
        } else if eq_ignore_case(opt, "bcast") {
            mode.bcast = true;
        } else if eq_ignore_case(opt, "optin") {
            mode.optin = true;
        } else if eq_ignore_case(opt, "optout") {
            mode.optout = true;
        } else if eq_ignore_case(opt, "noloop") {
            mode.noloop = true;
        } else if eq_ignore_case(opt, "prefix") && more > 0 {
            j += 1;
            prefixes.push(args[j].clone());
        } else {
            return vec![super::syntax_error()];
        }
        j += 1;
    }
    let current = server.clients.get(&id).and_then(|c| c.tracking.clone());
    if eq_ignore_case(&args[2], "off") {
        server.disable_tracking(id);
        return vec![Frame::ok()];
    }
    if !eq_ignore_case(&args[2], "on") {
        return vec![super::syntax_error()];
    }
    if !mode.bcast && !prefixes.is_empty() {
        return vec![err("PREFIX option requires BCAST mode to be enabled")];
    }
    if current.as_ref().is_some_and(|t| t.bcast != mode.bcast) {
        return vec![err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")];
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return vec![err("OPTIN and OPTOUT are not compatible with BCAST")];
    }
    if mode.optin && mode.optout {
        return vec![err("You can't specify both OPTIN mode and OPTOUT mode")];
    }
    if current.as_ref().is_some_and(|t| (mode.optin && t.optout) || (mode.optout && t.optin)) {
        return vec![err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")];
    }
    if mode.bcast {
        let existing = current.map(|t| t.prefixes).unwrap_or_default();
        let overlaps = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|e| overlaps(e, p)) {
                return vec![err(&format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(old)
                ))];
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
                return vec![err(&format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(other)
                ))];
            }
        }
    }
    mode.prefixes = prefixes.into_iter().collect();
    server.enable_tracking(id, mode);
    vec![Frame::ok()]
}

/// CLIENT GETREDIR: the redirect (0 for none), -1 when not tracking.
pub fn client_getredir(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let redirect = server.clients.get(&id).and_then(|c| c.tracking.as_ref()).map_or(-1, |t| t.redirect as i64);
    vec![Frame::Integer(redirect)]
}

pub fn client_trackinginfo(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let tracking = server.clients.get(&id).and_then(|c| c.tracking.clone());
    let mut flags = vec![Frame::bulk(if tracking.is_some() { "on" } else { "off" })];
    let mut prefixes = Vec::new();
    if let Some(t) = &tracking {
        let mut add = |on: bool, name: &str| {
            if on {
                flags.push(Frame::bulk(name));
            }
        };
        add(t.bcast, "bcast");
        add(t.optin, "optin");
        add(t.optin && t.caching, "caching-yes");
        add(t.optout, "optout");
        add(t.optout && t.caching, "caching-no");
        add(t.noloop, "noloop");
        add(t.broken_redirect, "broken_redirect");
        prefixes = t.prefixes.iter().map(|p| Frame::Bulk(p.clone())).collect();
    }
    vec![Frame::Array(vec![
        Frame::bulk("flags"),
        Frame::Array(flags),
        Frame::bulk("redirect"),
        Frame::Integer(tracking.map_or(-1, |t| t.redirect as i64)),
        Frame::bulk("prefixes"),
        Frame::Array(prefixes),
    ])]
}

/// CLIENT CACHING YES|NO: the next command's keys are (or are not) tracked.
pub fn client_caching(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(t) = server.clients.get_mut(&id).and_then(|c| c.tracking.as_mut()) else {
        return vec![err("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")];
    };
    if eq_ignore_case(&args[2], "yes") {
        if !t.optin {
            return vec![err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")];
        }
    } else if eq_ignore_case(&args[2], "no") {
        if !t.optout {
            return vec![err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")];
        }
    } else {
        return vec![super::syntax_error()];
    }
    t.caching = true;
    vec![Frame::ok()]
}
