//! One virtual Redis server as a sans-IO state machine: clients connect,
//! their bytes come in, reply bytes go out, and `cron` runs its periodic
//! work. It owns no socket and no clock: the caller passes virtual time.

use std::collections::BTreeMap;

use super::commands::{self, err, ClientState, Ctx, Resolved};
use super::config::Config;
use super::keyspace::Keyspace;
use super::time::Millis;
use super::log::{Log, LogLine};
use super::resp::{Frame, RequestParser};
use super::rng::Rng;
use super::disk::Disk;
use super::info::{self, Stats};
pub use super::persistence::Persistence;
use super::replication::{LinkState, Replication, MASTER_CLIENT, SYNTHESIZED_CACHED_MASTER};
use super::params::Settings;

pub type ClientId = u64;

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

#[derive(Debug, Default)]
struct Client {
    state: ClientState,
    input: RequestParser,
    /// Commands queued since MULTI.
    multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command failed its checks while queueing: EXEC answers EXECABORT.
    multi_error: bool,
    /// WATCHed keys: (db, key, already expired when watched).
    watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key changed: EXEC answers nil.
    dirty_cas: bool,
    /// Parked by a blocking command: (the command, what it waits for, since).
    blocked: Option<(Vec<Vec<u8>>, commands::BlockRequest, Millis)>,
    /// Pub/sub subscriptions, in the order they were made.
    channels: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    /// CLIENT SETNAME.
    name: Vec<u8>,
    /// In MONITOR mode: it is sent every command the server runs.
    monitor: bool,
    connected_at: Millis,
    last_command_at: Millis,
    /// Full name of the last command (CLIENT LIST's `cmd=`).
    last_command: &'static str,
    /// The replication offset after this client's last write (for WAIT).
    woff: i64,
    /// WAIT: (offset, replicas wanted, deadline).
    waiting_acks: Option<(i64, i64, Option<Millis>)>,
}

impl Client {
    fn subscriptions(&self) -> i64 {
        (self.channels.len() + self.patterns.len()) as i64
    }
}

/// One client as CLIENT LIST and CLIENT INFO show it (redis-server and
/// redis-sentinel write the same line).
pub(crate) struct ClientLine<'a> {
    pub id: ClientId,
    pub port: u16,
    pub name: &'a [u8],
    pub age: Millis,
    pub idle: Millis,
    pub flags: &'a str,
    pub db: usize,
    pub sub: usize,
    pub psub: usize,
    pub multi: i64,
    /// The full name of its last command (`client|list`).
    pub cmd: &'a str,
    /// The command being run, when the client is the one asking.
    pub running: Option<&'a [Vec<u8>]>,
}

impl ClientLine<'_> {
    pub(crate) fn render(&self) -> String {
        let (qbuf, argv_mem) = match self.running {
            Some(args) => {
                let mut bytes = Vec::new();
                crate::engine::resp::encode_command(args, &mut bytes);
                (bytes.len(), args.iter().map(Vec::len).sum::<usize>())
            }
            None => (0, 0),
        };
        let qbuf_free = if qbuf > 0 { 20474 - qbuf.min(20474) } else { 0 };
        format!(
            "id={} addr=127.0.0.1:{} laddr=127.0.0.1:{} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp=2",
            self.id,
            40_000 + self.id,
            self.port,
            7 + self.id,
            String::from_utf8_lossy(self.name),
            self.age,
            self.idle,
            self.flags,
            self.db,
            self.sub,
            self.psub,
            self.multi,
            16_384 + qbuf + qbuf_free + argv_mem + 790,
            if self.cmd.is_empty() { "NULL" } else { self.cmd },
        )
    }
}

/// What came out of feeding a client's bytes to the server.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub reply: Vec<u8>,
    /// The server closes the connection after sending `reply` (protocol error).
    pub close: bool,
}

pub struct Server {
    pub port: u16,
    pub config: Config,
    pub keyspace: Keyspace,
    pub run_id: String,
    pub started_at: Millis,
    pub settings: Settings,
    clients: BTreeMap<ClientId, Client>,
    next_client_id: ClientId,
    /// DEBUG SLEEP: until then the process reads, answers and sends nothing.
    asleep_until: Option<Millis>,
    /// Replies held back until the sleep ends (the sleeper's among them).
    replies_after_sleep: Vec<(ClientId, Vec<u8>)>,
    pub(crate) dirty: u64,
    rng: Rng,
    /// Replies produced outside `receive` (served blocked clients), in order.
    outbox: Vec<(ClientId, Vec<u8>)>,
    pub stats: Stats,
    /// Both sides of replication (see replication.rs).
    pub repl: Replication,
    /// REPLCONF listening-port values, by connection, until PSYNC.
    pub(crate) pending_ports: BTreeMap<ClientId, u16>,
    process_id: u32,
    pub(crate) last_save: Millis,
    /// The config file after CONFIG REWRITE, for the machine to keep.
    pub(crate) rewritten_config: Option<Vec<String>>,
    /// The config file's lines as the server was started with them.
    pub config_lines: Vec<String>,
    /// Connections closed by CLIENT KILL, for the network to notice.
    killed: Vec<ClientId>,
    /// Clients that sent QUIT: closed once the OK is written.
    quitting: std::collections::BTreeSet<ClientId>,
    /// The node's disk, for SAVE, BGSAVE and loading at start.
    pub disk: Disk,
    pub persistence: Persistence,
    /// Set by SHUTDOWN: the process is gone once the command returns.
    pub stopped: bool,
    pub log: Log,
}

impl Server {
    /// `seed` feeds the node's own random choices (SPOP, RANDOMKEY...).
    pub fn new(port: u16, config: Config, run_id: String, seed: u64, now: Millis) -> Server {
        let settings = Settings::from_config(&config);
        let keyspace = Keyspace::new(config.databases());
        let mut rng = Rng::new(seed);
        let replid = rng.hex40();
        let process_id = 1000 + rng.below(30_000) as u32;
        Server {
            stats: Stats::default(),
            repl: Replication::new(replid, now),
            pending_ports: BTreeMap::new(),
            process_id,
            last_save: now,
            quitting: Default::default(),
            killed: Vec::new(),
            rewritten_config: None,
            config_lines: Vec::new(),
            port,
            config,
            keyspace,
            run_id,
            started_at: now,
            settings,
            clients: BTreeMap::new(),
            next_client_id: 1,
            asleep_until: None,
            replies_after_sleep: Vec::new(),
            dirty: 0,
            rng,
            outbox: Vec::new(),
            log: Log::default(),
            disk: Disk::default(),
            persistence: Persistence::default(),
            stopped: false,
        }
    }

    /// Starts a server on its disk: the dump named by `dir`/`dbfilename`
    /// is loaded if there is one. A dump that cannot be loaded stops the
    /// start, as it stops redis-server, and the disk is handed back.
    pub fn start(port: u16, config: Config, run_id: String, seed: u64, now: Millis, disk: Disk) -> Result<Server, (String, Disk)> {
        let mut server = Server::new(port, config, run_id, seed, now);
        server.disk = disk;
        server.log_startup(now);
        if let Err(message) = server.load_dump(now) {
            return Err((message, std::mem::take(&mut server.disk)));
        }
        if server.persistence.loading.is_none() {
            server.after_startup_load(now);
        }
        Ok(server)
    }

    /// The lines redis-server 7.0 logs as it starts (machine-specific
    /// warnings aside). The first come before the process knows its role
    /// (`C`); a `replicaof` in the config file makes the rest `S`.
    fn log_startup(&mut self, now: Millis) {
        let pid = self.process_id;
        self.log_as(now, 'C', '#', "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo".into());
        let version = format!("Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid={pid}, just started");
        self.log_as(now, 'C', '#', version);
        self.log_as(now, 'C', '#', "Configuration loaded".into());
        let role = if self.config.get("replicaof").or_else(|| self.config.get("slaveof")).is_some() { 'S' } else { 'M' };
        self.log_as(now, role, '*', "monotonic clock: POSIX clock_gettime".into());
        self.log_as(now, role, '*', format!("Running mode=standalone, port={}.", self.port));
        self.log_as(now, role, '#', "Server initialized".into());
    }

    /// What start-up does once the dump (if any) is loaded: `replicaof`
    /// in the config file makes it a replica, the dump's history is its own.
    pub(crate) fn after_startup_load(&mut self, now: Millis) {
        let master = self.config.get("replicaof").or_else(|| self.config.get("slaveof")).map(|a| a.to_vec());
        if let Some(args) = master {
            if let Ok(port) = args[1].parse::<u16>() {
                if self.persistence.saved_history.is_some() {
                    self.log_as(now, 'S', '*', SYNTHESIZED_CACHED_MASTER.into());
                }
                // Redis connects from its cron, once it accepts connections.
                self.log_as(now, 'S', '*', "Ready to accept connections".into());
                self.set_master(args[0].clone(), port, now);
                if let Some(m) = self.repl.master.as_mut() {
                    m.cached = None;
                }
            }
        }
        if let Some((replid, offset)) = self.persistence.saved_history.take() {
            self.adopt_saved_history(replid, offset);
        }
        if self.repl.master.is_none() {
            self.notice(now, "Ready to accept connections".into());
        }
    }

    /// Whether the node is busy with something that ends on its own: a
    /// load, a DEBUG SLEEP, a background save, a sync (what "run until
    /// idle" waits for).
    pub fn has_work_in_progress(&self) -> bool {
        self.persistence.loading.is_some()
            || self.asleep_until.is_some()
            || self.persistence.bgsave.is_some()
            || self.replication_in_progress()
    }

    /// Whether a start-up load is still under way.
    pub fn is_loading(&self) -> bool {
        self.persistence.loading.is_some()
    }

    /// Whether the client is running EXEC (which denies blocking).
    pub(crate) fn in_exec(&self, id: ClientId) -> bool {
        self.clients.get(&id).is_some_and(|c| c.state.deny_blocking)
    }

    pub fn connect_at(&mut self, now: Millis) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.clients.insert(id, Client { connected_at: now, last_command_at: now, ..Client::default() });
        self.stats.connections_received += 1;
        id
    }

    pub fn connect(&mut self) -> ClientId {
        self.connect_at(self.started_at)
    }

    /// The other end closed the connection.
    pub fn disconnect(&mut self, id: ClientId, now: Millis) {
        self.remove_client(id, now);
    }

    /// Forgets a connection (and the replica it may have been).
    pub(crate) fn remove_client(&mut self, id: ClientId, now: Millis) {
        self.clients.remove(&id);
        self.forget_replica(id, now);
    }

    /// The master's stream is over (never one of this node's replicas).
    pub(crate) fn remove_master_client(&mut self) {
        self.clients.remove(&MASTER_CLIENT);
    }

    /// The client the master's stream is executed as.
    pub(crate) fn add_master_client(&mut self, now: Millis) {
        self.clients.insert(MASTER_CLIENT, Client { connected_at: now, last_command_at: now, ..Client::default() });
    }

    /// Bytes written to a connection that no INFO counter sees.
    pub(crate) fn push_output_uncounted(&mut self, id: ClientId, bytes: Vec<u8>) {
        self.outbox.push((id, bytes));
    }

    /// Bytes for a connection, sent outside a reply (served clients,
    /// messages, the replication stream).
    pub(crate) fn push_output(&mut self, id: ClientId, bytes: Vec<u8>) {
        if self.repl.replicas.contains_key(&id) {
            self.stats.net_repl_output_bytes += bytes.len() as u64;
        } else {
            self.stats.net_output_bytes += bytes.len() as u64;
        }
        self.outbox.push((id, bytes));
    }

    pub(crate) fn rng_hex40(&mut self) -> String {
        self.rng.hex40()
    }

    /// A command from the master's stream: no reply, no READONLY.
    pub(crate) fn execute_from_master(&mut self, args: &[Vec<u8>], now: Millis) -> Option<Frame> {
        let reply = match commands::resolve(args) {
            Ok(Resolved::Data(info, run)) => {
                let reply = self.run_data_command(MASTER_CLIENT, info, run, args, now);
                self.feed_monitors(MASTER_CLIENT, info, args, now);
                Some(reply)
            }
            Ok(Resolved::Connection(info)) => {
                // A PUBLISH on the master reaches this replica's subscribers
                // too (chained replicas already have the stream's bytes);
                // MULTI, EXEC and PING change nothing here.
                let reply = (info.name == "publish").then(|| self.publish(&args[1], &args[2]));
                self.feed_monitors(MASTER_CLIENT, info, args, now);
                reply
            }
            Err(_) => None,
        };
        reply
    }

    pub fn is_connected(&self, id: ClientId) -> bool {
        self.clients.contains_key(&id)
    }

    pub fn changes_since_save(&self) -> u64 {
        self.dirty
    }

    /// Feeds bytes a client sent; returns the replies to every complete command.
    pub fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Output {
        let Some(client) = self.clients.get_mut(&id) else { return Output::default() };
        client.input.feed(bytes);
        self.stats.net_input_bytes += bytes.len() as u64;
        if self.still_asleep(now) {
            return Output::default();
        }
        // A load whose time is up ends before the command sees the data.
        self.still_loading(now);
        self.process_input(id, now)
    }

    /// Runs the complete commands a client has sent, until it blocks, quits
    /// or puts the server to sleep (DEBUG SLEEP, whose reply waits too).
    fn process_input(&mut self, id: ClientId, now: Millis) -> Output {
        let mut out = Output::default();
        loop {
            let Some(client) = self.clients.get_mut(&id) else { break };
            // A blocked client's next commands wait until it is served.
            if client.blocked.is_some() {
                break;
            }
            let args = match client.input.next_command() {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(e) => {
                    Frame::Error(format!("ERR {e}")).encode(&mut out.reply);
                    out.close = true;
                    break;
                }
            };
            if args.is_empty() {
                continue;
            }
            let replies = self.dispatch(id, &args, now);
            self.count_errors(&replies);
            if self.asleep_until.is_some() {
                let mut reply = std::mem::take(&mut out.reply);
                replies.iter().for_each(|r| r.encode(&mut reply));
                self.replies_after_sleep.push((id, reply));
                break;
            }
            for reply in replies {
                reply.encode(&mut out.reply);
            }
            if self.quitting.remove(&id) {
                out.close = true;
                break;
            }
        }
        if out.close {
            self.clients.remove(&id);
        }
        self.stats.net_output_bytes += out.reply.len() as u64;
        out
    }

    /// Error replies count in INFO stats and errorstats by their first word.
    fn count_errors(&mut self, replies: &[Frame]) {
        for reply in replies {
            if let Frame::Error(text) = reply {
                self.stats.error_replies += 1;
                let kind = text.split(' ').next().unwrap_or("ERR").to_string();
                *self.stats.errors.entry(kind).or_default() += 1;
            }
        }
    }

    /// One command from a client: checked, then queued (inside MULTI),
    /// handled here (transactions) or run against the data.
    /// The replies to one command: usually one, none while it blocks,
    /// one per channel for (UN)SUBSCRIBE.
    fn dispatch(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
        let replies = self.dispatch_inner(id, args, now);
        // A command that parked its client answers later.
        let blocked = self.clients.get(&id).is_some_and(|c| c.blocked.is_some());
        if blocked {
            Vec::new()
        } else {
            replies
        }
    }

    fn dispatch_inner(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let subscribed = client.subscriptions() > 0;
        let resolved = match commands::resolve(args) {
            Ok(r) => r,
            Err(reply) => {
                if client.multi.is_some() {
                    client.multi_error = true;
                }
                // An arity error counts as a rejected call of that command.
                if let Some(Ok(info)) = commands::table::lookup(args) {
                    self.stats.commands.entry(info.name.clone()).or_default().1 += 1;
                }
                return vec![reply];
            }
        };
        let info = match &resolved {
            Resolved::Data(info, _) | Resolved::Connection(info) => *info,
        };
        client.last_command = info.name.as_str();
        client.last_command_at = now;
        // Console clients connect from 127.0.0.1, so `local` allows them.
        if info.name == "debug" && self.settings.enable_debug_command == "no" {
            if client.multi.is_some() {
                client.multi_error = true;
            }
            return vec![err("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")];
        }
        // A master with min-replicas-to-write refuses writes without enough good replicas.
        if self.repl.master.is_none()
            && self.settings.min_replicas_to_write > 0
            && self.settings.min_replicas_max_lag > 0
            && info.has_flag("write")
            && self.good_replicas(now) < self.settings.min_replicas_to_write
        {
            if let Some(client) = self.clients.get_mut(&id) {
                if client.multi.is_some() {
                    client.multi_error = true;
                }
            }
            return vec![Frame::error("NOREPLICAS Not enough good replicas to write.")];
        }
        // A read-only replica refuses writes, except from its master.
        if id != MASTER_CLIENT && self.repl.master.is_some() && self.settings.replica_read_only && info.has_flag("write") {
            if let Some(client) = self.clients.get_mut(&id) {
                if client.multi.is_some() {
                    client.multi_error = true;
                }
            }
            return vec![Frame::error("READONLY You can't write against a read only replica.")];
        }
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        // In RESP2 a subscribed client may only manage its subscriptions.
        const IN_PUBSUB: &[&str] = &["subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset"];
        if subscribed && !IN_PUBSUB.contains(&info.name.as_str()) {
            return vec![err(&format!(
                "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                info.name
            ))];
        }
        // A replica whose link is down refuses what needs fresh data when
        // replica-serve-stale-data is no.
        let link_down = self.repl.master.as_ref().is_some_and(|m| m.state != LinkState::Connected);
        if link_down && !self.settings.replica_serve_stale_data && !info.has_flag("stale") {
            if client.multi.is_some() {
                client.multi_error = true;
            }
            return vec![Frame::error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")];
        }
        if self.persistence.loading.as_ref().is_some_and(|l| now < l.ends_at) && !info.has_flag("loading") {
            if client.multi.is_some() {
                client.multi_error = true;
            }
            return vec![Frame::error("LOADING Redis is loading the dataset in memory")];
        }
        if subscribed && info.name == "ping" {
            let message = args.get(1).cloned().unwrap_or_default();
            return vec![Frame::Array(vec![Frame::bulk("pong"), Frame::Bulk(message)])];
        }
        if let Some(queue) = client.multi.as_mut() {
            if !matches!(info.name.as_str(), "exec" | "discard" | "multi" | "watch" | "quit" | "reset") {
                if info.has_flag("no_multi") {
                    client.multi_error = true;
                    return vec![err("Command not allowed inside a transaction")];
                }
                queue.push(args.to_vec());
                return vec![Frame::Simple("QUEUED".into())];
            }
        }
        let reload = info.name == "debug" && args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"reload"));
        let replies = match resolved {
            _ if reload => vec![self.debug_reload(now)],
            Resolved::Connection(info) => self.connection_command(id, &info.name, args, now),
            Resolved::Data(info, run) => vec![self.run_data_command(id, info, run, args, now)],
        };
        self.feed_monitors(id, info, args, now);
        // WAIT counts the replicas that reached this offset.
        let offset = self.repl.offset;
        if let Some(client) = self.clients.get_mut(&id) {
            client.woff = offset;
        }
        self.request_acks();
        self.stats.commands_processed += 1;
        if !self.stats.commands.contains_key(&info.name) {
            self.stats.commands.insert(info.name.clone(), Default::default());
        }
        let Some(entry) = self.stats.commands.get_mut(&info.name) else { return replies };
        entry.0 += 1;
        if replies.first().is_some_and(|r| matches!(r, Frame::Error(_))) {
            entry.2 += 1;
        }
        replies
    }

    fn run_data_command(
        &mut self,
        id: ClientId,
        info: &commands::table::CommandInfo,
        run: commands::Handler,
        args: &[Vec<u8>],
        now: Millis,
    ) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        let mut state = std::mem::take(&mut client.state);
        let dirty_before = self.dirty;
        if info.has_flag("readonly") {
            for key in commands::written_keys(info, args) {
                if self.keyspace.dbs[state.db].is_live(key, now) {
                    self.stats.keyspace_hits += 1;
                } else {
                    self.stats.keyspace_misses += 1;
                }
            }
        }
        // Emptying a db invalidates the watchers of keys it really held.
        let emptied: Vec<usize> = match info.name.as_str() {
            "flushall" => (0..self.keyspace.dbs.len()).collect(),
            "flushdb" => vec![state.db],
            "swapdb" => args[1..]
                .iter()
                .filter_map(|a| commands::parse_i64(a))
                .filter(|&i| i >= 0 && (i as usize) < self.keyspace.dbs.len())
                .map(|i| i as usize)
                .collect(),
            _ => Vec::new(),
        };
        let held: Vec<(usize, Vec<u8>)> = self
            .clients
            .values()
            .flat_map(|c| c.watched.iter())
            .filter(|(db, key, _)| emptied.contains(db) && emptied.iter().any(|&e| self.keyspace.dbs[e].stores(key)))
            .map(|(db, key, _)| (*db, key.clone()))
            .collect();
        let lfu = self.settings.lfu_policy();
        for db in &mut self.keyspace.dbs {
            db.lfu = lfu;
        }
        let reply = {
            let mut ctx = Ctx {
                keyspace: &mut self.keyspace,
                client: &mut state,
                now,
                dirty: &mut self.dirty,
                settings: &mut self.settings,
                rng: &mut self.rng,
            };
            run(&mut ctx, args)
        };
        if info.name == "flushall" && !matches!(reply, Frame::Error(_)) {
            self.after_flushall(now);
        }
        if let Some(ms) = state.sleep.take().filter(|&ms| ms > 0) {
            self.asleep_until = Some(now + ms);
        }
        let rewritten = state.propagate.take();
        let propagates = self.dirty != dirty_before && id != MASTER_CLIENT;
        if propagates {
            match rewritten {
                Some(commands) => {
                    for command in commands {
                        self.propagate(state.db, command);
                    }
                }
                None if info.has_flag("write") => self.propagate(state.db, args.to_vec()),
                None => {}
            }
        }
        if self.dirty != dirty_before {
            if emptied.is_empty() {
                for key in commands::written_keys(info, args) {
                    self.touch_watchers(state.db, key);
                }
            }
            for (db, key) in &held {
                self.touch_watchers(*db, key);
            }
        }
        self.report_expired();
        let request = state.block.take();
        if let Some(client) = self.clients.get_mut(&id) {
            client.state = state;
            if let Some(request) = request {
                if client.blocked.is_none() {
                    client.blocked = Some((args.to_vec(), request, now));
                }
            }
        }
        if self.dirty != dirty_before {
            self.serve_blocked(now);
        }
        reply
    }

    /// Serves parked clients whose keys may now have data, oldest first,
    /// until no more can be served (a served BLMOVE may feed another).
    fn serve_blocked(&mut self, now: Millis) {
        loop {
            let mut waiting: Vec<(Millis, ClientId)> =
                self.clients.iter().filter_map(|(id, c)| c.blocked.as_ref().map(|(_, _, since)| (*since, *id))).collect();
            waiting.sort();
            let mut served_any = false;
            for (_, id) in waiting {
                if self.try_serve(id, now) {
                    served_any = true;
                }
            }
            if !served_any {
                return;
            }
        }
    }

    /// Runs a parked client's command again; true if it got its answer.
    fn try_serve(&mut self, id: ClientId, now: Millis) -> bool {
        let Some(client) = self.clients.get_mut(&id) else { return false };
        let Some((args, request, since)) = client.blocked.take() else { return false };
        let db = client.state.db;
        let has_data = request.keys.iter().any(|k| self.keyspace.dbs[db].is_live(k, now));
        let resolved = has_data.then(|| commands::resolve(&args)).and_then(Result::ok);
        let Some(Resolved::Data(info, run)) = resolved else {
            if let Some(client) = self.clients.get_mut(&id) {
                client.blocked = Some((args, request, since));
            }
            return false;
        };
        let reply = self.run_data_command(id, info, run, &args, now);
        let Some(client) = self.clients.get_mut(&id) else { return false };
        if client.blocked.is_some() {
            // Still nothing for it (another client was faster): keep waiting
            // with the original deadline.
            client.blocked = Some((args, request, since));
            return false;
        }
        self.outbox.push((id, reply.to_bytes()));
        true
    }

    /// Whether DEBUG SLEEP still holds the process; once its time is up the
    /// sleeper gets its reply and what arrived meanwhile is served.
    fn still_asleep(&mut self, now: Millis) -> bool {
        match self.asleep_until {
            None => false,
            Some(until) if now < until => true,
            Some(_) => {
                self.end_sleep(now);
                self.asleep_until.is_some()
            }
        }
    }

    fn end_sleep(&mut self, now: Millis) {
        self.asleep_until = None;
        let replies = std::mem::take(&mut self.replies_after_sleep);
        self.outbox.extend(replies);
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            // A command read now may put the server to sleep again.
            if self.asleep_until.is_some() {
                return;
            }
            let out = self.process_input(id, now);
            if !out.reply.is_empty() {
                self.outbox.push((id, out.reply));
            }
            if out.close {
                self.killed.push(id);
            }
        }
        if self.asleep_until.is_none() && self.repl.master.is_some() {
            self.net_receive(&[], now);
        }
    }

    /// When a DEBUG SLEEP ends, if one is running.
    pub fn asleep_until(&self) -> Option<Millis> {
        self.asleep_until
    }

    /// When the node next comes back from a DEBUG SLEEP or a load on its
    /// own, if it is in either.
    pub fn wakes_at(&self) -> Option<Millis> {
        let loaded_at = self.persistence.loading.as_ref().map(|l| l.ends_at);
        match (self.asleep_until, loaded_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Ends a DEBUG SLEEP or a load whose time has come.
    pub fn wake_up(&mut self, now: Millis) {
        if !self.still_asleep(now) {
            self.still_loading(now);
        }
    }

    /// Replies sent outside `receive` since the last call.
    pub fn take_output(&mut self) -> Vec<(ClientId, Vec<u8>)> {
        std::mem::take(&mut self.outbox)
    }

    /// The earliest blocked-client deadline.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.clients.values().filter_map(|c| c.blocked.as_ref().and_then(|(_, r, _)| r.deadline)).min()
    }

    /// Answers the blocked clients whose timeout has passed.
    pub fn expire_blocked(&mut self, now: Millis) {
        if self.still_asleep(now) || self.still_loading(now) {
            return;
        }
        self.serve_waiting(now);
        for (id, client) in self.clients.iter_mut() {
            if client.blocked.as_ref().is_some_and(|(_, r, _)| r.deadline.is_some_and(|d| d <= now)) {
                if let Some((_, request, _)) = client.blocked.take() {
                    self.outbox.push((*id, request.on_timeout.to_bytes()));
                }
            }
        }
    }

    /// Marks the clients watching a key so that their EXEC fails.
    fn touch_watchers(&mut self, db: usize, key: &[u8]) {
        for client in self.clients.values_mut() {
            let hit = client.watched.iter().any(|(d, k, _)| *d == db && k == key);
            if hit {
                client.dirty_cas = true;
                client.watched.clear();
            }
        }
    }

    /// Keys that expired count as changed for their watchers.
    fn report_expired(&mut self) {
        for db in 0..self.keyspace.dbs.len() {
            for key in self.keyspace.dbs[db].take_expired() {
                self.stats.expired_keys += 1;
                self.touch_watchers(db, &key);
                // Replicas learn of an expiry from their master's DEL.
                self.feed(Some(db), &[b"DEL".to_vec(), key]);
            }
        }
    }

    /// Commands about the connection itself: transactions and pub/sub.
    fn connection_command(&mut self, id: ClientId, name: &str, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
        match name {
            "subscribe" | "psubscribe" => self.subscribe(id, &args[1..], name == "psubscribe"),
            "monitor" => {
                let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
                if client.state.deny_blocking {
                    return vec![err("MONITOR isn't allowed for DENY BLOCKING client")];
                }
                // A client already monitoring (or a replica) is ignored: no reply.
                if client.monitor || self.repl.replicas.contains_key(&id) {
                    return Vec::new();
                }
                client.monitor = true;
                vec![Frame::ok()]
            }
            "unsubscribe" | "punsubscribe" => self.unsubscribe(id, &args[1..], name == "punsubscribe"),
            "publish" => {
                let reply = self.publish(&args[1], &args[2]);
                // PUBLISH reaches the replicas' subscribers too.
                let db = self.clients.get(&id).map_or(0, |c| c.state.db);
                self.propagate(db, args.to_vec());
                vec![reply]
            }
            "pubsub|channels" => {
                let mut channels: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.channels.iter()).collect();
                channels.sort();
                channels.dedup();
                let pattern = args.get(2);
                vec![commands::bulks(
                    channels.into_iter().filter(|c| pattern.is_none_or(|p| crate::engine::glob::matches(p, c, false))).cloned(),
                )]
            }
            "pubsub|numsub" => {
                let mut out = Vec::new();
                for channel in &args[2..] {
                    let n = self.clients.values().filter(|c| c.channels.contains(channel)).count();
                    out.push(Frame::Bulk(channel.clone()));
                    out.push(Frame::Integer(n as i64));
                }
                vec![Frame::Array(out)]
            }
            "pubsub|numpat" => {
                let mut patterns: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.patterns.iter()).collect();
                patterns.sort();
                patterns.dedup();
                vec![Frame::Integer(patterns.len() as i64)]
            }
            "pubsub|help" => vec![Frame::Array(PUBSUB_HELP.iter().map(|l| Frame::Simple((*l).to_string())).collect())],
            "config|get" => {
                self.settings.replicaof =
                    self.repl.master.as_ref().map_or(String::new(), |m| format!("{} {}", m.host, m.port));
                let pairs = self.settings.matching(&args[2..]);
                vec![Frame::Array(pairs.into_iter().flat_map(|(n, v)| [Frame::bulk(n), Frame::bulk(v)]).collect())]
            }
            "info" => {
                let sections = info::selected(&args[1..]);
                vec![Frame::Bulk(info::render(&sections, &self.info_figures(now)).into_bytes())]
            }
            "time" => vec![Frame::Array(vec![
                Frame::bulk(now.div_euclid(1000).to_string()),
                Frame::bulk((now.rem_euclid(1000) * 1000).to_string()),
            ])],
            "lastsave" => vec![Frame::Integer(self.last_save / 1000)],
            "save" => vec![self.save_command(now)],
            "bgsave" => vec![self.bgsave_command(id, args, now)],
            "shutdown" => self.shutdown_command(id, args, now).into_iter().collect(),
            "role" => vec![self.role_reply()],
            "replicaof" | "slaveof" => vec![self.replicaof_command(id, args, now)],
            "replconf" => self.replconf_command(id, args, now).into_iter().collect(),
            "psync" => self.psync_command(id, args, false, now).into_iter().collect(),
            "sync" => self.psync_command(id, &[], true, now).into_iter().collect(),
            "quit" => {
                self.quitting.insert(id);
                vec![Frame::ok()]
            }
            "reset" => {
                if let Some(client) = self.clients.get_mut(&id) {
                    Self::end_transaction(client);
                    client.state.db = 0;
                    client.channels.clear();
                    client.patterns.clear();
                    client.name.clear();
                }
                vec![Frame::Simple("RESET".into())]
            }
            "hello" => vec![self.hello(id, args)],
            "wait" => self.wait_command(id, args, now).into_iter().collect(),
            "client|id" => vec![Frame::Integer(id as i64)],
            "client|getname" => {
                let name = self.clients.get(&id).map(|c| c.name.clone()).unwrap_or_default();
                vec![if name.is_empty() { Frame::Null } else { Frame::Bulk(name) }]
            }
            "client|setname" => {
                let name = &args[2];
                if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
                    return vec![err("Client names cannot contain spaces, newlines or special characters.")];
                }
                if let Some(client) = self.clients.get_mut(&id) {
                    client.name = name.clone();
                }
                vec![Frame::ok()]
            }
            "client|list" => vec![self.client_list(id, args, now)],
            "client|info" => vec![Frame::Bulk(format!("{}\n", self.client_line(id, id, args, now)).into_bytes())],
            "client|kill" => vec![self.client_kill(id, args, now)],
            "config|resetstat" => {
                self.stats = Stats::default();
                vec![Frame::ok()]
            }
            "config|rewrite" => {
                self.settings.replicaof =
                    self.repl.master.as_ref().map_or(String::new(), |m| format!("{} {}", m.host, m.port));
                let lines = Config::rewrite(&self.config_lines, &self.settings.changed_lines());
                self.config_lines = lines.clone();
                self.rewritten_config = Some(lines);
                vec![Frame::ok()]
            }
            _ => vec![self.transaction_command(id, name, args, now)],
        }
    }

    /// WAIT numreplicas timeout: how many replicas have this client's
    /// writes; blocks until enough do or the timeout (ms, 0 = forever).
    fn wait_command(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Option<Frame> {
        if self.repl.master.is_some() {
            return Some(err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
        }
        let wanted = match commands::int_arg(&args[1]) {
            Ok(n) => n,
            Err(e) => return Some(e),
        };
        let timeout = match commands::int_arg_in(&args[2], i64::MIN, i64::MAX, "timeout is not an integer or out of range") {
            Ok(t) if t < 0 => return Some(err("timeout is negative")),
            Ok(t) => t,
            Err(e) => return Some(e),
        };
        let woff = self.clients.get(&id).map_or(0, |c| c.woff);
        let acked = self.acks_at_least(woff);
        let in_multi = self.clients.get(&id).is_some_and(|c| c.state.deny_blocking);
        if acked >= wanted || in_multi {
            return Some(Frame::Integer(acked));
        }
        let deadline = (timeout > 0).then_some(now.saturating_add(timeout));
        if let Some(client) = self.clients.get_mut(&id) {
            client.waiting_acks = Some((woff, wanted, deadline));
            let request = commands::BlockRequest { keys: Vec::new(), deadline, on_timeout: Frame::Integer(acked) };
            client.blocked = Some((args.to_vec(), request, now));
        }
        self.repl.acks_wanted = true;
        None
    }

    /// Answers the WAITs that now have enough acknowledgements (or whose
    /// time is up: they get the count so far).
    pub(crate) fn serve_waiting(&mut self, now: Millis) {
        let waiting: Vec<(ClientId, i64, i64, Option<Millis>)> = self
            .clients
            .iter()
            .filter_map(|(id, c)| c.waiting_acks.map(|(o, n, d)| (*id, o, n, d)))
            .collect();
        for (id, offset, wanted, deadline) in waiting {
            let acked = self.acks_at_least(offset);
            if acked >= wanted || deadline.is_some_and(|d| now >= d) {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.waiting_acks = None;
                    client.blocked = None;
                }
                self.push_output(id, Frame::Integer(acked).to_bytes());
            }
        }
    }

    fn info_figures(&self, now: Millis) -> info::Figures<'_> {
        let mut channels: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.channels.iter()).collect();
        channels.sort();
        channels.dedup();
        let mut patterns: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.patterns.iter()).collect();
        patterns.sort();
        patterns.dedup();
        info::Figures {
            port: self.port,
            run_id: &self.run_id,
            process_id: self.process_id,
            now,
            started_at: self.started_at,
            connected_clients: self.clients.len(),
            blocked_clients: self.clients.values().filter(|c| c.blocked.is_some()).count(),
            clients_in_timeout_table: self
                .clients
                .values()
                .filter(|c| c.blocked.as_ref().is_some_and(|(_, r, _)| r.deadline.is_some()))
                .count(),
            changes_since_save: self.dirty,
            last_save: self.last_save,
            pubsub_channels: channels.len(),
            pubsub_patterns: patterns.len(),
            dataset_bytes: self.keyspace.dataset_bytes(),
            dbs: self
                .keyspace
                .dbs
                .iter()
                .enumerate()
                .filter(|(_, db)| !db.is_empty())
                .map(|(index, db)| info::DbFigures { index, keys: db.len(), expires: db.expires_count(), avg_ttl: db.avg_ttl })
                .collect(),
            stats: &self.stats,
            persistence: self.persistence.figures(now),
            replication: self.replication_info(now),
            sentinel: None,
        }
    }

    /// HELLO [2]: the connection's properties; RESP3 is not spoken here.
    fn hello(&mut self, id: ClientId, args: &[Vec<u8>]) -> Frame {
        if let Some(version) = args.get(1) {
            match commands::parse_i64(version) {
                None => return err("Protocol version is not an integer or out of range"),
                Some(2) => {}
                Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
            }
        }
        let mut j = 2;
        while j < args.len() {
            if commands::eq_ignore_case(&args[j], "setname") && j + 1 < args.len() {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.name = args[j + 1].clone();
                }
                j += 2;
            } else if commands::eq_ignore_case(&args[j], "auth") && j + 2 < args.len() {
                j += 3;
            } else {
                return err(&format!("Syntax error in HELLO option '{}'", String::from_utf8_lossy(&args[j])));
            }
        }
        Frame::Array(vec![
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
            Frame::bulk("master"),
            Frame::bulk("modules"),
            Frame::Array(Vec::new()),
        ])
    }

    /// A client's CLIENT LIST line, as seen by `viewer` running `args`.
    pub(crate) fn client_line(&self, id: ClientId, viewer: ClientId, args: &[Vec<u8>], now: Millis) -> String {
        let Some(c) = self.clients.get(&id) else { return String::new() };
        let mut flags = String::new();
        if c.monitor {
            flags.push('O');
        }
        if c.multi.is_some() {
            flags.push('x');
        }
        if c.blocked.is_some() {
            flags.push('b');
        }
        if !c.channels.is_empty() || !c.patterns.is_empty() {
            flags.push('P');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        ClientLine {
            id,
            port: self.port,
            name: &c.name,
            age: (now - c.connected_at).max(0) / 1000,
            idle: (now - c.last_command_at).max(0) / 1000,
            flags: &flags,
            db: c.state.db,
            sub: c.channels.len(),
            psub: c.patterns.len(),
            multi: c.multi.as_ref().map_or(-1, |q| q.len() as i64),
            cmd: c.last_command,
            // The viewer's own command still sits in its query buffer.
            running: (id == viewer).then_some(args),
        }
        .render()
    }

    fn client_list(&self, viewer: ClientId, args: &[Vec<u8>], now: Millis) -> Frame {
        let mut ids: Vec<ClientId> = self.clients.keys().copied().collect();
        let mut j = 2;
        while j < args.len() {
            if commands::eq_ignore_case(&args[j], "type") && j + 1 < args.len() {
                let t = args[j + 1].to_ascii_lowercase();
                match t.as_slice() {
                    b"normal" => ids.retain(|i| self.clients[i].channels.is_empty() && self.clients[i].patterns.is_empty()),
                    b"pubsub" => ids.retain(|i| !self.clients[i].channels.is_empty() || !self.clients[i].patterns.is_empty()),
                    b"master" | b"replica" | b"slave" => ids.clear(),
                    _ => return err(&format!("Unknown client type '{}'", String::from_utf8_lossy(&args[j + 1]))),
                }
                j += 2;
            } else if commands::eq_ignore_case(&args[j], "id") && j + 1 < args.len() {
                let mut wanted = Vec::new();
                for raw in &args[j + 1..] {
                    match commands::parse_i64(raw) {
                        Some(n) if n > 0 => wanted.push(n as u64),
                        _ => return err("Invalid client ID"),
                    }
                }
                ids.retain(|i| wanted.contains(i));
                j = args.len();
            } else {
                return commands::syntax_error();
            }
        }
        let text: String = ids.iter().map(|&i| format!("{}\n", self.client_line(i, viewer, args, now))).collect();
        Frame::Bulk(text.into_bytes())
    }

    /// CLIENT KILL addr, or CLIENT KILL with filters (ID, TYPE, ADDR,
    /// LADDR, USER, SKIPME, MAXAGE).
    fn client_kill(&mut self, me: ClientId, args: &[Vec<u8>], now: Millis) -> Frame {
        let addr_of = |id: ClientId| format!("127.0.0.1:{}", 40_000 + id);
        if args.len() == 3 {
            let wanted = String::from_utf8_lossy(&args[2]).into_owned();
            let Some(id) = self.clients.keys().copied().find(|&id| addr_of(id) == wanted) else {
                return err("No such client");
            };
            self.kill_client(id, now);
            return Frame::ok();
        }
        if args.len() % 2 != 0 {
            return commands::syntax_error();
        }
        let mut candidates: Vec<ClientId> = self.clients.keys().copied().collect();
        let mut skip_me = true;
        for pair in args[2..].chunks(2) {
            let (opt, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
            let text = String::from_utf8_lossy(value).into_owned();
            match opt.as_slice() {
                b"id" => match commands::parse_i64(value) {
                    Some(n) if n > 0 => candidates.retain(|&i| i == n as u64),
                    _ => return err("client-id should be greater than 0"),
                },
                b"type" => match text.to_ascii_lowercase().as_str() {
                    "normal" => candidates.retain(|i| {
                        self.clients[i].channels.is_empty()
                            && self.clients[i].patterns.is_empty()
                            && !self.repl.replicas.contains_key(i)
                            && *i != MASTER_CLIENT
                    }),
                    "pubsub" => candidates.retain(|i| !self.clients[i].channels.is_empty() || !self.clients[i].patterns.is_empty()),
                    "replica" | "slave" => candidates.retain(|i| self.repl.replicas.contains_key(i)),
                    "master" => candidates.retain(|i| *i == MASTER_CLIENT),
                    _ => return err(&format!("Unknown client type '{text}'")),
                },
                b"addr" => candidates.retain(|&i| addr_of(i) == text),
                b"laddr" => {
                    let local = format!("127.0.0.1:{}", self.port);
                    candidates.retain(|_| local == text);
                }
                b"user" => {
                    if text != "default" {
                        return err(&format!("No such user '{text}'"));
                    }
                }
                b"skipme" => match text.to_ascii_lowercase().as_str() {
                    "yes" => skip_me = true,
                    "no" => skip_me = false,
                    _ => return commands::syntax_error(),
                },
                b"maxage" => match commands::parse_i64(value) {
                    Some(_) => {}
                    None => return commands::not_an_integer(),
                },
                _ => return commands::syntax_error(),
            }
        }
        if skip_me {
            candidates.retain(|&i| i != me);
        }
        let killed = candidates.len();
        for id in candidates {
            if id == me {
                self.quitting.insert(id);
            } else if id == MASTER_CLIENT {
                self.kill_master_link(now);
            } else {
                self.kill_client(id, now);
            }
        }
        Frame::Integer(killed as i64)
    }

    pub(crate) fn kill_connection(&mut self, id: ClientId, now: Millis) {
        self.kill_client(id, now);
    }

    fn kill_client(&mut self, id: ClientId, now: Millis) {
        self.remove_client(id, now);
        self.killed.push(id);
    }

    /// The config file CONFIG REWRITE produced, since the last call.
    pub fn take_rewritten_config(&mut self) -> Option<Vec<String>> {
        self.rewritten_config.take()
    }

    /// Connections the server closed on its own (CLIENT KILL), since the last call.
    /// A forked child's pid: the parent's plus the forks so far, as a
    /// freshly started Redis usually sees.
    pub(crate) fn child_pid(&self) -> u64 {
        self.process_id as u64 + self.stats.forks
    }

    /// A notice in the log, with the role the server has now.
    pub(crate) fn notice(&mut self, now: Millis, text: String) {
        self.log_line(now, '*', text);
    }

    /// A warning in the log.
    pub(crate) fn warning(&mut self, now: Millis, text: String) {
        self.log_line(now, '#', text);
    }

    fn log_line(&mut self, now: Millis, level: char, text: String) {
        let role = if self.repl.master.is_some() { 'S' } else { 'M' };
        self.log.push(LogLine { at: now, role, level, text });
    }

    /// A line written while Redis's notion of the role is not the one the
    /// server has now (mid-switch).
    pub(crate) fn log_as(&mut self, now: Millis, role: char, level: char, text: String) {
        self.log.push(LogLine { at: now, role, level, text });
    }

    pub fn take_killed(&mut self) -> Vec<ClientId> {
        std::mem::take(&mut self.killed)
    }

    fn subscribe(&mut self, id: ClientId, names: &[Vec<u8>], patterns: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if patterns { "psubscribe" } else { "subscribe" };
        let mut replies = Vec::new();
        for name in names {
            let list = if patterns { &mut client.patterns } else { &mut client.channels };
            if !list.contains(name) {
                list.push(name.clone());
            }
            replies.push(Frame::Array(vec![Frame::bulk(kind), Frame::Bulk(name.clone()), Frame::Integer(client.subscriptions())]));
        }
        replies
    }

    fn unsubscribe(&mut self, id: ClientId, names: &[Vec<u8>], patterns: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if patterns { "punsubscribe" } else { "unsubscribe" };
        let targets: Vec<Vec<u8>> = if names.is_empty() {
            if patterns { client.patterns.clone() } else { client.channels.clone() }
        } else {
            names.to_vec()
        };
        if targets.is_empty() {
            return vec![Frame::Array(vec![Frame::bulk(kind), Frame::Null, Frame::Integer(client.subscriptions())])];
        }
        let mut replies = Vec::new();
        for name in targets {
            let list = if patterns { &mut client.patterns } else { &mut client.channels };
            list.retain(|n| *n != name);
            replies.push(Frame::Array(vec![Frame::bulk(kind), Frame::Bulk(name), Frame::Integer(client.subscriptions())]));
        }
        replies
    }

    /// Delivers a message to every subscriber; the reply counts receivers.
    fn publish(&mut self, channel: &[u8], message: &[u8]) -> Frame {
        let mut receivers = 0;
        for (id, client) in &self.clients {
            if client.channels.iter().any(|c| c == channel) {
                let frame = Frame::Array(vec![Frame::bulk("message"), Frame::bulk(channel.to_vec()), Frame::bulk(message.to_vec())]);
                self.outbox.push((*id, frame.to_bytes()));
                receivers += 1;
            }
            for pattern in &client.patterns {
                if crate::engine::glob::matches(pattern, channel, false) {
                    let frame = Frame::Array(vec![
                        Frame::bulk("pmessage"),
                        Frame::Bulk(pattern.clone()),
                        Frame::bulk(channel.to_vec()),
                        Frame::bulk(message.to_vec()),
                    ]);
                    self.outbox.push((*id, frame.to_bytes()));
                    receivers += 1;
                }
            }
        }
        Frame::Integer(receivers)
    }

    fn transaction_command(&mut self, id: ClientId, name: &str, args: &[Vec<u8>], now: Millis) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        match name {
            "multi" => {
                if client.multi.is_some() {
                    return err("MULTI calls can not be nested");
                }
                client.multi = Some(Vec::new());
                Frame::ok()
            }
            "discard" => {
                if client.multi.is_none() {
                    return err("DISCARD without MULTI");
                }
                Self::end_transaction(client);
                Frame::ok()
            }
            "watch" => {
                if client.multi.is_some() {
                    return err("WATCH inside MULTI is not allowed");
                }
                if !client.dirty_cas {
                    let db = client.state.db;
                    for key in &args[1..] {
                        if !client.watched.iter().any(|(d, k, _)| *d == db && k == key) {
                            let expired = self.keyspace.dbs[db].is_expired_now(key, now);
                            client.watched.push((db, key.clone(), expired));
                        }
                    }
                }
                Frame::ok()
            }
            "unwatch" => {
                client.watched.clear();
                client.dirty_cas = false;
                Frame::ok()
            }
            "exec" => self.exec(id, now),
            _ => err(&format!("unknown transaction command '{name}'")),
        }
    }

    fn end_transaction(client: &mut Client) {
        client.multi = None;
        client.multi_error = false;
        client.watched.clear();
        client.dirty_cas = false;
    }

    fn exec(&mut self, id: ClientId, now: Millis) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        let Some(queue) = client.multi.take() else { return err("EXEC without MULTI") };
        // A watched key that expired since WATCH counts as changed.
        let expired_since = client
            .watched
            .iter()
            .any(|(db, key, was_expired)| !was_expired && self.keyspace.dbs[*db].is_expired_now(key, now));
        let aborted = client.multi_error;
        let cas_failed = client.dirty_cas || expired_since;
        Self::end_transaction(client);
        if aborted {
            return Frame::error("EXECABORT Transaction discarded because of previous errors.");
        }
        if cas_failed {
            return Frame::NullArray;
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.state.deny_blocking = true;
        }
        self.begin_exec_propagation();
        let replies = queue
            .iter()
            .flat_map(|args| match commands::resolve(args) {
                Ok(Resolved::Data(info, run)) => {
                    let reply = vec![self.run_data_command(id, info, run, args, now)];
                    self.feed_monitors(id, info, args, now);
                    reply
                }
                Ok(Resolved::Connection(info)) => {
                    let replies = self.connection_command(id, &info.name, args, now);
                    self.feed_monitors(id, info, args, now);
                    replies
                }
                Err(reply) => vec![reply],
            })
            .collect();
        if let Some(client) = self.clients.get_mut(&id) {
            client.state.deny_blocking = false;
        }
        self.end_exec_propagation();
        Frame::Array(replies)
    }

    /// MONITOR: once a command ran (as Redis's `call()` does), every
    /// monitoring client gets a line for it, except for administrative
    /// commands and while the dataset loads. What the master's stream runs
    /// on a replica shows as coming from the master.
    fn feed_monitors(&mut self, id: ClientId, info: &commands::table::CommandInfo, args: &[Vec<u8>], now: Millis) {
        if info.has_flag("admin") || info.has_flag("skip_monitor") || self.is_loading() {
            return;
        }
        let monitors: Vec<ClientId> = self.clients.iter().filter(|(_, c)| c.monitor).map(|(i, _)| *i).collect();
        if monitors.is_empty() {
            return;
        }
        let db = self.clients.get(&id).map_or(0, |c| c.state.db);
        let peer = match self.repl.master.as_ref().filter(|_| id == MASTER_CLIENT) {
            Some(master) => format!("{}:{}", master.host, master.port),
            None => format!("127.0.0.1:{}", 40_000 + id),
        };
        let mut line = format!("{}.{:06} [{db} {peer}]", now.div_euclid(1000), now.rem_euclid(1000) * 1000);
        for arg in args {
            line.push(' ');
            crate::engine::cli::repr(arg, &mut line);
        }
        let bytes = Frame::Simple(line).to_bytes();
        for monitor in monitors {
            self.outbox.push((monitor, bytes.clone()));
        }
    }

    /// Periodic work (Redis's serverCron at `hz` 10): active expiry.
    pub fn cron(&mut self, now: Millis) {
        if self.still_asleep(now) || self.still_loading(now) {
            return;
        }
        for db in &mut self.keyspace.dbs {
            db.active_expire(now);
        }
        self.report_expired();
        self.persistence_cron(now);
        self.replication_cron(now);
    }

    pub fn key_count(&self) -> usize {
        self.keyspace.total_keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::resp::{encode_command, parse_frame};

    fn send(server: &mut Server, id: ClientId, args: &[&str]) -> Frame {
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        let out = server.receive(id, &bytes, 1_000);
        parse_frame(&out.reply).unwrap().unwrap().0
    }

    #[test]
    fn clients_keep_their_own_db() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["SELECT", "1"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["GET", "k"]), Frame::Null);
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::bulk(&b"v"[..]));
    }

    #[test]
    fn blocked_clients_wake_when_another_pushes() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b, c) = (s.connect(), s.connect(), s.connect());
        let mut bytes = Vec::new();
        encode_command(&["BLPOP", "q", "0"], &mut bytes);
        assert!(s.receive(a, &bytes, 10).reply.is_empty());
        let mut bytes = Vec::new();
        encode_command(&["BLPOP", "q", "5"], &mut bytes);
        assert!(s.receive(b, &bytes, 20).reply.is_empty());
        assert_eq!(s.next_deadline(), Some(5020));
        assert_eq!(send(&mut s, c, &["RPUSH", "q", "x"]), Frame::Integer(1));
        // The oldest waiter is served first.
        let out = s.take_output();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, a);
        assert_eq!(parse_frame(&out[0].1).unwrap().unwrap().0, Frame::Array(vec![Frame::bulk(&b"q"[..]), Frame::bulk(&b"x"[..])]));
        s.expire_blocked(5019);
        assert!(s.take_output().is_empty());
        s.expire_blocked(5020);
        assert_eq!(s.take_output(), vec![(b, b"*-1\r\n".to_vec())]);
        // Inside MULTI a blocking pop answers at once.
        assert_eq!(send(&mut s, c, &["MULTI"]), Frame::ok());
        send(&mut s, c, &["BLPOP", "q", "0"]);
        assert_eq!(send(&mut s, c, &["EXEC"]), Frame::Array(vec![Frame::NullArray]));
    }

    #[test]
    fn publish_reaches_channel_and_pattern_subscribers() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (sub, psub, publisher) = (s.connect(), s.connect(), s.connect());
        let mut bytes = Vec::new();
        encode_command(&["SUBSCRIBE", "news", "sport"], &mut bytes);
        let out = s.receive(sub, &bytes, 0);
        assert_eq!(out.reply.iter().filter(|&&b| b == b'*').count(), 2, "one reply per channel");
        send(&mut s, psub, &["PSUBSCRIBE", "n*"]);
        assert_eq!(
            send(&mut s, sub, &["GET", "k"]),
            Frame::error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
        );
        assert_eq!(send(&mut s, sub, &["PING"]), Frame::Array(vec![Frame::bulk("pong"), Frame::bulk("")]));
        assert_eq!(send(&mut s, publisher, &["PUBLISH", "news", "hi"]), Frame::Integer(2));
        let out = s.take_output();
        assert_eq!(out[0], (sub, Frame::Array(vec![Frame::bulk("message"), Frame::bulk("news"), Frame::bulk("hi")]).to_bytes()));
        assert_eq!(
            out[1],
            (psub, Frame::Array(vec![Frame::bulk("pmessage"), Frame::bulk("n*"), Frame::bulk("news"), Frame::bulk("hi")]).to_bytes())
        );
        assert_eq!(send(&mut s, publisher, &["PUBSUB", "NUMSUB", "news", "none"]), Frame::Array(vec![
            Frame::bulk("news"), Frame::Integer(1), Frame::bulk("none"), Frame::Integer(0)
        ]));
        assert_eq!(send(&mut s, publisher, &["PUBSUB", "NUMPAT"]), Frame::Integer(1));
        s.disconnect(sub, 0);
        assert_eq!(send(&mut s, publisher, &["PUBLISH", "news", "again"]), Frame::Integer(1));
    }

    #[test]
    fn another_client_write_fails_the_exec() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::Simple("QUEUED".into()));
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::NullArray);
        // A write that changes nothing does not count.
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["DEL", "nosuch"]), Frame::Integer(0));
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::Array(vec![]));
    }

    #[test]
    fn protocol_errors_close_the_client() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let id = s.connect();
        let out = s.receive(id, b"*1\r\n+PING\r\n", 0);
        assert!(out.close);
        assert_eq!(out.reply, b"-ERR Protocol error: expected '$', got '+'\r\n");
        assert!(!s.is_connected(id));
    }
}
