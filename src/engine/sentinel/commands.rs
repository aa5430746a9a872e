//! The commands a client can send redis-sentinel: SENTINEL and its
//! subcommands, INFO, ROLE, PING, pub/sub on Sentinel's event channels,
//! CLIENT and SHUTDOWN, with redis-sentinel's replies and refusals.

use super::instance::{status_word, Instance, Master, Role};
use super::Sentinel;
use crate::engine::info;
use crate::engine::time::Millis;
use crate::engine::resp::{parse_frame, Frame};
use crate::engine::client_info::{ClientLine, QUERY_READ_BUFFER};
use crate::engine::node::{ClientId, Output};

pub(super) fn bulk(text: impl Into<String>) -> Frame {
    Frame::bulk(text.into().into_bytes())
}

pub(super) fn err(text: impl Into<String>) -> Frame {
    Frame::Error(text.into())
}

pub(super) fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

pub(super) fn lower(arg: &[u8]) -> String {
    text(arg).to_ascii_lowercase()
}

/// Redis's refusal of a command it does not know.
fn unknown_command(args: &[Vec<u8>]) -> Frame {
    let shown: String = args[1..].iter().map(|a| format!("'{}' ", text(&a[..a.len().min(128)]))).collect();
    err(format!("ERR unknown command '{}', with args beginning with: {shown}", text(&args[0])))
}

fn arity(name: &str) -> Frame {
    err(format!("ERR wrong number of arguments for '{name}' command"))
}

/// SENTINEL subcommands with their arity (negative: at least).
const SUBCOMMANDS: &[(&str, i64)] = &[
    ("ckquorum", 3),
    ("config", -3),
    ("debug", -2),
    ("help", 2),
    ("simulate-failure", -3),
    ("failover", 3),
    ("flushconfig", 2),
    ("get-master-addr-by-name", 3),
    ("info-cache", -3),
    ("is-master-down-by-addr", 6),
    ("master", 3),
    ("masters", 2),
    ("monitor", 6),
    ("myid", 2),
    ("pending-scripts", 2),
    ("remove", 3),
    ("replicas", 3),
    ("reset", 3),
    ("sentinels", 3),
    ("set", -5),
    ("slaves", 3),
];

impl Sentinel {
    /// One command: its replies, and whether the connection closes after them.
    pub(super) fn dispatch(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> (Vec<Frame>, bool) {
        let name = lower(&args[0]);
        if let Some(client) = self.clients.get_mut(&id) {
            client.last_command = full_name(args);
        }
        let subscribed = self.clients.get(&id).is_some_and(|c| !c.channels.is_empty() || !c.patterns.is_empty());
        let allowed_subscribed = ["subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"];
        if subscribed && !allowed_subscribed.contains(&name.as_str()) {
            return (
                vec![err(format!(
                    "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
                ))],
                false,
            );
        }
        let reply = match name.as_str() {
            "ping" => match args.len() {
                1 if subscribed => Frame::Array(vec![bulk("pong"), bulk("")]),
                1 => Frame::Simple("PONG".into()),
                2 if subscribed => Frame::Array(vec![bulk("pong"), Frame::bulk(args[1].clone())]),
                2 => Frame::bulk(args[1].clone()),
                _ => arity("ping"),
            },
            "sentinel" => self.sentinel_command(args, now),
            "info" => self.info_command(args, now),
            "role" if args.len() == 1 => Frame::Array(vec![bulk("sentinel"), Frame::Array(self.masters.keys().map(|n| bulk(n.clone())).collect())]),
            "role" => arity("role"),
            "publish" if args.len() == 3 => {
                if args[1] != super::HELLO_CHANNEL.as_bytes() {
                    err("ERR Only HELLO messages are accepted by Sentinel instances.")
                } else {
                    self.process_hello(&text(&args[2]), now);
                    Frame::Integer(1)
                }
            }
            "publish" => arity("publish"),
            "subscribe" | "psubscribe" if args.len() >= 2 => return (self.subscribe(id, args, name == "psubscribe"), false),
            "subscribe" | "psubscribe" => arity(&name),
            "unsubscribe" | "punsubscribe" => return (self.unsubscribe(id, args, name == "punsubscribe"), false),
            "client" => self.client_command(id, args, now),
            "shutdown" => {
                self.log_line(now, '#', "User requested shutdown...".into());
                self.log_line(now, '#', "Sentinel is now ready to exit, bye bye...".into());
                self.stop();
                return (Vec::new(), true);
            }
            "quit" => return (vec![Frame::ok()], true),
            "command" => command_command(args),
            "hello" => self.hello(id, args),
            "auth" => err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"),
            _ => unknown_command(args),
        };
        (vec![reply], false)
    }

    /// HELLO [2] [SETNAME name]: the connection's properties (RESP3 is
    /// not spoken here).
    fn hello(&mut self, id: ClientId, args: &[Vec<u8>]) -> Frame {
        if let Some(version) = args.get(1) {
            match text(version).parse::<i64>() {
                Err(_) => return err("ERR Protocol version is not an integer or out of range"),
                Ok(2) => {}
                Ok(_) => return err("NOPROTO unsupported protocol version"),
            }
        }
        let mut j = 2;
        while j < args.len() {
            if lower(&args[j]) == "setname" && j + 1 < args.len() {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.name = args[j + 1].clone();
                }
                j += 2;
            } else if lower(&args[j]) == "auth" && j + 2 < args.len() {
                j += 3;
            } else {
                return err(format!("ERR Syntax error in HELLO option '{}'", text(&args[j])));
            }
        }
        Frame::Array(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("7.0.15"),
            bulk("proto"),
            Frame::Integer(2),
            bulk("id"),
            Frame::Integer(id as i64),
            bulk("mode"),
            bulk("sentinel"),
            bulk("modules"),
            Frame::Array(Vec::new()),
        ])
    }

    fn subscribe(&mut self, id: ClientId, args: &[Vec<u8>], pattern: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if pattern { "psubscribe" } else { "subscribe" };
        let mut replies = Vec::new();
        for channel in &args[1..] {
            let list = if pattern { &mut client.patterns } else { &mut client.channels };
            if !list.contains(channel) {
                list.push(channel.clone());
            }
            let count = (client.channels.len() + client.patterns.len()) as i64;
            replies.push(Frame::Array(vec![bulk(kind), Frame::bulk(channel.clone()), Frame::Integer(count)]));
        }
        replies
    }

    fn unsubscribe(&mut self, id: ClientId, args: &[Vec<u8>], pattern: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if pattern { "punsubscribe" } else { "unsubscribe" };
        let names: Vec<Vec<u8>> =
            if args.len() > 1 { args[1..].to_vec() } else if pattern { client.patterns.clone() } else { client.channels.clone() };
        if names.is_empty() {
            let count = (client.channels.len() + client.patterns.len()) as i64;
            return vec![Frame::Array(vec![bulk(kind), Frame::Null, Frame::Integer(count)])];
        }
        let mut replies = Vec::new();
        for channel in names {
            let list = if pattern { &mut client.patterns } else { &mut client.channels };
            list.retain(|c| *c != channel);
            let count = (client.channels.len() + client.patterns.len()) as i64;
            replies.push(Frame::Array(vec![bulk(kind), Frame::bulk(channel), Frame::Integer(count)]));
        }
        replies
    }

    fn client_command(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Frame {
        let sub = args.get(1).map(|a| lower(a)).unwrap_or_default();
        match (sub.as_str(), args.len()) {
            (_, 1) => arity("client"),
            ("setname", 3) => {
                if args[2].iter().any(|&b| b <= b' ' || b > b'~') {
                    return err("ERR Client names cannot contain spaces, newlines or special characters.");
                }
                if let Some(c) = self.clients.get_mut(&id) {
                    c.name = args[2].clone();
                }
                Frame::ok()
            }
            ("getname", 2) => match self.clients.get(&id) {
                Some(c) if !c.name.is_empty() => Frame::bulk(c.name.clone()),
                _ => Frame::Null,
            },
            ("id", 2) => Frame::Integer(id as i64),
            ("list", 2) | ("info", 2) => {
                let line = |cid: ClientId, c: &super::Client| {
                    let flags = if c.channels.is_empty() && c.patterns.is_empty() { "N" } else { "P" };
                    ClientLine {
                        id: cid,
                        port: self.port,
                        name: &c.name,
                        age: (now - c.connected_at).max(0) / 1000,
                        idle: (now - c.last_command_at).max(0) / 1000,
                        flags,
                        db: 0,
                        sub: c.channels.len(),
                        psub: c.patterns.len(),
                        ssub: 0,
                        multi: -1,
                        cmd: &c.last_command,
                        running: (cid == id).then_some(args),
                        user: b"default",
                        query_buffer: if cid == id { QUERY_READ_BUFFER } else { 0 },
                        pending: 0,
                    }
                    .render()
                        + "\n"
                };
                let text: String = if sub == "info" {
                    self.clients.get(&id).map(|c| line(id, c)).unwrap_or_default()
                } else {
                    self.clients.iter().map(|(&cid, c)| line(cid, c)).collect()
                };
                Frame::bulk(text)
            }
            ("kill", 3) => {
                let addr = text(&args[2]);
                let victim = self.clients.keys().copied().find(|cid| format!("127.0.0.1:{}", 40000 + cid) == addr);
                match victim {
                    Some(v) => {
                        self.clients.remove(&v);
                        self.outputs.push_back(Output::Close { conn: crate::engine::node::Conn::Client(v) });
                        Frame::ok()
                    }
                    None => err("ERR No such client"),
                }
            }
            ("setname", _) | ("getname", _) | ("id", _) | ("list", _) | ("info", _) => arity(&format!("client|{sub}")),
            _ => err(format!("ERR unknown subcommand '{}'. Try CLIENT HELP.", text(&args[1]))),
        }
    }

    /// INFO: the server sections a redis-sentinel has, then its own.
    fn info_command(&self, args: &[Vec<u8>], now: Millis) -> Frame {
        const SECTIONS: &[&str] = &["server", "clients", "stats", "cpu", "sentinel"];
        let asked: Vec<String> = args[1..].iter().map(|a| lower(a)).collect();
        let all = asked.is_empty() || asked.iter().any(|a| a == "all" || a == "everything" || a == "default");
        let wanted: Vec<&str> = SECTIONS.iter().copied().filter(|s| all || asked.iter().any(|a| a == s)).collect();
        let channels: std::collections::BTreeSet<&Vec<u8>> = self.clients.values().flat_map(|c| c.channels.iter()).collect();
        let figures = info::Figures {
            port: self.port,
            run_id: &self.myid,
            process_id: self.process_id,
            now,
            started_at: self.started_at,
            connected_clients: self.clients.len(),
            blocked_clients: 0,
            clients_in_timeout_table: 0,
            changes_since_save: 0,
            last_save: self.started_at,
            pubsub_channels: channels.len(),
            pubsub_patterns: self.clients.values().map(|c| c.patterns.len()).sum(),
            pubsubshard_channels: 0,
            migrate_cached_sockets: 0,
            tracking: [0; 4],
            dataset_bytes: 0,
            peak_memory: 0,
            cached_scripts: 0,
            scripts_memory: 0,
            functions: (0, 0, 200),
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            evicted_keys: 0,
            dbs: Vec::new(),
            stats: &self.stats,
            persistence: info::PersistenceFigures::default(),
            replication: Vec::new(),
            sentinel: Some(self.hz),
        };
        let mut sections: Vec<String> = Vec::new();
        let server_sections: Vec<&str> = wanted.iter().copied().filter(|s| *s != "sentinel").collect();
        if !server_sections.is_empty() {
            sections.push(info::render(&server_sections, &figures));
        }
        if wanted.contains(&"sentinel") {
            let mut lines = vec![
                "# Sentinel".to_string(),
                format!("sentinel_masters:{}", self.masters.len()),
                "sentinel_tilt:0".into(),
                "sentinel_tilt_since_seconds:-1".into(),
                "sentinel_running_scripts:0".into(),
                "sentinel_scripts_queue_length:0".into(),
                format!("sentinel_simulate_failure_flags:{}", self.simulate_failure_flags),
            ];
            for (i, m) in self.masters.values().enumerate() {
                lines.push(format!(
                    "master{i}:name={},status={},address={}:{},slaves={},sentinels={}",
                    m.inst.name,
                    status_word(&m.inst),
                    m.inst.host,
                    m.inst.port,
                    m.slaves.len(),
                    m.sentinels.len() + 1
                ));
            }
            sections.push(lines.join("\r\n") + "\r\n");
        }
        Frame::bulk(sections.join("\r\n"))
    }

    fn master_or_err(&self, name: &[u8]) -> Result<&Master, Frame> {
        self.masters.get(&text(name)).ok_or_else(|| err("ERR No such master with that name"))
    }

    fn sentinel_command(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        if args.len() < 2 {
            return arity("sentinel");
        }
        let sub = lower(&args[1]);
        let Some(&(_, want)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
            return err(format!("ERR unknown subcommand '{}'. Try SENTINEL HELP.", text(&args[1])));
        };
        let n = args.len() as i64;
        if (want > 0 && n != want) || (want < 0 && n < -want) {
            return arity(&format!("sentinel|{sub}"));
        }
        match sub.as_str() {
            "masters" => Frame::Array(self.masters.values().map(|m| instance_reply(m, &m.inst, now)).collect()),
            "master" => match self.master_or_err(&args[2]) {
                Ok(m) => instance_reply(m, &m.inst, now),
                Err(e) => e,
            },
            "replicas" | "slaves" => match self.master_or_err(&args[2]) {
                Ok(m) => Frame::Array(m.slaves.values().map(|s| instance_reply(m, s, now)).collect()),
                Err(e) => e,
            },
            "sentinels" => match self.master_or_err(&args[2]) {
                Ok(m) => Frame::Array(m.sentinels.values().map(|s| instance_reply(m, s, now)).collect()),
                Err(e) => e,
            },
            "myid" => bulk(self.myid.clone()),
            "get-master-addr-by-name" => match self.masters.get(&text(&args[2])) {
                None => Frame::NullArray,
                Some(m) => {
                    let (host, port) = m.current_address();
                    Frame::Array(vec![bulk(host), bulk(port.to_string())])
                }
            },
            "is-master-down-by-addr" => self.is_master_down_by_addr(args, now),
            "reset" => self.reset_masters(args, now),
            "failover" => self.user_failover(args, now),
            "pending-scripts" => Frame::Array(Vec::new()),
            "monitor" => self.monitor(args, now),
            "flushconfig" => {
                self.flush_config(now);
                Frame::ok()
            }
            "remove" => self.remove_master(args, now),
            "ckquorum" => match self.master_or_err(&args[2]) {
                Err(e) => e,
                Ok(m) => {
                    let voters = m.sentinels.len() as i64 + 1;
                    let usable = 1 + m.sentinels.values().filter(|s| !s.s_down && !s.o_down).count() as i64;
                    let no_quorum = usable < m.quorum;
                    let no_auth = usable < voters / 2 + 1;
                    if !no_quorum && !no_auth {
                        Frame::Simple(format!("OK {usable} usable Sentinels. Quorum and failover authorization can be reached"))
                    } else {
                        let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
                        if no_quorum {
                            e += "Not enough available Sentinels to reach the specified quorum for this master";
                        }
                        if no_auth {
                            if no_quorum {
                                e += ". ";
                            }
                            e += "Not enough available Sentinels to reach the majority and authorize a failover";
                        }
                        err(e)
                    }
                }
            },
            "set" => self.set_command(args, now),
            "config" => self.sentinel_config(args, now),
            "info-cache" => self.info_cache(args, now),
            "help" => help_reply(),
            "debug" => self.debug_command(args),
            "simulate-failure" => self.simulate_failure(args, now),
            _ => err(format!("ERR unknown subcommand '{}'. Try SENTINEL HELP.", text(&args[1]))),
        }
    }

}

/// One instance as SENTINEL MASTER / REPLICAS / SENTINELS show it.
fn instance_reply(m: &Master, i: &Instance, now: Millis) -> Frame {
    let mut f: Vec<(&str, String)> =
        vec![("name", i.name.clone()), ("ip", i.host.clone()), ("port", i.port.to_string()), ("runid", i.runid.clone().unwrap_or_default())];
    let mut flags = Vec::new();
    let is_master = std::ptr::eq(i, &m.inst);
    if i.s_down {
        flags.push("s_down");
    }
    if i.o_down {
        flags.push("o_down");
    }
    flags.push(i.kind());
    if i.disconnected() {
        flags.push("disconnected");
    }
    if i.master_down {
        flags.push("master_down");
    }
    if is_master && m.failover_in_progress {
        flags.push("failover_in_progress");
    }
    if i.promoted {
        flags.push("promoted");
    }
    if i.reconf_sent {
        flags.push("reconf_sent");
    }
    if i.reconf_inprog {
        flags.push("reconf_inprog");
    }
    if i.reconf_done {
        flags.push("reconf_done");
    }
    if is_master && m.force_failover {
        flags.push("force_failover");
    }
    f.push(("flags", flags.join(",")));
    f.push(("link-pending-commands", i.link.pending_commands.to_string()));
    f.push(("link-refcount", "1".into()));
    if is_master && m.failover_in_progress {
        f.push(("failover-state", m.failover_state.name().into()));
    }
    f.push(("last-ping-sent", if i.link.act_ping_time != 0 { now - i.link.act_ping_time } else { 0 }.to_string()));
    f.push(("last-ok-ping-reply", (now - i.link.last_avail_time).to_string()));
    f.push(("last-ping-reply", (now - i.link.last_pong_time).to_string()));
    if i.s_down {
        f.push(("s-down-time", (now - i.s_down_since).to_string()));
    }
    if i.o_down {
        f.push(("o-down-time", (now - i.o_down_since).to_string()));
    }
    f.push(("down-after-milliseconds", i.down_after.to_string()));
    if i.role != Role::Sentinel {
        f.push(("info-refresh", if i.info_refresh != 0 { now - i.info_refresh } else { 0 }.to_string()));
        f.push(("role-reported", if i.role_reported == Role::Master { "master" } else { "slave" }.into()));
        f.push(("role-reported-time", (now - i.role_reported_time).to_string()));
    }
    if is_master {
        f.push(("config-epoch", m.config_epoch.to_string()));
        f.push(("num-slaves", m.slaves.len().to_string()));
        f.push(("num-other-sentinels", m.sentinels.len().to_string()));
        f.push(("quorum", m.quorum.to_string()));
        f.push(("failover-timeout", m.failover_timeout.to_string()));
        f.push(("parallel-syncs", m.parallel_syncs.to_string()));
    }
    if i.role == Role::Slave {
        f.push(("master-link-down-time", i.master_link_down_time.to_string()));
        f.push(("master-link-status", if i.slave_master_link_up { "ok" } else { "err" }.into()));
        f.push(("master-host", i.slave_master_host.clone().unwrap_or_else(|| "?".into())));
        f.push(("master-port", i.slave_master_port.to_string()));
        f.push(("slave-priority", i.slave_priority.to_string()));
        f.push(("slave-repl-offset", i.slave_repl_offset.to_string()));
        f.push(("replica-announced", (i.replica_announced as i64).to_string()));
    }
    if i.role == Role::Sentinel {
        f.push(("last-hello-message", (now - i.last_hello_time).to_string()));
        f.push(("voted-leader", i.leader.clone().unwrap_or_else(|| "?".into())));
        f.push(("voted-leader-epoch", i.leader_epoch.to_string()));
    }
    Frame::Array(f.into_iter().flat_map(|(k, v)| [bulk(k), bulk(v)]).collect())
}

/// SENTINEL HELP, as redis-sentinel 7.0.15 answers it (recorded by
/// scripts/record-command-table.py).
fn help_reply() -> Frame {
    const REPLY: &[u8] = include_bytes!("recorded/help.resp");
    parse_frame(REPLY).ok().flatten().map(|(f, _)| f).unwrap_or_else(|| err("ERR the recorded SENTINEL HELP is unreadable"))
}

/// redis-sentinel's command table (its COMMAND reply, recorded), parsed
/// once: every command a client sends looks its name up here.
fn command_table() -> &'static [Frame] {
    static TABLE: std::sync::OnceLock<Vec<Frame>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        const REPLY: &[u8] = include_bytes!("recorded/command.resp");
        match parse_frame(REPLY).ok().flatten() {
            Some((Frame::Array(entries), _)) => entries,
            _ => Vec::new(),
        }
    })
}

/// A command's full name as CLIENT LIST shows it: `sentinel|masters` for a
/// known subcommand of a container, else the command's own name.
fn full_name(args: &[Vec<u8>]) -> String {
    let name = lower(&args[0]);
    let Some(sub) = args.get(1).map(|a| lower(a)) else { return name };
    let wanted = format!("{name}|{sub}");
    // Each entry's subcommands are its last field, entries named in full.
    let known = command_table().iter().any(|entry| match entry {
        Frame::Array(fields) => fields.last().is_some_and(|subs| match subs {
            Frame::Array(subs) => subs.iter().any(|s| entry_name(s).is_some_and(|n| n.eq_ignore_ascii_case(wanted.as_bytes()))),
            _ => false,
        }),
        _ => false,
    });
    if known { wanted } else { name }
}

fn entry_name(entry: &Frame) -> Option<&[u8]> {
    match entry {
        Frame::Array(fields) => match fields.first() {
            Some(Frame::Bulk(name)) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// COMMAND, COUNT, LIST and INFO over the commands a Sentinel has.
fn command_command(args: &[Vec<u8>]) -> Frame {
    let table = command_table();
    let sub = args.get(1).map(|a| lower(a));
    match (sub.as_deref(), args.len()) {
        (None, _) | (Some("info"), 2) => Frame::Array(table.to_vec()),
        (Some("count"), 2) => Frame::Integer(table.len() as i64),
        (Some("list"), 2) => Frame::Array(table.iter().filter_map(entry_name).map(|n| Frame::bulk(n.to_vec())).collect()),
        (Some("info"), _) => Frame::Array(
            args[2..]
                .iter()
                .map(|want| {
                    table
                        .iter()
                        .find(|e| entry_name(e).is_some_and(|n| n.eq_ignore_ascii_case(want)))
                        .cloned()
                        .unwrap_or(Frame::NullArray)
                })
                .collect(),
        ),
        (Some(s @ ("count" | "list")), _) => arity(&format!("command|{s}")),
        (Some(_), _) => err(format!("ERR unknown subcommand '{}'. Try COMMAND HELP.", text(&args[1]))),
    }
}
