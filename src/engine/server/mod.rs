//! One redis-server's state and machinery: its clients, its data, its
//! replication (`replication/`), its persistence, its pub/sub channels and
//! its parked clients. What each command does to it is in `commands/`; how
//! it reads its connections and runs its timers is in `server_node.rs`.
//!
//! The files of this folder are `impl Server` blocks: each takes the type
//! from here, the one import that runs back up, as Rust spreads one type's
//! methods over files.

pub mod aof;
mod blocking;
pub mod eviction;
pub mod functions;
pub(crate) mod migrate;
pub(crate) mod clients;
pub mod persistence;
pub mod tracking;
pub(crate) mod latency;
pub(crate) mod pubsub;
pub mod replication;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use clients::Client;
use persistence::Persistence;
use replication::{Replication, MASTER_CLIENT, SYNTHESIZED_CACHED_MASTER};

use super::config::Config;
use super::disk::Disk;
use super::info::Stats;
use super::keyspace::{Db, Keyspace};
use super::log::LogLine;
use super::params::Settings;
use super::rng::Rng;
use super::time::Millis;

use super::node::{Conn, Output};

pub use super::node::ClientId;

/// Redis runs its periodic work `hz` (10) times a second.
pub(crate) const CRON_PERIOD_MS: Millis = 100;

/// A CLIENT PAUSE in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientPause {
    pub(crate) all: bool,
    pub(crate) until: Millis,
}

#[derive(Clone)]
pub struct Server {
    pub port: u16,
    pub config: Config,
    pub keyspace: Keyspace,
    pub run_id: String,
    pub started_at: Millis,
    pub settings: Settings,
    pub(crate) clients: BTreeMap<ClientId, Client>,
    pub(crate) next_client_id: ClientId,
    /// DEBUG SLEEP: until then the process reads, answers and sends nothing.
    pub(crate) asleep_until: Option<Millis>,
    /// DEBUG SET-ACTIVE-EXPIRE 0 stops the cron's expiry cycle (keys then
    /// expire only when touched).
    pub(crate) active_expire_enabled: bool,
    /// CLIENT PAUSE: whether every command waits (ALL) or only those that
    /// may write or replicate (WRITE), and until when.
    pub(crate) pause: Option<ClientPause>,
    /// A FAILOVER holds writes back until the hand-over is done.
    pub(crate) failover_pause: bool,
    /// Clients whose command waits for the pause to end, in arrival order.
    pub(crate) postponed: std::collections::VecDeque<ClientId>,
    /// DEBUG QUICKLIST-PACKED-THRESHOLD: list elements at least this large
    /// get a quicklist node of their own in Redis; a layout detail no
    /// reply shows, kept for the command's checks.
    pub(crate) quicklist_packed_threshold: u64,
    /// Replies held back until the sleep ends (the sleeper's among them).
    pub(crate) replies_after_sleep: Vec<(ClientId, Vec<u8>)>,
    pub(crate) dirty: u64,
    pub(crate) rng: Rng,
    /// What the server wants done, in order (see `Node::poll_output`).
    pub(crate) outputs: VecDeque<Output>,
    /// When its periodic work (serverCron, `hz` 10) next runs.
    pub(crate) next_cron: Millis,
    pub stats: Stats,
    /// SLOWLOG and the latency monitor (latency.rs).
    pub(crate) slowlog: latency::SlowLog,
    /// The scripts EVAL and SCRIPT LOAD cached, by SHA1 (hex).
    pub(crate) scripts: crate::engine::fnv::FixedHashMap<String, Vec<u8>>,
    /// The state of math.random's generator: one per process, never
    /// reseeded between scripts (only by math.randomseed), as in Redis.
    pub(crate) lua_random: u64,
    /// FUNCTION LOAD's libraries, by name.
    pub(crate) libraries: functions::Libraries,
    /// ACL users and the log of refusals.
    pub acl: crate::engine::acl::Acl,
    /// The append-only file (aof.rs).
    pub aof: aof::Aof,
    /// Client-side caching's tables (tracking.rs).
    pub(crate) tracking: tracking::TrackingTables,
    /// The client whose command runs now (NOLOOP tracking asks who changed a key).
    pub(crate) current_client: Option<ClientId>,
    /// The `aclfile` as the disk holds it (read at start, written by ACL SAVE).
    pub(crate) acl_file: Option<Vec<u8>>,
    pub(crate) latency: latency::LatencyMonitor,
    /// Both sides of replication (see replication/).
    pub repl: Replication,
    /// REPLCONF listening-port values, by connection, until PSYNC.
    pub(crate) pending_ports: BTreeMap<ClientId, u16>,
    pub(crate) process_id: u32,
    pub(crate) last_save: Millis,
    /// The config file's lines as the server was started with them.
    pub config_lines: Vec<String>,
    /// Clients that sent QUIT: closed once the OK is written.
    pub(crate) quitting: BTreeSet<ClientId>,
    pub persistence: Persistence,
    /// Set by SHUTDOWN: the process is gone once the command returns.
    pub stopped: bool,
    /// maxmemory's eviction state and the host's memory guard.
    pub memory: eviction::MemoryLimits,
    /// MIGRATE's cached connections and the migration in flight.
    pub(crate) migrate: migrate::MigrateLinks,
    /// The error a script just answered with was counted where a command
    /// of the script gave it: the reply is not counted again.
    pub(crate) error_reply_counted: bool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may run the commands
    /// flagged noscript (a switch of Redis's own tests).
    pub(crate) scripts_run_denied: bool,
    /// Which per-command walks over every client may find something.
    pub(crate) hints: ClientHints,
}

/// Hints that spare a walk over every client after each command (with 50
/// clients on the bridge those walks were a third of its time): each is
/// set when a client starts monitoring, watching keys or waiting, and
/// cleared by a walk that found none. Stale `true` costs one walk; a
/// hint is never `false` while a client needs it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClientHints {
    pub monitoring: bool,
    pub watching: bool,
    pub parked: bool,
}

impl Server {
    /// `seed` feeds the node's own random choices (SPOP, RANDOMKEY...).
    pub fn new(port: u16, config: Config, run_id: String, seed: u64, now: Millis) -> Server {
        let settings = Settings::from_config(&config);
        let keyspace = Keyspace::new(config.databases());
        let mut rng = Rng::new(seed);
        let replid = rng.hex40();
        let process_id = 1000 + rng.below(30_000) as u32;
        let mut acl = crate::engine::acl::Acl::default();
        let pubsub_all = settings.value_of("acl-pubsub-default").is_some_and(|v| v == "allchannels");
        acl.sync_requirepass(settings.requirepass());
        acl.load_configured(&config.all("user"), pubsub_all);
        Server {
            stats: Stats::default(),
            repl: Replication::new(replid, now),
            pending_ports: BTreeMap::new(),
            process_id,
            last_save: now,
            quitting: Default::default(),
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
            active_expire_enabled: true,
            pause: None,
            failover_pause: false,
            postponed: Default::default(),
            quicklist_packed_threshold: 1 << 30,
            replies_after_sleep: Vec::new(),
            slowlog: Default::default(),
            scripts: Default::default(),
            lua_random: crate::engine::lua::RANDOM_START,
            libraries: Default::default(),
            acl,
            acl_file: None,
            aof: Default::default(),
            tracking: Default::default(),
            current_client: None,
            latency: Default::default(),
            dirty: 0,
            rng,
            outputs: VecDeque::new(),
            next_cron: now + CRON_PERIOD_MS,
            persistence: Persistence::default(),
            stopped: false,
            memory: eviction::MemoryLimits::default(),
            migrate: Default::default(),
            error_reply_counted: false,
            scripts_run_denied: false,
            hints: ClientHints::default(),
        }
    }

    /// Starts a server on its disk: the dump named by `dir`/`dbfilename`
    /// is loaded if there is one. A dump that cannot be loaded stops the
    /// start, as it stops redis-server.
    pub fn start(port: u16, config: Config, run_id: String, seed: u64, now: Millis, disk: &Disk) -> Result<Server, String> {
        let mut server = Server::new(port, config, run_id, seed, now);
        server.log_startup(now);
        if let Some(path) = server.acl_file_path() {
            if !server.config.all("user").is_empty() {
                return Err("Configuring Redis with users defined in redis.conf and at the same time setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
            }
            server.acl_file = disk.read(&path).map(<[u8]>::to_vec);
            let content = server.acl_file.clone().ok_or_else(|| format!("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '{}': No such file or directory", server.acl_file_name()))?;
            let all = server.settings.value_of("acl-pubsub-default").is_some_and(|v| v == "allchannels");
            let name = server.acl_file_name();
            server.acl.load_file(&name, &content, all).map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        let path = server.dump_path();
        if server.settings.value_of("appendonly").is_some_and(|v| v == "yes") {
            server.load_aof_at_start(disk, now)?;
        } else if let Some(bytes) = disk.read(&path) {
            server.load_dump(bytes, now)?;
        }
        if server.persistence.loading.is_none() {
            server.after_startup_load(now);
        }
        Ok(server)
    }

    /// The `replicaof` (or `slaveof`) of the config file.
    fn configured_master(&self) -> Option<&[String]> {
        self.config.get("replicaof").or_else(|| self.config.get("slaveof"))
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
        let role = if self.configured_master().is_some() { 'S' } else { 'M' };
        self.log_as(now, role, '*', "monotonic clock: POSIX clock_gettime".into());
        self.log_as(now, role, '*', format!("Running mode=standalone, port={}.", self.port));
        self.log_as(now, role, '#', "Server initialized".into());
    }

    /// What start-up does once the dump (if any) is loaded: `replicaof`
    /// in the config file makes it a replica, the dump's history is its own.
    pub(crate) fn after_startup_load(&mut self, now: Millis) {
        let master = self.configured_master().map(|a| a.to_vec());
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

    /// `aclfile` as configured, if set.
    pub(crate) fn acl_file_name(&self) -> String {
        self.settings.value_of("aclfile").unwrap_or_default()
    }

    /// Where `aclfile` is on the node's disk, if it is set.
    pub(crate) fn acl_file_path(&self) -> Option<String> {
        let name = self.acl_file_name();
        (!name.is_empty()).then(|| crate::engine::disk::join(&self.settings.dir, &name))
    }

    /// Whether a start-up load is still under way.
    pub fn is_loading(&self) -> bool {
        self.persistence.loading.is_some()
    }

    pub fn connect_at(&mut self, now: Millis) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut client = Client::new(now);
        self.acl.sync_requirepass(self.settings.requirepass());
        client.authenticated = !self.acl.auth_required();
        self.clients.insert(id, client);
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
        self.disable_tracking(id);
        self.clients.remove(&id);
        self.forget_replica(id, now);
    }

    /// The master's stream is over (never one of this node's replicas).
    pub(crate) fn remove_master_client(&mut self) {
        self.clients.remove(&MASTER_CLIENT);
    }

    /// The client the master's stream is executed as.
    pub(crate) fn add_master_client(&mut self, now: Millis) {
        let mut client = Client::new(now);
        client.state.from_master = true;
        self.clients.insert(MASTER_CLIENT, client);
    }

    /// Bytes written to a connection that no INFO counter sees.
    pub(crate) fn push_output_uncounted(&mut self, id: ClientId, bytes: Vec<u8>) {
        self.outputs.push_back(Output::Send { conn: Conn::Client(id), bytes });
    }

    /// Bytes for a connection, sent outside a reply (served clients,
    /// messages, the replication stream).
    pub(crate) fn push_output(&mut self, id: ClientId, bytes: Vec<u8>) {
        if self.repl.replicas.contains_key(&id) {
            self.stats.net_repl_output_bytes += bytes.len() as u64;
        } else {
            self.stats.net_output_bytes += bytes.len() as u64;
        }
        self.outputs.push_back(Output::Send { conn: Conn::Client(id), bytes });
    }

    pub(crate) fn rng_hex40(&mut self) -> String {
        self.rng.hex40()
    }

    pub fn is_connected(&self, id: ClientId) -> bool {
        self.clients.contains_key(&id)
    }

    pub fn changes_since_save(&self) -> u64 {
        self.dirty
    }

    /// For driving a server without a network (tests, benchmarks): what
    /// it sent its clients outside the replies `receive` returned, since
    /// the last call; everything else it wanted done is dropped.
    pub fn take_output(&mut self) -> Vec<(ClientId, Vec<u8>)> {
        self.outputs
            .drain(..)
            .filter_map(|output| match output {
                Output::Send { conn: Conn::Client(id), bytes } => Some((id, bytes)),
                _ => None,
            })
            .collect()
    }

    /// Marks the clients watching a key so that their EXEC fails.
    /// A key changed: its watchers' EXEC will fail. A key that had
    /// already expired when it was watched and is gone now did not change
    /// logically (Redis 7.0 clears its flag instead).
    pub(crate) fn touch_watchers(&mut self, db: usize, key: &[u8]) {
        self.tracking_invalidate(key, self.current_client);
        let stored = self.keyspace.dbs[db].stores(key);
        for client in self.clients.values_mut() {
            let Some(at) = client.watched.iter().position(|(d, k, _)| *d == db && k == key) else { continue };
            if client.watched[at].2 && !stored {
                client.watched[at].2 = false;
                continue;
            }
            client.dirty_cas = true;
            client.watched.clear();
        }
    }

    /// FLUSHDB, FLUSHALL or SWAPDB emptied (or replaced) a watched key's
    /// database, which held it before if `existed`: as Redis's
    /// touchAllWatchedKeysInDb, an expired key that stays expired or goes,
    /// or a missing one replaced by an expired one, is no logical change.
    pub(crate) fn touch_watchers_replaced(&mut self, db: usize, key: &[u8], existed: bool, now: Millis) {
        let stored = self.keyspace.dbs[db].stores(key);
        let expired_now = self.keyspace.dbs[db].is_expired_now(key, now);
        for client in self.clients.values_mut() {
            let Some(at) = client.watched.iter().position(|(d, k, _)| *d == db && k == key) else { continue };
            let was_expired = client.watched[at].2;
            if was_expired && !stored {
                client.watched[at].2 = false;
                continue;
            }
            if was_expired && expired_now {
                continue;
            }
            if !was_expired && !existed && expired_now {
                client.watched[at].2 = true;
                continue;
            }
            client.dirty_cas = true;
            client.watched.clear();
        }
    }

    /// Whether a changed key matters to anyone beyond the data: a client
    /// watching keys, or client-side caching to invalidate.
    pub(crate) fn key_changes_followed(&mut self) -> bool {
        if !self.tracking.keys.is_empty() || !self.tracking.prefixes.is_empty() {
            return true;
        }
        if self.hints.watching && !self.clients.values().any(|c| !c.watched.is_empty()) {
            self.hints.watching = false;
        }
        self.hints.watching
    }

    /// Keys that expired count as changed for their watchers.
    pub(crate) fn report_expired(&mut self) {
        if !self.keyspace.dbs.iter().any(Db::has_expired) {
            return;
        }
        for db in 0..self.keyspace.dbs.len() {
            for key in self.keyspace.dbs[db].take_expired() {
                self.stats.expired_keys += 1;
                self.touch_watchers(db, &key);
                self.notify_keyspace_event(crate::engine::notify::EXPIRED, "expired", &key, db);
                // Replicas learn of an expiry from their master's DEL.
                self.feed(Some(db), &[b"DEL".to_vec(), key]);
            }
        }
    }

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
        self.log_as(now, role, level, text);
    }

    /// A line written while Redis's notion of the role is not the one the
    /// server has now (mid-switch).
    pub(crate) fn log_as(&mut self, now: Millis, role: char, level: char, text: String) {
        self.outputs.push_back(Output::Log(LogLine { at: now, role, level, text }));
    }

    /// Whether a CLIENT PAUSE or a FAILOVER holds clients back (nothing
    /// expires or is evicted meanwhile).
    pub(crate) fn clients_paused(&self) -> bool {
        self.pause.is_some() || self.failover_pause
    }

    /// Closes a connection from this end (CLIENT KILL, a timed-out replica).
    pub(crate) fn kill_client(&mut self, id: ClientId, now: Millis) {
        self.remove_client(id, now);
        self.outputs.push_back(Output::Close { conn: Conn::Client(id) });
    }

    /// Periodic work below the event loop (Redis's serverCron at `hz` 10):
    /// active expiry, saves, replication.
    pub(crate) fn server_cron(&mut self, now: Millis) {
        // A pause freezes the dataset: nothing expires meanwhile.
        if self.active_expire_enabled && !self.clients_paused() {
            for db in &mut self.keyspace.dbs {
                db.active_expire(now);
            }
        }
        self.report_expired();
        // Redis keeps evicting in the background once over maxmemory (after
        // CONFIG SET maxmemory lowered it), not only when a command comes;
        // a pause freezes the dataset.
        if !self.clients_paused() && self.settings.maxmemory() > 0 {
            let _ = self.perform_evictions(now);
        }
        self.persistence_cron(now);
        self.note_memory_peak();
        self.aof_follow_config(now);
        self.aof_cron(now);
        self.tracking_broadcast();
        self.replication_cron(now);
        self.close_idle_migrate_links(now);
        for client in self.clients.values_mut() {
            client.resize_query_buffer(now);
        }
    }

    pub fn key_count(&self) -> usize {
        self.keyspace.total_keys()
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
}
