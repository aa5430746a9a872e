//! ACL: the permission check every command goes through (with NOPERM and
//! an ACL LOG entry when refused) and the ACL command's subcommands
//! (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG, DRYRUN,
//! GENPASS, LOAD, SAVE). The users themselves are in server/acl.rs.

use super::table::CommandInfo;
use super::{err, int_arg, Frame};
use crate::engine::node::ClientId;
use crate::engine::acl::{Denied, LogEntry, CATEGORIES};
use crate::engine::server::Server;
use crate::engine::time::Millis;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Adds an ACL LOG entry for a refusal by client `id`.
pub(crate) fn log_denial(server: &mut Server, id: ClientId, reason: Denied, object: Vec<u8>, username: Option<Vec<u8>>, now: Millis) {
    let Some(client) = server.clients.get(&id) else { return };
    let context = if client.multi.is_some() { "multi" } else { "toplevel" };
    log_in_context(server, id, reason, object, username, context, now);
}

fn log_in_context(server: &mut Server, id: ClientId, reason: Denied, object: Vec<u8>, username: Option<Vec<u8>>, context: &'static str, now: Millis) {
    let Some(client) = server.clients.get(&id) else { return };
    let username = username.unwrap_or_else(|| client.user.clone());
    let client_info = server.client_line(id, ClientId::MAX, &[], now);
    let max_len = server.settings.int_or("acllog-max-len", 128).max(0) as usize;
    let entry = LogEntry { count: 1, reason, context, object, username, at: now, client_info };
    server.acl.add_log(entry, max_len);
}

fn check(server: &Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>]) -> Result<(), (Denied, usize)> {
    let Some(client) = server.clients.get(&id) else { return Ok(()) };
    match server.acl.users.get(&client.user) {
        Some(user) => user.check(info, args),
        // Its user was deleted: the connection is on its way out.
        None => Err((Denied::Command, 0)),
    }
}

fn logged_object(info: &CommandInfo, args: &[Vec<u8>], denied: Denied, at: usize) -> Vec<u8> {
    match denied {
        Denied::Command => info.name.as_bytes().to_vec(),
        _ => args.get(at).cloned().unwrap_or_default(),
    }
}

/// Whether the client's user may run this command; NOPERM otherwise.
pub(crate) fn permitted(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], now: Millis) -> Result<(), Frame> {
    let Err((denied, at)) = check(server, id, info, args) else { return Ok(()) };
    log_denial(server, id, denied, logged_object(info, args, denied, at), None, now);
    Err(Frame::error(match denied {
        Denied::Command => format!("NOPERM this user has no permissions to run the '{}' command", info.name),
        Denied::Key => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
        _ => "NOPERM this user has no permissions to access one of the channels used as arguments".into(),
    }))
}

/// The check on a command a script calls: Redis's own wording for
/// scripts, logged in the `lua` context.
pub(crate) fn permitted_in_script(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], now: Millis) -> Result<(), Frame> {
    let Err((denied, at)) = check(server, id, info, args) else { return Ok(()) };
    log_in_context(server, id, denied, logged_object(info, args, denied, at), None, "lua", now);
    Err(Frame::error(match denied {
        Denied::Command => "ERR The user executing the script can't run this command or subcommand",
        Denied::Key => "ERR The user executing the script can't access at least one of the keys mentioned in the command",
        _ => "ERR The user executing the script can't publish to the channel mentioned in the command",
    }))
}

/// `redis.acl_check_cmd`: whether the client's user may run it (no log).
pub(crate) fn allows(server: &Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>]) -> bool {
    check(server, id, info, args).is_ok()
}

/// The same check when EXEC runs a queued command.
pub(crate) fn permitted_in_exec(server: &mut Server, id: ClientId, info: &CommandInfo, args: &[Vec<u8>], now: Millis) -> Result<(), Frame> {
    let Err((denied, at)) = check(server, id, info, args) else { return Ok(()) };
    log_in_context(server, id, denied, logged_object(info, args, denied, at), None, "multi", now);
    let reason = match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key => "no permission to touch the specified keys",
        _ => "no permission to access one of the channels used as arguments",
    };
    Err(Frame::error(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
    )))
}

fn pubsub_all(server: &Server) -> bool {
    server.settings.value_of("acl-pubsub-default").is_some_and(|v| v == "allchannels")
}

pub fn setuser(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let name = &args[2];
    if name.iter().any(|&b| b.is_ascii_whitespace() || b == 0) {
        return vec![err("Usernames can't contain spaces or null characters")];
    }
    let all = pubsub_all(server);
    if let Err(message) = server.acl.set_user(name, &args[3..], all) {
        return vec![err(&message)];
    }
    drop_revoked_subscribers(server, id, name, now);
    vec![Frame::ok()]
}

/// Clients of `user` subscribed to what it may no longer use are closed,
/// as Redis closes them.
fn drop_revoked_subscribers(server: &mut Server, caller: ClientId, name: &[u8], now: Millis) {
    let Some(user) = server.acl.users.get(name) else { return };
    let revoked: Vec<ClientId> = server
        .clients
        .iter()
        .filter(|(_, c)| c.authenticated && c.user == name)
        .filter(|(_, c)| {
            c.channels.iter().chain(&c.shard_channels).any(|ch| !user.channel_allowed(ch, false))
                || c.patterns.iter().any(|p| !user.channel_allowed(p, true))
        })
        .map(|(id, _)| *id)
        .collect();
    for id in revoked {
        if id == caller {
            server.quitting.insert(id);
        } else {
            server.kill_client(id, now);
        }
    }
}

pub fn deluser(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if args[2..].iter().any(|n| n.as_slice() == b"default") {
        return vec![err("The 'default' user cannot be removed")];
    }
    let mut deleted = 0;
    for name in &args[2..] {
        if server.acl.users.remove(name).is_none() {
            continue;
        }
        deleted += 1;
        // Its connections go (the caller's after this reply).
        let users: Vec<ClientId> = server.clients.iter().filter(|(_, c)| c.user == *name).map(|(i, _)| *i).collect();
        for client in users {
            if client == id {
                server.quitting.insert(client);
            } else {
                server.kill_client(client, now);
            }
        }
    }
    vec![Frame::Integer(deleted)]
}

fn bulk(s: impl Into<Vec<u8>>) -> Frame {
    Frame::Bulk(s.into())
}

pub fn getuser(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(user) = server.acl.users.get(&args[2]) else { return vec![Frame::Null] };
    let mut out = vec![
        bulk("flags"),
        Frame::Array(user.flag_names().into_iter().map(bulk).collect()),
        bulk("passwords"),
        Frame::Array(user.passwords.iter().map(|p| bulk(p.as_str())).collect()),
    ];
    for (name, value) in user.root().fields() {
        out.push(bulk(name));
        out.push(bulk(value));
    }
    out.push(bulk("selectors"));
    out.push(Frame::Array(
        user.selectors[1..]
            .iter()
            .map(|s| Frame::Array(s.fields().into_iter().flat_map(|(n, v)| [bulk(n), bulk(v)]).collect()))
            .collect(),
    ));
    vec![Frame::Array(out)]
}

pub fn list(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Array(server.acl.users.values().map(|u| bulk(format!("user {} {}", text(&u.name), u.describe()))).collect())]
}

pub fn users(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Array(server.acl.users.keys().map(|n| bulk(n.clone())).collect())]
}

pub fn whoami(server: &mut Server, id: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![server.clients.get(&id).map_or(Frame::Null, |c| bulk(c.user.clone()))]
}

pub fn cat(_: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(category) = args.get(2) else { return vec![Frame::Array(CATEGORIES.iter().map(|c| bulk(*c)).collect())] };
    let wanted = text(category).to_ascii_lowercase();
    if !CATEGORIES.contains(&wanted.as_str()) {
        let shown: String = text(category).chars().take(128).collect();
        return vec![err(&format!("Unknown category '{shown}'"))];
    }
    let names = super::table::all_commands().filter(|c| c.acl_categories.iter().any(|x| *x == wanted)).map(|c| bulk(c.name.as_str()));
    vec![Frame::Array(names.collect())]
}

pub fn genpass(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let bits = match args.get(2).map(|a| int_arg(a)) {
        None => 256,
        Some(Ok(n)) => n,
        Some(Err(e)) => return vec![e],
    };
    if bits <= 0 || bits > 4096 {
        return vec![err("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")];
    }
    let chars = ((bits + 3) / 4) as usize;
    let hex: String = (0..chars).map(|_| char::from(b"0123456789abcdef"[server.rng.below(16) as usize])).collect();
    vec![bulk(hex)]
}

pub fn log(server: &mut Server, _: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let mut count: i64 = 10;
    if let Some(arg) = args.get(2) {
        if arg.eq_ignore_ascii_case(b"reset") {
            server.acl.log.clear();
            return vec![Frame::ok()];
        }
        count = match int_arg(arg) {
            Ok(n) => n.max(0),
            Err(e) => return vec![e],
        };
    }
    let entries = server
        .acl
        .log
        .iter()
        .take(count as usize)
        .map(|e| {
            let age = (now - e.at) as f64 / 1000.0;
            Frame::Array(vec![
                bulk("count"),
                Frame::Integer(e.count as i64),
                bulk("reason"),
                bulk(e.reason_name()),
                bulk("context"),
                bulk(e.context),
                bulk("object"),
                bulk(e.object.clone()),
                bulk("username"),
                bulk(e.username.clone()),
                bulk("age-seconds"),
                bulk(crate::engine::numfmt::fmt_g17(age)),
                bulk("client-info"),
                bulk(e.client_info.as_str()),
            ])
        })
        .collect();
    vec![Frame::Array(entries)]
}

pub fn dryrun(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(user) = server.acl.users.get(&args[2]) else {
        return vec![err(&format!("User '{}' not found", text(&args[2])))];
    };
    let command = &args[3..];
    let Some(Ok(info)) = super::table::lookup(command) else {
        return vec![err(&format!("Command '{}' not found", text(&args[3])))];
    };
    let argc = command.len() as i64;
    if (info.arity > 0 && info.arity != argc) || argc < -info.arity {
        return vec![err(&format!("wrong number of arguments for '{}' command", info.name))];
    }
    match user.check(info, command) {
        Ok(()) => vec![Frame::ok()],
        Err((Denied::Command, _)) => vec![bulk(format!("This user has no permissions to run the '{}' command", info.name))],
        Err((Denied::Key, at)) => vec![bulk(format!("This user has no permissions to access the '{}' key", text(&command[at])))],
        Err((_, at)) => vec![bulk(format!("This user has no permissions to access the '{}' channel", text(&command[at])))],
    }
}

const NO_ACL_FILE: &str = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// ACL LOAD: the file's users replace the current ones; connections of
/// users other than the default one are closed, as Redis frees them.
pub fn load(server: &mut Server, id: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    if server.acl_file_path().is_none() {
        return vec![err(NO_ACL_FILE)];
    }
    let name = server.acl_file_name();
    let Some(content) = server.acl_file.clone() else {
        return vec![err(&format!("Error loading ACLs, opening file '{name}': No such file or directory"))];
    };
    if let Err(errors) = server.acl.load_file(&name, &content, pubsub_all(server)) {
        return vec![err(&errors)];
    }
    let others: Vec<ClientId> = server.clients.iter().filter(|(_, c)| c.user != b"default").map(|(i, _)| *i).collect();
    for client in others {
        if client == id {
            server.quitting.insert(client);
        } else {
            server.kill_client(client, now);
        }
    }
    vec![Frame::ok()]
}

/// ACL SAVE: every user as a `user` line, to the file on the node's disk.
pub fn save(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let Some(path) = server.acl_file_path() else { return vec![err(NO_ACL_FILE)] };
    let text = server.acl.file_text();
    server.acl_file = Some(text.clone());
    server.outputs.push_back(crate::engine::node::Output::DiskWrite { path, bytes: text });
    vec![Frame::ok()]
}
