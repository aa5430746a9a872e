//! One Sentinel process as a sans-IO state machine, after Redis 7.0's
//! sentinel.c: it watches masters and their replicas over connections it
//! asks the caller to open (a command link and a pub/sub link to each
//! server, a command link to each other Sentinel), finds replicas in INFO
//! and other Sentinels in `__sentinel__:hello`, marks instances down
//! (SDOWN, then ODOWN with the quorum), elects a leader per epoch and runs
//! the failover. Clients talk to it with the commands redis-sentinel
//! answers. It owns no socket and no clock: the caller passes virtual time
//! and carries the bytes.

pub mod conf;
mod commands;

use std::collections::{BTreeMap, VecDeque};

use super::config::ConfigError;
use super::keyspace::Millis;
use super::log::{Log, LogLine};
use super::resp::{encode_command, parse_frame, Frame, RequestParser};
use super::rng::Rng;
use super::server::{ClientId, Output};
use conf::{MasterConf, SentinelConf};

/// A connection this Sentinel opened to another node.
pub type ConnId = u64;

/// What the Sentinel asks of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentinelNet {
    Connect { conn: ConnId, host: String, port: u16 },
    Send { conn: ConnId, bytes: Vec<u8> },
    Close { conn: ConnId },
}

const MAX_DESYNC: usize = 1000;
const MAX_PENDING_COMMANDS: i64 = 100;
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// Sentinel's periods and timeouts (milliseconds), which SENTINEL DEBUG
/// shows and changes; the defaults are sentinel.c's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timings {
    pub info_period: Millis,
    pub ping_period: Millis,
    pub ask_period: Millis,
    pub publish_period: Millis,
    pub default_down_after: Millis,
    pub default_failover_timeout: Millis,
    pub tilt_trigger: Millis,
    pub tilt_period: Millis,
    pub slave_reconf_timeout: Millis,
    pub min_link_reconnect_period: Millis,
    pub election_timeout: Millis,
    pub script_max_runtime: Millis,
    pub script_retry_delay: Millis,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings {
            info_period: 10_000,
            ping_period: 1000,
            ask_period: 1000,
            publish_period: 2000,
            default_down_after: conf::DEFAULT_DOWN_AFTER_MS,
            default_failover_timeout: conf::DEFAULT_FAILOVER_TIMEOUT_MS,
            tilt_trigger: 2000,
            tilt_period: 30_000,
            slave_reconf_timeout: 10_000,
            min_link_reconnect_period: 15_000,
            election_timeout: 10_000,
            script_max_runtime: 60_000,
            script_retry_delay: 30_000,
        }
    }
}

impl Timings {
    /// SENTINEL DEBUG's names, in its order, with each value.
    pub fn named(&mut self) -> [(&'static str, &mut Millis); 13] {
        [
            ("INFO-PERIOD", &mut self.info_period),
            ("PING-PERIOD", &mut self.ping_period),
            ("ASK-PERIOD", &mut self.ask_period),
            ("PUBLISH-PERIOD", &mut self.publish_period),
            ("DEFAULT-DOWN-AFTER", &mut self.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", &mut self.default_failover_timeout),
            ("TILT-TRIGGER", &mut self.tilt_trigger),
            ("TILT-PERIOD", &mut self.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", &mut self.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", &mut self.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", &mut self.election_timeout),
            ("SCRIPT-MAX-RUNTIME", &mut self.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", &mut self.script_retry_delay),
        ]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    Slave,
    Sentinel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    fn name(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// The two connections to one instance and their timing.
#[derive(Clone, Debug, Default)]
struct Link {
    cc: Option<ConnId>,
    pc: Option<ConnId>,
    cc_conn_time: Millis,
    pc_conn_time: Millis,
    pc_last_activity: Millis,
    pending_commands: i64,
    /// When the oldest unanswered PING was sent (0: none pending).
    act_ping_time: Millis,
    last_ping_time: Millis,
    last_pong_time: Millis,
    last_avail_time: Millis,
    last_reconn_time: Millis,
}

/// A master, replica or other Sentinel as this Sentinel sees it.
#[derive(Clone, Debug)]
struct Instance {
    role: Role,
    /// The master's name, a replica's `ip:port`, a Sentinel's run id.
    name: String,
    host: String,
    port: u16,
    runid: Option<String>,
    link: Link,
    down_after: Millis,
    s_down: bool,
    s_down_since: Millis,
    o_down: bool,
    o_down_since: Millis,
    /// A Sentinel that said our master is down.
    master_down: bool,
    promoted: bool,
    reconf_sent: bool,
    reconf_inprog: bool,
    reconf_done: bool,
    info_refresh: Millis,
    info: Option<String>,
    role_reported: Role,
    role_reported_time: Millis,
    slave_conf_change_time: Millis,
    last_pub_time: Millis,
    last_hello_time: Millis,
    last_master_down_reply_time: Millis,
    master_link_down_time: Millis,
    slave_master_host: Option<String>,
    slave_master_port: u16,
    slave_master_link_up: bool,
    slave_priority: i64,
    slave_repl_offset: i64,
    replica_announced: bool,
    slave_reconf_sent_time: Millis,
    /// A Sentinel's vote, as it told us.
    leader: Option<String>,
    leader_epoch: u64,
}

impl Instance {
    fn new(role: Role, name: String, host: String, port: u16, down_after: Millis, now: Millis) -> Instance {
        Instance {
            role,
            name,
            host,
            port,
            runid: None,
            // As sentinel.c: a link nobody could open yet times out too.
            link: Link { act_ping_time: now, last_avail_time: now, last_pong_time: now, ..Link::default() },
            down_after,
            s_down: false,
            s_down_since: 0,
            o_down: false,
            o_down_since: 0,
            master_down: false,
            promoted: false,
            reconf_sent: false,
            reconf_inprog: false,
            reconf_done: false,
            info_refresh: 0,
            info: None,
            role_reported: if role == Role::Slave { Role::Slave } else { Role::Master },
            role_reported_time: now,
            slave_conf_change_time: now,
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            master_link_down_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_priority: 100,
            slave_repl_offset: 0,
            replica_announced: true,
            slave_reconf_sent_time: 0,
            leader: None,
            leader_epoch: 0,
        }
    }

    /// Sentinel counts a link as down while either connection is missing.
    fn disconnected(&self) -> bool {
        self.link.cc.is_none() || (self.role != Role::Sentinel && self.link.pc.is_none())
    }

    fn kind(&self) -> &'static str {
        match self.role {
            Role::Master => "master",
            Role::Slave => "slave",
            Role::Sentinel => "sentinel",
        }
    }

    /// Milliseconds without an answer, as the SDOWN check measures them.
    fn silence(&self, now: Millis) -> Millis {
        if self.link.act_ping_time != 0 {
            now - self.link.act_ping_time
        } else if self.disconnected() {
            now - self.link.last_avail_time
        } else {
            0
        }
    }

    /// No SDOWN or ODOWN in the last `ms`.
    fn no_down_for(&self, ms: Millis, now: Millis) -> bool {
        let recent = self.s_down_since.max(self.o_down_since);
        recent == 0 || now - recent > ms
    }
}

/// A monitored master, its replicas and the other Sentinels watching it.
#[derive(Clone, Debug)]
struct Master {
    inst: Instance,
    quorum: i64,
    failover_timeout: Millis,
    parallel_syncs: i64,
    config_epoch: u64,
    /// Our vote for this master's failover leader.
    leader: Option<String>,
    leader_epoch: u64,
    failover_epoch: u64,
    failover_in_progress: bool,
    force_failover: bool,
    failover_state: FailoverState,
    failover_state_change_time: Millis,
    failover_start_time: Millis,
    failover_delay_logged: Millis,
    /// The replica being promoted (its key in `slaves`).
    promoted: Option<String>,
    slaves: BTreeMap<String, Instance>,
    sentinels: BTreeMap<String, Instance>,
}

impl Master {
    fn from_conf(c: &MasterConf, now: Millis) -> Master {
        let mut master = Master {
            inst: Instance::new(Role::Master, c.name.clone(), c.host.clone(), c.port, c.down_after_ms, now),
            quorum: c.quorum,
            failover_timeout: c.failover_timeout_ms,
            parallel_syncs: c.parallel_syncs,
            config_epoch: c.config_epoch,
            leader: None,
            leader_epoch: c.leader_epoch,
            failover_epoch: 0,
            failover_in_progress: false,
            force_failover: false,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_delay_logged: 0,
            promoted: None,
            slaves: BTreeMap::new(),
            sentinels: BTreeMap::new(),
        };
        for (host, port) in &c.known_replicas {
            master.add_slave(host, *port, now);
        }
        for (host, port, runid) in &c.known_sentinels {
            let mut s = Instance::new(Role::Sentinel, runid.clone(), host.clone(), *port, c.down_after_ms, now);
            s.runid = Some(runid.clone());
            master.sentinels.insert(runid.clone(), s);
        }
        master
    }

    fn add_slave(&mut self, host: &str, port: u16, now: Millis) -> String {
        let key = format!("{host}:{port}");
        let inst = Instance::new(Role::Slave, key.clone(), host.to_string(), port, self.inst.down_after, now);
        self.slaves.insert(key.clone(), inst);
        key
    }

    /// The `%@` of an event about this master itself.
    fn describe(&self) -> String {
        format!("master {} {} {}", self.inst.name, self.inst.host, self.inst.port)
    }

    /// The `%@` of an event about one of its replicas or Sentinels.
    fn describe_member(&self, inst: &Instance) -> String {
        format!("{} {} {} {} @ {} {} {}", inst.kind(), inst.name, inst.host, inst.port, self.inst.name, self.inst.host, self.inst.port)
    }

    /// Where clients should find the master: the promoted replica once
    /// the failover reconfigures the others.
    fn current_address(&self) -> (String, u16) {
        if self.failover_in_progress && self.failover_state >= FailoverState::ReconfSlaves {
            if let Some(addr) = self.promoted_address() {
                return addr;
            }
        }
        (self.inst.host.clone(), self.inst.port)
    }

    /// The promoted replica's address, from its key (`ip:port`): the
    /// replica itself may be out of `slaves` while it is worked on.
    fn promoted_address(&self) -> Option<(String, u16)> {
        let (host, port) = self.promoted.as_ref()?.rsplit_once(':')?;
        Some((host.to_string(), port.parse().ok()?))
    }

    fn looks_sane(&self, info_period: Millis, now: Millis) -> bool {
        self.inst.role_reported == Role::Master
            && !self.inst.s_down
            && !self.inst.o_down
            && now - self.inst.info_refresh < info_period.saturating_mul(2)
    }
}

/// Which instance of a master a connection belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Who {
    Master,
    Slave(String),
    Sentinel(String),
}

/// The reply a connection waits for next, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Ping,
    Info,
    Publish,
    IsMasterDown,
    Discard,
}

#[derive(Debug)]
struct Conn {
    master: String,
    who: Who,
    pubsub: bool,
    /// The network said the connection is open (not refused).
    established: bool,
    buffer: Vec<u8>,
    expects: VecDeque<Expect>,
}

/// A client connected to this Sentinel (a console, another Sentinel).
#[derive(Debug, Default)]
struct Client {
    input: RequestParser,
    name: Vec<u8>,
    channels: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    connected_at: Millis,
    last_command_at: Millis,
    last_command: String,
}

pub struct Sentinel {
    pub port: u16,
    pub myid: String,
    pub process_id: u32,
    rng: Rng,
    current_epoch: u64,
    masters: BTreeMap<String, Master>,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    net: Vec<SentinelNet>,
    clients: BTreeMap<ClientId, Client>,
    next_client: ClientId,
    /// Event messages for clients subscribed to Sentinel's channels.
    outbox: Vec<(ClientId, Vec<u8>)>,
    /// Connections closed by CLIENT KILL or QUIT, for the network.
    killed: Vec<ClientId>,
    pub log: Log,
    /// sentinel.conf as it was read, then as Sentinel rewrote it.
    pub config_lines: Vec<String>,
    rewritten: bool,
    started_at: Millis,
    /// Sentinel draws its timer frequency anew on every run (10..19).
    hz: u64,
    /// INFO's counters; the keyspace and persistence stay empty (Sentinel
    /// holds no data) but INFO reads them as a server's.
    stats: crate::engine::info::Stats,
    keyspace: crate::engine::keyspace::Keyspace,
    persistence: crate::engine::persistence::Persistence,
    /// Set by SHUTDOWN (or a simulated failure).
    pub stopped: bool,
    pub timings: Timings,
    /// SENTINEL SIMULATE-FAILURE: 1 crash after election, 2 after promotion.
    simulate_failure_flags: u64,
    /// SENTINEL CONFIG values: resolve-hostnames, announce-hostnames,
    /// announce-ip, announce-port, sentinel-user, sentinel-pass.
    global_config: Vec<(&'static str, String)>,
}

pub(crate) const SIMFAILURE_CRASH_AFTER_ELECTION: u64 = 1;
pub(crate) const SIMFAILURE_CRASH_AFTER_PROMOTION: u64 = 2;

/// A snapshot of one monitored master for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchView {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// ok, sdown or odown (as INFO's `status=`).
    pub status: &'static str,
    pub replicas: Vec<u16>,
    pub sentinels: usize,
    pub quorum: i64,
    /// The failover state while one runs.
    pub failover: Option<&'static str>,
}

impl Sentinel {
    /// Starts redis-sentinel on `port` with its sentinel.conf.
    pub fn start<S: AsRef<str>>(port: u16, config_lines: &[S], seed: u64, now: Millis) -> Result<Sentinel, ConfigError> {
        let conf = SentinelConf::parse(config_lines, port)?;
        let mut rng = Rng::new(seed);
        let process_id = 1000 + rng.below(30_000) as u32;
        let new_id = conf.myid.is_none();
        let myid = conf.myid.clone().unwrap_or_else(|| rng.hex40());
        let mut s = Sentinel {
            port: conf.port,
            myid,
            process_id,
            rng,
            current_epoch: conf.current_epoch,
            masters: BTreeMap::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            net: Vec::new(),
            clients: BTreeMap::new(),
            next_client: 1,
            outbox: Vec::new(),
            killed: Vec::new(),
            log: Log::default(),
            config_lines: config_lines.iter().map(|l| l.as_ref().to_string()).collect(),
            rewritten: false,
            started_at: now,
            hz: 10,
            stats: Default::default(),
            keyspace: crate::engine::keyspace::Keyspace::new(1),
            persistence: Default::default(),
            stopped: false,
            timings: Timings::default(),
            simulate_failure_flags: 0,
            global_config: vec![
                ("resolve-hostnames", "no".into()),
                ("announce-hostnames", "no".into()),
                ("announce-ip", String::new()),
                ("announce-port", "0".into()),
                ("sentinel-user", String::new()),
                ("sentinel-pass", String::new()),
            ],
        };
        for m in &conf.masters {
            s.masters.insert(m.name.clone(), Master::from_conf(m, now));
        }
        for (name, value) in &conf.globals {
            if let Some(entry) = s.global_config.iter_mut().find(|(k, _)| k == name) {
                entry.1 = value.clone();
            }
        }
        s.log_line(now, '#', "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo".into());
        s.log_line(now, '#', format!("Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid={process_id}, just started"));
        s.log_line(now, '#', "Configuration loaded".into());
        s.log_line(now, '*', "monotonic clock: POSIX clock_gettime".into());
        s.log_line(now, '*', format!("Running mode=sentinel, port={}.", s.port));
        if new_id {
            s.flush_config(now);
        }
        s.log_line(now, '#', format!("Sentinel ID is {}", s.myid));
        let names: Vec<String> = s.masters.keys().cloned().collect();
        for name in names {
            let (what, quorum) = {
                let m = &s.masters[&name];
                (m.describe(), m.quorum)
            };
            s.event(now, '#', "+monitor", format!("{what} quorum {quorum}"));
        }
        Ok(s)
    }

    fn log_line(&mut self, now: Millis, level: char, text: String) {
        self.log.push(LogLine { at: now, role: 'X', level, text });
    }

    /// An event: logged (notice `*`, warning `#`) and published to the
    /// clients subscribed to its channel, as sentinelEvent does.
    fn event(&mut self, now: Millis, level: char, kind: &str, text: String) {
        if level != '-' {
            self.log_line(now, level, format!("{kind} {text}"));
        }
        self.publish_local(kind.as_bytes(), text.as_bytes());
    }

    /// Delivers a message to this Sentinel's own subscribers.
    fn publish_local(&mut self, channel: &[u8], message: &[u8]) -> i64 {
        let mut receivers = 0;
        for (&id, client) in &self.clients {
            if client.channels.iter().any(|c| c == channel) {
                let frame = Frame::Array(vec![Frame::bulk("message"), Frame::bulk(channel.to_vec()), Frame::bulk(message.to_vec())]);
                self.outbox.push((id, frame.to_bytes()));
                receivers += 1;
            }
            for pattern in &client.patterns {
                if crate::engine::glob::matches(pattern, channel, false) {
                    let frame = Frame::Array(vec![
                        Frame::bulk("pmessage"),
                        Frame::bulk(pattern.clone()),
                        Frame::bulk(channel.to_vec()),
                        Frame::bulk(message.to_vec()),
                    ]);
                    self.outbox.push((id, frame.to_bytes()));
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// Writes the current state into sentinel.conf.
    fn flush_config(&mut self, now: Millis) {
        // In the order redis-sentinel writes them the first time.
        let mut lines = vec![
            "protected-mode no".to_string(),
            "latency-tracking-info-percentiles 50 99 99.9".to_string(),
            "user default on nopass ~* &* +@all".to_string(),
            format!("sentinel myid {}", self.myid),
        ];
        let mut known = Vec::new();
        // SENTINEL CONFIG's parameters, when not at their defaults.
        let global = |name: &str| self.global_config.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        for (name, default) in [("resolve-hostnames", "no"), ("announce-hostnames", "no")] {
            if global(name) != default {
                lines.push(format!("sentinel {name} {}", global(name)));
            }
        }
        for m in self.masters.values() {
            // Mid-failover, the promoted replica is already the master here.
            let (host, port) = m.current_address();
            lines.push(format!("sentinel monitor {} {} {} {}", m.inst.name, host, port, m.quorum));
            if m.inst.down_after != conf::DEFAULT_DOWN_AFTER_MS {
                lines.push(format!("sentinel down-after-milliseconds {} {}", m.inst.name, m.inst.down_after));
            }
            if m.failover_timeout != conf::DEFAULT_FAILOVER_TIMEOUT_MS {
                lines.push(format!("sentinel failover-timeout {} {}", m.inst.name, m.failover_timeout));
            }
            if m.parallel_syncs != conf::DEFAULT_PARALLEL_SYNCS {
                lines.push(format!("sentinel parallel-syncs {} {}", m.inst.name, m.parallel_syncs));
            }
            lines.push(format!("sentinel config-epoch {} {}", m.inst.name, m.config_epoch));
            lines.push(format!("sentinel leader-epoch {} {}", m.inst.name, m.leader_epoch));
            // ...and the old master takes its place among the replicas.
            for s in m.slaves.values() {
                let (host, port) = if (s.host.as_str(), s.port) == (host.as_str(), port) {
                    (m.inst.host.clone(), m.inst.port)
                } else {
                    (s.host.clone(), s.port)
                };
                known.push(format!("sentinel known-replica {} {} {}", m.inst.name, host, port));
            }
            for s in m.sentinels.values() {
                known.push(format!("sentinel known-sentinel {} {} {} {}", m.inst.name, s.host, s.port, s.name));
            }
        }
        lines.push(format!("sentinel current-epoch {}", self.current_epoch));
        for (name, default) in [("announce-ip", ""), ("announce-port", "0"), ("sentinel-user", ""), ("sentinel-pass", "")] {
            if global(name) != default {
                lines.push(format!("sentinel {name} {}", global(name)));
            }
        }
        lines.extend(known);
        self.config_lines = conf::rewrite(&self.config_lines, &lines);
        self.rewritten = true;
        self.log_line(now, '*', "Sentinel new configuration saved on disk".into());
    }

    /// The config file after the last rewrite, once, for the machine.
    pub fn take_rewritten_config(&mut self) -> Option<Vec<String>> {
        if std::mem::take(&mut self.rewritten) {
            Some(self.config_lines.clone())
        } else {
            None
        }
    }

    pub fn take_net(&mut self) -> Vec<SentinelNet> {
        std::mem::take(&mut self.net)
    }

    pub fn take_output(&mut self) -> Vec<(ClientId, Vec<u8>)> {
        std::mem::take(&mut self.outbox)
    }

    pub fn take_killed(&mut self) -> Vec<ClientId> {
        std::mem::take(&mut self.killed)
    }

    /// How often the timer runs now (ms).
    pub fn timer_period(&self) -> Millis {
        1000 / self.hz as Millis
    }

    /// What the page shows of each monitored master.
    pub fn watching(&self) -> Vec<WatchView> {
        self.masters
            .values()
            .map(|m| WatchView {
                name: m.inst.name.clone(),
                host: m.inst.host.clone(),
                port: m.inst.port,
                status: status_word(&m.inst),
                replicas: m.slaves.values().map(|s| s.port).collect(),
                sentinels: m.sentinels.len() + 1,
                quorum: m.quorum,
                failover: m.failover_in_progress.then(|| m.failover_state.name()),
            })
            .collect()
    }

    // ----- outgoing connections -----

    fn open(&mut self, master: &str, who: Who, pubsub: bool, host: &str, port: u16) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(conn, Conn { master: master.to_string(), who, pubsub, established: false, buffer: Vec::new(), expects: VecDeque::new() });
        self.net.push(SentinelNet::Connect { conn, host: host.to_string(), port });
        conn
    }

    fn close_conn(&mut self, conn: ConnId) {
        if self.conns.remove(&conn).is_some() {
            self.net.push(SentinelNet::Close { conn });
        }
    }

    fn close_link(&mut self, link: &mut Link) {
        if let Some(cc) = link.cc.take() {
            self.close_conn(cc);
        }
        if let Some(pc) = link.pc.take() {
            self.close_conn(pc);
        }
    }

    /// Sends a command on a command link; false when there is none.
    fn command(&mut self, link: &mut Link, args: &[&[u8]], expect: Expect) -> bool {
        let Some(cc) = link.cc else { return false };
        let Some(conn) = self.conns.get_mut(&cc) else { return false };
        conn.expects.push_back(expect);
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        self.net.push(SentinelNet::Send { conn: cc, bytes });
        link.pending_commands += 1;
        true
    }

    fn send_ping(&mut self, inst: &mut Instance, now: Millis) -> bool {
        if !self.command(&mut inst.link, &[b"PING"], Expect::Ping) {
            return false;
        }
        inst.link.last_ping_time = now;
        if inst.link.act_ping_time == 0 {
            inst.link.act_ping_time = now;
        }
        true
    }

    fn client_name(&self, what: &str) -> String {
        format!("sentinel-{}-{what}", self.myid.chars().take(8).collect::<String>())
    }

    /// Opens the missing connections of an instance (once a second at most).
    fn reconnect(&mut self, master: &str, who: Who, inst: &mut Instance, now: Millis) {
        if !inst.disconnected() || inst.port == 0 {
            return;
        }
        if now - inst.link.last_reconn_time < self.timings.ping_period {
            return;
        }
        inst.link.last_reconn_time = now;
        if inst.link.cc.is_none() {
            let cc = self.open(master, who.clone(), false, &inst.host.clone(), inst.port);
            inst.link.cc = Some(cc);
            inst.link.pending_commands = 0;
            inst.link.cc_conn_time = now;
            let name = self.client_name("cmd");
            self.command(&mut inst.link, &[b"CLIENT", b"SETNAME", name.as_bytes()], Expect::Discard);
            self.send_ping(inst, now);
        }
        if inst.role != Role::Sentinel && inst.link.pc.is_none() {
            let pc = self.open(master, who, true, &inst.host.clone(), inst.port);
            inst.link.pc = Some(pc);
            inst.link.pc_conn_time = now;
            inst.link.pc_last_activity = now;
            let name = self.client_name("pubsub");
            let mut bytes = Vec::new();
            encode_command(&[b"CLIENT".as_slice(), b"SETNAME", name.as_bytes()], &mut bytes);
            encode_command(&[b"SUBSCRIBE".as_slice(), HELLO_CHANNEL.as_bytes()], &mut bytes);
            self.net.push(SentinelNet::Send { conn: pc, bytes });
        }
    }

    /// The network opened a connection this Sentinel asked for.
    pub fn net_connected(&mut self, conn: ConnId, _now: Millis) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.established = true;
        }
    }

    /// Whether a link's connections are open: a connect still in
    /// progress takes no periodic commands yet.
    fn link_established(&self, link: &Link) -> bool {
        [link.cc, link.pc].into_iter().flatten().all(|c| self.conns.get(&c).is_some_and(|c| c.established))
    }

    /// Nothing listens there: the connection is gone, as a failed connect.
    pub fn net_refused(&mut self, conn: ConnId, now: Millis) {
        self.net_closed(conn, now);
    }

    /// A connection closed (the peer died or killed it).
    pub fn net_closed(&mut self, conn: ConnId, _now: Millis) {
        let Some(c) = self.conns.remove(&conn) else { return };
        if let Some(inst) = self.instance_mut(&c.master, &c.who) {
            if inst.link.cc == Some(conn) {
                inst.link.cc = None;
            }
            if inst.link.pc == Some(conn) {
                inst.link.pc = None;
            }
        }
    }

    fn instance_mut(&mut self, master: &str, who: &Who) -> Option<&mut Instance> {
        let m = self.masters.get_mut(master)?;
        match who {
            Who::Master => Some(&mut m.inst),
            Who::Slave(key) => m.slaves.get_mut(key),
            Who::Sentinel(id) => m.sentinels.get_mut(id),
        }
    }

    /// Bytes a node sent back on one of this Sentinel's connections.
    pub fn net_receive(&mut self, conn: ConnId, bytes: &[u8], now: Millis) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.buffer.extend_from_slice(bytes);
        loop {
            let Some(c) = self.conns.get_mut(&conn) else { return };
            let (frame, used) = match parse_frame(&c.buffer) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => return,
                Err(_) => {
                    // A peer speaking nonsense: drop the connection.
                    self.close_conn(conn);
                    self.net_closed(conn, now);
                    return;
                }
            };
            c.buffer.drain(..used);
            let (master, who, pubsub) = (c.master.clone(), c.who.clone(), c.pubsub);
            if pubsub {
                self.pubsub_reply(&master, &who, frame, now);
            } else {
                let expect = c.expects.pop_front().unwrap_or(Expect::Discard);
                self.command_reply(&master, &who, expect, frame, now);
            }
        }
    }

    fn pubsub_reply(&mut self, master: &str, who: &Who, frame: Frame, now: Millis) {
        if let Some(inst) = self.instance_mut(master, who) {
            inst.link.pc_last_activity = now;
        }
        let Frame::Array(items) = frame else { return };
        let [Frame::Bulk(kind), Frame::Bulk(channel), Frame::Bulk(payload)] = items.as_slice() else { return };
        if kind == b"message" && channel == HELLO_CHANNEL.as_bytes() {
            let payload = String::from_utf8_lossy(payload).into_owned();
            self.process_hello(&payload, now);
        }
    }

    fn command_reply(&mut self, master: &str, who: &Who, expect: Expect, frame: Frame, now: Millis) {
        let Some(inst) = self.instance_mut(master, who) else { return };
        inst.link.pending_commands = (inst.link.pending_commands - 1).max(0);
        match expect {
            Expect::Ping => {
                let valid = match &frame {
                    Frame::Simple(s) => s == "PONG",
                    Frame::Error(e) => e.starts_with("LOADING") || e.starts_with("MASTERDOWN"),
                    _ => false,
                };
                if valid {
                    inst.link.last_avail_time = now;
                    inst.link.act_ping_time = 0;
                }
                inst.link.last_pong_time = now;
            }
            Expect::Info => {
                if let Frame::Bulk(text) = frame {
                    let text = String::from_utf8_lossy(&text).into_owned();
                    self.refresh_info(master, who, &text, now);
                }
            }
            Expect::Publish => {
                if !matches!(frame, Frame::Error(_)) {
                    inst.last_pub_time = now;
                }
            }
            Expect::IsMasterDown => {
                let Frame::Array(items) = frame else { return };
                let [Frame::Integer(down), Frame::Bulk(leader), Frame::Integer(epoch)] = items.as_slice() else { return };
                inst.last_master_down_reply_time = now;
                inst.master_down = *down == 1;
                if leader.as_slice() != b"*" {
                    let leader = String::from_utf8_lossy(leader).into_owned();
                    let epoch = *epoch as u64;
                    let changed = inst.leader_epoch != epoch;
                    let name = inst.name.clone();
                    inst.leader = Some(leader.clone());
                    inst.leader_epoch = epoch;
                    if changed {
                        self.log_line(now, '#', format!("{name} voted for {leader} {epoch}"));
                    }
                }
            }
            Expect::Discard => {}
        }
    }

    // ----- INFO -----

    fn refresh_info(&mut self, master_name: &str, who: &Who, info: &str, now: Millis) {
        let Some(mut m) = self.masters.remove(master_name) else { return };
        self.refresh_info_of(&mut m, who, info, now);
        self.masters.insert(master_name.to_string(), m);
    }

    fn refresh_info_of(&mut self, m: &mut Master, who: &Who, info: &str, now: Millis) {
        let mut new_slaves = Vec::new();
        let mut reboot = false;
        let mut role = None;
        let mut role_change = None;
        {
            let inst = match who {
                Who::Master => &mut m.inst,
                Who::Slave(k) => match m.slaves.get_mut(k) {
                    Some(s) => s,
                    None => return,
                },
                Who::Sentinel(_) => return,
            };
            inst.info = Some(info.to_string());
            inst.master_link_down_time = 0;
            for line in info.split("\r\n") {
                if let Some(id) = line.strip_prefix("run_id:").filter(|id| id.len() >= 40) {
                    let id = id[..40].to_string();
                    match &inst.runid {
                        Some(old) if *old != id => {
                            reboot = true;
                            inst.runid = Some(id);
                        }
                        None => inst.runid = Some(id),
                        _ => {}
                    }
                }
                if inst.role == Role::Master && line.starts_with("slave") && line.as_bytes().get(5).is_some_and(|c| c.is_ascii_digit()) {
                    let field = |name: &str| line.split([':', ',']).find_map(|kv| kv.strip_prefix(name).map(str::to_string));
                    if let (Some(ip), Some(port)) = (field("ip="), field("port=").and_then(|p| p.parse::<u16>().ok())) {
                        new_slaves.push((ip, port));
                    }
                }
                if let Some(secs) = line.strip_prefix("master_link_down_since_seconds:") {
                    inst.master_link_down_time = secs.parse::<i64>().unwrap_or(0) * 1000;
                }
                if line == "role:master" {
                    role = Some(Role::Master);
                } else if line == "role:slave" {
                    role = Some(Role::Slave);
                }
                if role == Some(Role::Slave) {
                    if let Some(host) = line.strip_prefix("master_host:") {
                        if inst.slave_master_host.as_deref().map(|h| !h.eq_ignore_ascii_case(host)).unwrap_or(true) {
                            inst.slave_master_host = Some(host.to_string());
                            inst.slave_conf_change_time = now;
                        }
                    }
                    if let Some(port) = line.strip_prefix("master_port:") {
                        let port = port.parse().unwrap_or(0);
                        if inst.slave_master_port != port {
                            inst.slave_master_port = port;
                            inst.slave_conf_change_time = now;
                        }
                    }
                    if let Some(status) = line.strip_prefix("master_link_status:") {
                        inst.slave_master_link_up = status.eq_ignore_ascii_case("up");
                    }
                    if let Some(p) = line.strip_prefix("slave_priority:") {
                        inst.slave_priority = p.parse().unwrap_or(0);
                    }
                    if let Some(o) = line.strip_prefix("slave_repl_offset:") {
                        inst.slave_repl_offset = o.parse().unwrap_or(0);
                    }
                    if let Some(a) = line.strip_prefix("replica_announced:") {
                        inst.replica_announced = a.parse::<i64>().unwrap_or(0) != 0;
                    }
                }
            }
            inst.info_refresh = now;
            if let Some(role) = role {
                if role != inst.role_reported {
                    inst.role_reported_time = now;
                    inst.role_reported = role;
                    if role == Role::Slave {
                        inst.slave_conf_change_time = now;
                    }
                    role_change = Some((if inst.role == role { "+role-change" } else { "-role-change" }, role));
                }
            }
        }
        // A verbose event: published on its channel, not logged.
        if let Some((kind, role)) = role_change {
            let what = self.describe(m, who);
            let word = if role == Role::Master { "master" } else { "slave" };
            self.event(now, '-', kind, format!("{what} new reported role is {word}"));
        }
        if reboot {
            let what = self.describe(m, who);
            self.event(now, '*', "+reboot", what);
        }
        for (ip, port) in new_slaves {
            let key = format!("{ip}:{port}");
            if !m.slaves.contains_key(&key) {
                m.add_slave(&ip, port, now);
                let what = m.describe_member(&m.slaves[&key]);
                self.event(now, '*', "+slave", what);
                self.flush_config_with(m, now);
            }
        }
        let Some(role) = role else { return };
        let Who::Slave(key) = who else { return };
        let key = key.clone();
        if role == Role::Master {
            let promoted_here = m.slaves[&key].promoted;
            if promoted_here && m.failover_in_progress && m.failover_state == FailoverState::WaitPromotion {
                m.config_epoch = m.failover_epoch;
                m.failover_state = FailoverState::ReconfSlaves;
                m.failover_state_change_time = now;
                self.flush_config_with(m, now);
                let what = m.describe_member(&m.slaves[&key]);
                self.event(now, '#', "+promoted-slave", what);
                if self.simulate_failure_flags & SIMFAILURE_CRASH_AFTER_PROMOTION != 0 {
                    self.simulated_crash(now);
                    return;
                }
                let what = m.describe();
                self.event(now, '#', "+failover-state-reconf-slaves", what);
                // Tell the other Sentinels at once (sentinelForceHelloUpdateForMaster).
                let stale = now - self.timings.publish_period - 1;
                m.inst.last_pub_time = stale;
                m.slaves.values_mut().for_each(|s| s.last_pub_time = stale);
            } else {
                // A replica turned master behind our back: make it follow again.
                let wait = self.timings.publish_period.saturating_mul(4);
                let s = &m.slaves[&key];
                if !s.promoted && m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.role_reported_time > wait {
                    let (host, port) = (m.inst.host.clone(), m.inst.port);
                    let mut s = m.slaves.remove(&key).unwrap();
                    let sent = self.send_slaveof(&mut s, Some((&host, port)));
                    m.slaves.insert(key.clone(), s);
                    if sent {
                        let what = m.describe_member(&m.slaves[&key]);
                        self.event(now, '*', "+convert-to-slave", what);
                    }
                }
            }
        }
        // A replica following the wrong master is pointed back.
        if role == Role::Slave {
            let s = &m.slaves[&key];
            let wrong = s.slave_master_port != m.inst.port || !s.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&m.inst.host));
            if wrong && !s.reconf_sent && !s.reconf_inprog && !m.failover_in_progress {
                let wait = m.failover_timeout;
                if m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.slave_conf_change_time > wait {
                    let (host, port) = (m.inst.host.clone(), m.inst.port);
                    let mut s = m.slaves.remove(&key).unwrap();
                    let sent = self.send_slaveof(&mut s, Some((&host, port)));
                    m.slaves.insert(key.clone(), s);
                    if sent {
                        let what = m.describe_member(&m.slaves[&key]);
                        self.event(now, '*', "+fix-slave-config", what);
                    }
                }
            }
            // Replicas reconfigured by the failover report their progress.
            let promoted_addr = m.promoted_address();
            let s = m.slaves.get_mut(&key).unwrap();
            let mut events = Vec::new();
            if s.reconf_sent {
                if let Some((host, port)) = &promoted_addr {
                    if s.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(host)) && s.slave_master_port == *port {
                        s.reconf_sent = false;
                        s.reconf_inprog = true;
                        events.push("+slave-reconf-inprog");
                    }
                }
            }
            if s.reconf_inprog && s.slave_master_link_up {
                s.reconf_inprog = false;
                s.reconf_done = true;
                events.push("+slave-reconf-done");
            }
            for kind in events {
                let what = m.describe_member(&m.slaves[&key]);
                self.event(now, '*', kind, what);
            }
        }
    }

    fn describe(&self, m: &Master, who: &Who) -> String {
        match who {
            Who::Master => m.describe(),
            Who::Slave(k) => m.slaves.get(k).map(|s| m.describe_member(s)).unwrap_or_default(),
            Who::Sentinel(k) => m.sentinels.get(k).map(|s| m.describe_member(s)).unwrap_or_default(),
        }
    }

    /// Flushes the config while `m` is out of the map (being worked on).
    fn flush_config_with(&mut self, m: &Master, now: Millis) {
        let name = m.inst.name.clone();
        let previous = self.masters.insert(name.clone(), m.clone());
        self.flush_config(now);
        match previous {
            Some(p) => {
                self.masters.insert(name, p);
            }
            None => {
                self.masters.remove(&name);
            }
        }
    }

    /// SLAVEOF as Sentinel sends it: in a transaction with CONFIG REWRITE
    /// and the kill of the clients, so they reconnect to the right place.
    fn send_slaveof(&mut self, inst: &mut Instance, to: Option<(&str, u16)>) -> bool {
        let (host, port) = match to {
            Some((h, p)) => (h.to_string(), p.to_string()),
            None => ("NO".to_string(), "ONE".to_string()),
        };
        if inst.link.cc.is_none() {
            return false;
        }
        self.command(&mut inst.link, &[b"MULTI"], Expect::Discard);
        self.command(&mut inst.link, &[b"SLAVEOF", host.as_bytes(), port.as_bytes()], Expect::Discard);
        self.command(&mut inst.link, &[b"CONFIG", b"REWRITE"], Expect::Discard);
        self.command(&mut inst.link, &[b"CLIENT", b"KILL", b"TYPE", b"normal"], Expect::Discard);
        self.command(&mut inst.link, &[b"CLIENT", b"KILL", b"TYPE", b"pubsub"], Expect::Discard);
        self.command(&mut inst.link, &[b"EXEC"], Expect::Discard);
        true
    }

    // ----- hello messages -----

    fn hello_payload(&self, m: &Master) -> String {
        let (host, port) = m.current_address();
        format!("127.0.0.1,{},{},{},{},{},{},{}", self.port, self.myid, self.current_epoch, m.inst.name, host, port, m.config_epoch)
    }

    fn send_hello(&mut self, m: &Master, inst: &mut Instance) {
        let payload = self.hello_payload(m);
        self.command(&mut inst.link, &[b"PUBLISH", HELLO_CHANNEL.as_bytes(), payload.as_bytes()], Expect::Publish);
    }

    fn process_hello(&mut self, payload: &str, now: Millis) {
        let tokens: Vec<&str> = payload.split(',').collect();
        let [ip, port, runid, epoch, name, mip, mport, mepoch] = tokens.as_slice() else { return };
        if *runid == self.myid {
            return;
        }
        let Some(mut m) = self.masters.remove(*name) else { return };
        let port: u16 = port.parse().unwrap_or(0);
        let epoch: u64 = epoch.parse().unwrap_or(0);
        let mport: u16 = mport.parse().unwrap_or(0);
        let mepoch: u64 = mepoch.parse().unwrap_or(0);
        let known = m.sentinels.get(*runid).is_some_and(|s| s.host == *ip && s.port == port);
        if !known {
            let moved = m.sentinels.remove(*runid);
            let removed = moved.is_some();
            if let Some(mut old) = moved {
                self.close_link(&mut old.link);
                let what = m.describe();
                self.event(now, '*', "+sentinel-address-switch", format!("{what} ip {ip} port {port} for {runid}"));
            } else {
                let other = m.sentinels.iter().find(|(_, s)| s.host == *ip && s.port == port).map(|(k, _)| k.clone());
                if let Some(other) = other {
                    let what = m.describe_member(&m.sentinels[&other]);
                    self.event(now, '*', "+sentinel-invalid-addr", what);
                    if let Some(mut old) = m.sentinels.remove(&other) {
                        self.close_link(&mut old.link);
                    }
                }
            }
            let mut si = Instance::new(Role::Sentinel, runid.to_string(), ip.to_string(), port, m.inst.down_after, now);
            si.runid = Some(runid.to_string());
            m.sentinels.insert(runid.to_string(), si);
            if !removed {
                let what = m.describe_member(&m.sentinels[*runid]);
                self.event(now, '*', "+sentinel", what);
            }
            self.flush_config_with(&m, now);
        }
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.flush_config_with(&m, now);
            self.event(now, '#', "+new-epoch", epoch.to_string());
        }
        if m.config_epoch < mepoch {
            m.config_epoch = mepoch;
            if mport != m.inst.port || !mip.eq_ignore_ascii_case(&m.inst.host) {
                let what = m.describe_member(&m.sentinels[*runid]);
                self.event(now, '#', "+config-update-from", what);
                let text = format!("{} {} {} {} {}", m.inst.name, m.inst.host, m.inst.port, mip, mport);
                self.event(now, '#', "+switch-master", text);
                self.reset_master_and_change_address(&mut m, mip, mport, now);
            }
        }
        if let Some(si) = m.sentinels.get_mut(*runid) {
            si.last_hello_time = now;
        }
        self.masters.insert(name.to_string(), m);
    }

    /// Forgets a master's replicas and state and watches it at a new
    /// address; its replicas (and the old address) become its replicas.
    fn reset_master_and_change_address(&mut self, m: &mut Master, host: &str, port: u16, now: Millis) {
        let mut addresses: Vec<(String, u16)> =
            m.slaves.values().filter(|s| !(s.port == port && s.host.eq_ignore_ascii_case(host))).map(|s| (s.host.clone(), s.port)).collect();
        if !(m.inst.port == port && m.inst.host.eq_ignore_ascii_case(host)) {
            addresses.push((m.inst.host.clone(), m.inst.port));
        }
        self.reset_master(m, now);
        m.inst.host = host.to_string();
        m.inst.port = port;
        m.inst.o_down_since = 0;
        m.inst.s_down_since = 0;
        let mut keys = Vec::new();
        for (h, p) in addresses {
            keys.push(m.add_slave(&h, p, now));
        }
        for key in keys {
            let what = m.describe_member(&m.slaves[&key]);
            self.event(now, '*', "+slave", what);
        }
        self.flush_config_with(m, now);
    }

    /// sentinelResetMaster without its event: replicas forgotten, links
    /// closed, failover state cleared (other Sentinels are kept).
    fn reset_master(&mut self, m: &mut Master, now: Millis) {
        let slaves = std::mem::take(&mut m.slaves);
        for mut s in slaves.into_values() {
            self.close_link(&mut s.link);
        }
        self.close_link(&mut m.inst.link);
        let fresh = Instance::new(Role::Master, m.inst.name.clone(), m.inst.host.clone(), m.inst.port, m.inst.down_after, now);
        m.inst = Instance { link: Link { act_ping_time: now, last_avail_time: now, last_pong_time: now, ..Link::default() }, ..fresh };
        m.leader = None;
        m.failover_in_progress = false;
        m.force_failover = false;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = 0;
        m.failover_start_time = 0;
        m.promoted = None;
    }

    // ----- the timer -----

    /// Sentinel's timer: every instance is reconnected, pinged, asked for
    /// INFO and told our hello; down states, votes and failovers advance.
    pub fn cron(&mut self, now: Millis) {
        let names: Vec<String> = self.masters.keys().cloned().collect();
        let mut switch = Vec::new();
        for name in names {
            let Some(mut m) = self.masters.remove(&name) else { continue };
            self.handle_master(&mut m, now);
            if m.failover_state == FailoverState::UpdateConfig {
                switch.push(name.clone());
            }
            self.masters.insert(name, m);
        }
        for name in switch {
            if let Some(mut m) = self.masters.remove(&name) {
                self.switch_to_promoted(&mut m, now);
                self.masters.insert(name, m);
            }
        }
        self.hz = 10 + self.rng.below(10) as u64;
    }

    fn handle_master(&mut self, m: &mut Master, now: Millis) {
        let name = m.inst.name.clone();
        // The master itself.
        let mut inst = m.inst.clone();
        self.reconnect(&name, Who::Master, &mut inst, now);
        self.periodic(m, &mut inst, false, now);
        self.check_sdown(m, &mut inst, now);
        m.inst = inst;
        self.check_odown(m, now);
        if self.start_failover_if_needed(m, now) {
            self.ask_other_sentinels(m, true, now);
        }
        self.failover_state_machine(m, now);
        self.ask_other_sentinels(m, false, now);
        // Its replicas, then the other Sentinels.
        let fast_info = m.inst.o_down || m.failover_in_progress;
        let keys: Vec<String> = m.slaves.keys().cloned().collect();
        for key in keys {
            let Some(mut s) = m.slaves.remove(&key) else { continue };
            self.reconnect(&name, Who::Slave(key.clone()), &mut s, now);
            let fast = fast_info || s.master_link_down_time != 0;
            self.periodic(m, &mut s, fast, now);
            self.check_sdown(m, &mut s, now);
            m.slaves.insert(key, s);
        }
        let ids: Vec<String> = m.sentinels.keys().cloned().collect();
        for id in ids {
            let Some(mut s) = m.sentinels.remove(&id) else { continue };
            self.reconnect(&name, Who::Sentinel(id.clone()), &mut s, now);
            self.periodic(m, &mut s, false, now);
            self.check_sdown(m, &mut s, now);
            m.sentinels.insert(id, s);
        }
    }

    fn periodic(&mut self, m: &Master, inst: &mut Instance, fast_info: bool, now: Millis) {
        if inst.disconnected() || !self.link_established(&inst.link) || inst.link.pending_commands >= MAX_PENDING_COMMANDS {
            return;
        }
        let info_period = if fast_info && inst.role == Role::Slave { 1000 } else { self.timings.info_period };
        let ping_period = inst.down_after.min(self.timings.ping_period);
        if inst.role != Role::Sentinel && (inst.info_refresh == 0 || now - inst.info_refresh > info_period) {
            self.command(&mut inst.link, &[b"INFO"], Expect::Info);
        }
        if now - inst.link.last_pong_time > ping_period && now - inst.link.last_ping_time > ping_period / 2 {
            self.send_ping(inst, now);
        }
        if now - inst.last_pub_time > self.timings.publish_period {
            self.send_hello(m, inst);
        }
    }

    fn check_sdown(&mut self, m: &Master, inst: &mut Instance, now: Millis) {
        let elapsed = inst.silence(now);
        let link = &inst.link;
        // A quiet link is closed and opened again.
        if link.cc.is_some()
            && now - link.cc_conn_time > self.timings.min_link_reconnect_period
            && link.act_ping_time != 0
            && now - link.act_ping_time > inst.down_after / 2
            && now - link.last_pong_time > inst.down_after / 2
        {
            if let Some(cc) = inst.link.cc.take() {
                self.close_conn(cc);
            }
        }
        if inst.link.pc.is_some()
            && now - inst.link.pc_conn_time > self.timings.min_link_reconnect_period
            && now - inst.link.pc_last_activity > self.timings.publish_period.saturating_mul(3)
        {
            if let Some(pc) = inst.link.pc.take() {
                self.close_conn(pc);
            }
        }
        let claims_replica = inst.role == Role::Master
            && inst.role_reported == Role::Slave
            && now - inst.role_reported_time > inst.down_after.saturating_add(self.timings.info_period.saturating_mul(2));
        if elapsed > inst.down_after || claims_replica {
            if !inst.s_down {
                inst.s_down = true;
                inst.s_down_since = now;
                let what = if inst.role == Role::Master { m.describe_with(inst) } else { m.describe_member(inst) };
                self.event(now, '#', "+sdown", what);
            }
        } else if inst.s_down {
            inst.s_down = false;
            let what = if inst.role == Role::Master { m.describe_with(inst) } else { m.describe_member(inst) };
            self.event(now, '#', "-sdown", what);
        }
    }

    fn check_odown(&mut self, m: &mut Master, now: Millis) {
        let mut votes = 0;
        let mut odown = false;
        if m.inst.s_down {
            votes = 1 + m.sentinels.values().filter(|s| s.master_down).count() as i64;
            odown = votes >= m.quorum;
        }
        if odown && !m.inst.o_down {
            m.inst.o_down = true;
            m.inst.o_down_since = now;
            let what = m.describe();
            self.event(now, '#', "+odown", format!("{what} #quorum {votes}/{}", m.quorum));
        } else if !odown && m.inst.o_down {
            m.inst.o_down = false;
            let what = m.describe();
            self.event(now, '#', "-odown", what);
        }
    }

    fn start_failover_if_needed(&mut self, m: &mut Master, now: Millis) -> bool {
        if !m.inst.o_down || m.failover_in_progress {
            return false;
        }
        if now - m.failover_start_time < m.failover_timeout.saturating_mul(2) {
            if m.failover_delay_logged != m.failover_start_time {
                m.failover_delay_logged = m.failover_start_time;
                let when = crate::engine::log::ctime(m.failover_start_time.saturating_add(m.failover_timeout.saturating_mul(2)));
                self.log_line(now, '#', format!("Next failover delay: I will not start a failover before {when}"));
            }
            return false;
        }
        self.start_failover(m, now);
        true
    }

    fn start_failover(&mut self, m: &mut Master, now: Millis) {
        m.failover_state = FailoverState::WaitStart;
        m.failover_in_progress = true;
        self.current_epoch += 1;
        m.failover_epoch = self.current_epoch;
        self.event(now, '#', "+new-epoch", self.current_epoch.to_string());
        let what = m.describe();
        self.event(now, '#', "+try-failover", what);
        m.failover_start_time = now + self.rng.below(MAX_DESYNC) as Millis;
        m.failover_state_change_time = now;
    }

    /// Asks the other Sentinels whether they see the master down (and,
    /// during our failover, for their vote).
    fn ask_other_sentinels(&mut self, m: &mut Master, forced: bool, now: Millis) {
        let ids: Vec<String> = m.sentinels.keys().cloned().collect();
        let (host, port) = (m.inst.host.clone(), m.inst.port);
        let runid = if m.failover_state > FailoverState::None { self.myid.clone() } else { "*".to_string() };
        for id in ids {
            let Some(mut s) = m.sentinels.remove(&id) else { continue };
            if now - s.last_master_down_reply_time > self.timings.ask_period.saturating_mul(5) {
                s.master_down = false;
                s.leader = None;
            }
            let ask = m.inst.s_down && !s.disconnected() && (forced || now - s.last_master_down_reply_time >= self.timings.ask_period);
            if ask {
                let epoch = self.current_epoch.to_string();
                let port = port.to_string();
                self.command(
                    &mut s.link,
                    &[b"SENTINEL", b"is-master-down-by-addr", host.as_bytes(), port.as_bytes(), epoch.as_bytes(), runid.as_bytes()],
                    Expect::IsMasterDown,
                );
            }
            m.sentinels.insert(id, s);
        }
    }

    /// Our vote for the leader of `epoch`: the first who asks in an epoch
    /// gets it. Returns (leader, its epoch).
    fn vote_leader(&mut self, m: &mut Master, epoch: u64, candidate: &str, now: Millis) -> (Option<String>, u64) {
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.flush_config_with(m, now);
            self.event(now, '#', "+new-epoch", epoch.to_string());
        }
        if m.leader_epoch < epoch && self.current_epoch <= epoch {
            m.leader = Some(candidate.to_string());
            m.leader_epoch = self.current_epoch;
            self.flush_config_with(m, now);
            self.event(now, '#', "+vote-for-leader", format!("{candidate} {}", m.leader_epoch));
            if candidate != self.myid {
                m.failover_start_time = now + self.rng.below(MAX_DESYNC) as Millis;
            }
        }
        (m.leader.clone(), m.leader_epoch)
    }

    /// The leader of `epoch` if one has a majority (and the quorum).
    fn get_leader(&mut self, m: &mut Master, epoch: u64, now: Millis) -> Option<String> {
        let mut votes: BTreeMap<String, i64> = BTreeMap::new();
        let voters = m.sentinels.len() as i64 + 1;
        for s in m.sentinels.values() {
            if let Some(leader) = &s.leader {
                if s.leader_epoch == self.current_epoch {
                    *votes.entry(leader.clone()).or_default() += 1;
                }
            }
        }
        let best = |votes: &BTreeMap<String, i64>| votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, v)| (k.clone(), *v));
        let mut winner = best(&votes);
        let candidate = winner.as_ref().map(|(k, _)| k.clone()).unwrap_or_else(|| self.myid.clone());
        let (myvote, leader_epoch) = self.vote_leader(m, epoch, &candidate, now);
        if let Some(myvote) = myvote {
            if leader_epoch == epoch {
                *votes.entry(myvote).or_default() += 1;
                winner = best(&votes);
            }
        }
        let (leader, count) = winner?;
        (count >= voters / 2 + 1 && count >= m.quorum).then_some(leader)
    }

    fn abort_failover(&mut self, m: &mut Master, now: Millis) {
        m.failover_in_progress = false;
        m.force_failover = false;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = now;
        if let Some(p) = m.promoted.take() {
            if let Some(s) = m.slaves.get_mut(&p) {
                s.promoted = false;
            }
        }
    }

    fn failover_state_machine(&mut self, m: &mut Master, now: Millis) {
        if !m.failover_in_progress {
            return;
        }
        match m.failover_state {
            FailoverState::WaitStart => {
                let leader = self.get_leader(m, m.failover_epoch, now);
                let is_leader = leader.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(&self.myid));
                if !is_leader && !m.force_failover {
                    let timeout = self.timings.election_timeout.min(m.failover_timeout);
                    if now - m.failover_start_time > timeout {
                        let what = m.describe();
                        self.event(now, '#', "-failover-abort-not-elected", what);
                        self.abort_failover(m, now);
                    }
                    return;
                }
                let what = m.describe();
                self.event(now, '#', "+elected-leader", what.clone());
                if self.simulate_failure_flags & SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
                    self.simulated_crash(now);
                    return;
                }
                m.failover_state = FailoverState::SelectSlave;
                m.failover_state_change_time = now;
                self.event(now, '#', "+failover-state-select-slave", what);
            }
            FailoverState::SelectSlave => match select_slave(m, &self.timings, now) {
                None => {
                    let what = m.describe();
                    self.event(now, '#', "-failover-abort-no-good-slave", what);
                    self.abort_failover(m, now);
                }
                Some(key) => {
                    let what = m.describe_member(&m.slaves[&key]);
                    self.event(now, '#', "+selected-slave", what.clone());
                    if let Some(s) = m.slaves.get_mut(&key) {
                        s.promoted = true;
                    }
                    m.promoted = Some(key);
                    m.failover_state = FailoverState::SendSlaveofNoone;
                    m.failover_state_change_time = now;
                    self.event(now, '*', "+failover-state-send-slaveof-noone", what);
                }
            },
            FailoverState::SendSlaveofNoone => {
                let Some(key) = m.promoted.clone() else { return };
                let Some(mut s) = m.slaves.remove(&key) else { return };
                let sent = !s.disconnected() && self.send_slaveof(&mut s, None);
                let what = m.describe_member(&s);
                m.slaves.insert(key, s);
                if !sent {
                    if now - m.failover_state_change_time > m.failover_timeout {
                        self.event(now, '#', "-failover-abort-slave-timeout", what);
                        self.abort_failover(m, now);
                    }
                    return;
                }
                self.event(now, '*', "+failover-state-wait-promotion", what);
                m.failover_state = FailoverState::WaitPromotion;
                m.failover_state_change_time = now;
            }
            FailoverState::WaitPromotion => {
                if now - m.failover_state_change_time > m.failover_timeout {
                    let what = m.promoted.as_ref().and_then(|k| m.slaves.get(k)).map(|s| m.describe_member(s)).unwrap_or_default();
                    self.event(now, '#', "-failover-abort-slave-timeout", what);
                    self.abort_failover(m, now);
                }
            }
            FailoverState::ReconfSlaves => self.reconf_next_slave(m, now),
            FailoverState::None | FailoverState::UpdateConfig => {}
        }
    }

    /// Points the next replicas at the promoted one, `parallel-syncs` at a time.
    fn reconf_next_slave(&mut self, m: &mut Master, now: Millis) {
        let Some((phost, pport)) = m.promoted_address() else { return };
        let mut in_progress = m.slaves.values().filter(|s| s.reconf_sent || s.reconf_inprog).count() as i64;
        let keys: Vec<String> = m.slaves.keys().cloned().collect();
        for key in keys {
            if in_progress >= m.parallel_syncs {
                break;
            }
            let Some(mut s) = m.slaves.remove(&key) else { continue };
            let mut log = None;
            if !s.promoted && !s.reconf_done {
                if s.reconf_sent && now - s.slave_reconf_sent_time > self.timings.slave_reconf_timeout {
                    log = Some("-slave-reconf-sent-timeout");
                    s.reconf_sent = false;
                    s.reconf_done = true;
                } else if !s.disconnected() && !s.reconf_sent && !s.reconf_inprog && self.send_slaveof(&mut s, Some((&phost, pport))) {
                    s.reconf_sent = true;
                    s.slave_reconf_sent_time = now;
                    in_progress += 1;
                    log = Some("+slave-reconf-sent");
                }
            }
            if let Some(kind) = log {
                let what = m.describe_member(&s);
                self.event(now, '*', kind, what);
            }
            m.slaves.insert(key, s);
        }
        self.detect_failover_end(m, now);
    }

    fn detect_failover_end(&mut self, m: &mut Master, now: Millis) {
        let Some(promoted) = m.promoted.as_ref().and_then(|k| m.slaves.get(k)) else { return };
        if promoted.s_down {
            return;
        }
        let (phost, pport) = (promoted.host.clone(), promoted.port);
        let mut not_reconfigured = m.slaves.values().filter(|s| !s.promoted && !s.reconf_done && !s.s_down).count();
        let mut timeout = false;
        if now - m.failover_state_change_time > m.failover_timeout {
            not_reconfigured = 0;
            timeout = true;
            let what = m.describe();
            self.event(now, '#', "+failover-end-for-timeout", what);
        }
        if not_reconfigured == 0 {
            let what = m.describe();
            self.event(now, '#', "+failover-end", what);
            m.failover_state = FailoverState::UpdateConfig;
            m.failover_state_change_time = now;
        }
        if timeout {
            let keys: Vec<String> = m.slaves.keys().cloned().collect();
            for key in keys {
                let Some(mut s) = m.slaves.remove(&key) else { continue };
                if !(s.promoted || s.reconf_done || s.reconf_sent) && !s.disconnected() && self.send_slaveof(&mut s, Some((&phost, pport))) {
                    s.reconf_sent = true;
                    let what = m.describe_member(&s);
                    self.event(now, '*', "+slave-reconf-sent-be", what);
                }
                m.slaves.insert(key, s);
            }
        }
    }

    fn switch_to_promoted(&mut self, m: &mut Master, now: Millis) {
        let (host, port) = m.promoted_address().unwrap_or_else(|| (m.inst.host.clone(), m.inst.port));
        let text = format!("{} {} {} {} {}", m.inst.name, m.inst.host, m.inst.port, host, port);
        self.event(now, '#', "+switch-master", text);
        self.reset_master_and_change_address(m, &host, port, now);
    }

    /// SENTINEL SIMULATE-FAILURE's crash: the process exits on the spot.
    fn simulated_crash(&mut self, now: Millis) {
        self.log_line(now, '#', "Sentinel CRASH because of SENTINEL simulate-failure".into());
        self.stopped = true;
    }

    /// When the timer should run next.
    pub fn next_timer(&self, last: Millis) -> Millis {
        last + self.timer_period()
    }

    /// Ports of the servers this Sentinel watches (masters and replicas).
    pub fn watched_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.masters.values().flat_map(|m| std::iter::once(m.inst.port).chain(m.slaves.values().map(|s| s.port))).collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }
}

impl Master {
    /// `%@` of the master with an instance that is being worked on.
    fn describe_with(&self, inst: &Instance) -> String {
        format!("master {} {} {}", self.inst.name, inst.host, inst.port)
    }
}

fn status_word(inst: &Instance) -> &'static str {
    if inst.o_down {
        "odown"
    } else if inst.s_down {
        "sdown"
    } else {
        "ok"
    }
}

/// sentinelSelectSlave: the best replica to promote, or none.
fn select_slave(m: &Master, timings: &Timings, now: Millis) -> Option<String> {
    let mut max_master_down = 0;
    if m.inst.s_down {
        max_master_down += now - m.inst.s_down_since;
    }
    max_master_down = max_master_down.saturating_add(m.inst.down_after.saturating_mul(10));
    let info_validity = if m.inst.s_down { timings.ping_period.saturating_mul(5) } else { timings.info_period.saturating_mul(3) };
    let mut candidates: Vec<&Instance> = m
        .slaves
        .values()
        .filter(|s| !s.s_down && !s.o_down && !s.disconnected())
        .filter(|s| now - s.link.last_avail_time <= timings.ping_period.saturating_mul(5))
        .filter(|s| s.slave_priority != 0)
        .filter(|s| now - s.info_refresh <= info_validity)
        .filter(|s| s.master_link_down_time <= max_master_down)
        .collect();
    candidates.sort_by(|a, b| {
        a.slave_priority.cmp(&b.slave_priority).then(b.slave_repl_offset.cmp(&a.slave_repl_offset)).then_with(|| match (&a.runid, &b.runid) {
            (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    candidates.first().map(|s| s.name.clone())
}

impl Sentinel {
    // ----- clients of this Sentinel -----

    pub fn connect_at(&mut self, now: Millis) -> ClientId {
        let id = self.next_client;
        self.next_client += 1;
        self.clients.insert(id, Client { connected_at: now, last_command_at: now, ..Client::default() });
        self.stats.connections_received += 1;
        id
    }

    pub fn disconnect(&mut self, id: ClientId) {
        self.clients.remove(&id);
    }

    pub fn is_connected(&self, id: ClientId) -> bool {
        self.clients.contains_key(&id)
    }

    /// Feeds bytes a client sent; returns the replies.
    pub fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Output {
        let mut out = Output::default();
        let Some(client) = self.clients.get_mut(&id) else { return out };
        client.input.feed(bytes);
        self.stats.net_input_bytes += bytes.len() as u64;
        loop {
            if self.stopped {
                break;
            }
            let Some(client) = self.clients.get_mut(&id) else { break };
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
            client.last_command_at = now;
            self.stats.commands_processed += 1;
            let (replies, close) = self.dispatch(id, &args, now);
            for reply in replies {
                if matches!(reply, Frame::Error(_)) {
                    self.stats.error_replies += 1;
                }
                reply.encode(&mut out.reply);
            }
            if close {
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
}
