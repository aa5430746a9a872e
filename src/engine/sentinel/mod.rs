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
mod instance;
mod timer;

use std::collections::{BTreeMap, VecDeque};

use super::config::ConfigError;
use super::time::Millis;
use super::log::LogLine;
use super::resp::{encode_command, parse_frame, Frame, RequestParser};
use super::rng::Rng;
use super::node::{self, ClientId, DialId, Dialled, Node, Output, Purpose, Received};
use conf::SentinelConf;
use instance::{status_word, FailoverState, Instance, Link, Master, Role};

/// A connection this Sentinel opened to another node.
pub type ConnId = DialId;

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
    clients: BTreeMap<ClientId, Client>,
    next_client: ClientId,
    /// What it wants done, in order (see `Node::poll_output`).
    outputs: VecDeque<Output>,
    /// sentinel.conf as it was read, then as Sentinel rewrote it.
    pub config_lines: Vec<String>,
    started_at: Millis,
    /// When its timer next runs.
    next_timer: Millis,
    /// Sentinel draws its timer frequency anew on every run (10..19).
    hz: u64,
    /// INFO's counters.
    stats: crate::engine::info::Stats,
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
            clients: BTreeMap::new(),
            next_client: 1,
            outputs: VecDeque::new(),
            config_lines: config_lines.iter().map(|l| l.as_ref().to_string()).collect(),
            started_at: now,
            // Sentinel's first timer runs as soon as it is up.
            next_timer: now + 1,
            hz: 10,
            stats: Default::default(),
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
        self.outputs.push_back(Output::Log(LogLine { at: now, role: 'X', level, text }));
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
                self.outputs.push_back(Output::Send { conn: node::Conn::Client(id), bytes: frame.to_bytes() });
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
                    self.outputs.push_back(Output::Send { conn: node::Conn::Client(id), bytes: frame.to_bytes() });
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
        self.outputs.push_back(Output::ConfigRewritten(self.config_lines.clone()));
        self.log_line(now, '*', "Sentinel new configuration saved on disk".into());
    }

    /// The process ends (SHUTDOWN, a simulated failure).
    fn stop(&mut self) {
        self.stopped = true;
        self.outputs.push_back(Output::Stopped);
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
        self.outputs.push_back(Output::Dial { dial: conn, host: host.to_string(), port, purpose: Purpose::Monitoring });
        conn
    }

    fn close_conn(&mut self, conn: ConnId) {
        if self.conns.remove(&conn).is_some() {
            self.outputs.push_back(Output::Close { conn: node::Conn::Dial(conn) });
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
        self.outputs.push_back(Output::Send { conn: node::Conn::Dial(cc), bytes });
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
            self.outputs.push_back(Output::Send { conn: node::Conn::Dial(pc), bytes });
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
                let ready = !s.promoted && m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.role_reported_time > wait;
                if ready && self.repoint_replica(m, &key) {
                    let what = m.describe_member(&m.slaves[&key]);
                    self.event(now, '*', "+convert-to-slave", what);
                }
            }
        }
        // A replica following the wrong master is pointed back.
        if role == Role::Slave {
            let s = &m.slaves[&key];
            let wrong = s.slave_master_port != m.inst.port || !s.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&m.inst.host));
            if wrong && !s.reconf_sent && !s.reconf_inprog && !m.failover_in_progress {
                let wait = m.failover_timeout;
                let ready = m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.slave_conf_change_time > wait;
                if ready && self.repoint_replica(m, &key) {
                    let what = m.describe_member(&m.slaves[&key]);
                    self.event(now, '*', "+fix-slave-config", what);
                }
            }
            // Replicas reconfigured by the failover report their progress.
            let promoted_addr = m.promoted_address();
            let Some(s) = m.slaves.get_mut(&key) else { return };
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

    /// Sends a replica of `m` (by key) SLAVEOF its master's address.
    fn repoint_replica(&mut self, m: &mut Master, key: &str) -> bool {
        let (host, port) = (m.inst.host.clone(), m.inst.port);
        let Some(mut s) = m.slaves.remove(key) else { return false };
        let sent = self.send_slaveof(&mut s, Some((&host, port)));
        m.slaves.insert(key.to_string(), s);
        sent
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
        m.inst = Instance::new(Role::Master, m.inst.name.clone(), m.inst.host.clone(), m.inst.port, m.inst.down_after, now);
        m.leader = None;
        m.failover_in_progress = false;
        m.force_failover = false;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = 0;
        m.failover_start_time = 0;
        m.promoted = None;
    }

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

    /// Feeds bytes a client sent; returns the replies.
    fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Received {
        let mut out = Received::default();
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

impl Node for Sentinel {
    fn accept(&mut self, now: Millis) -> ClientId {
        self.connect_at(now)
    }

    /// A client's replies go out ahead of what its commands set off.
    fn handle_input(&mut self, conn: node::Conn, bytes: &[u8], now: Millis) {
        match conn {
            node::Conn::Client(id) => {
                let mark = self.outputs.len();
                let received = self.receive(id, bytes, now);
                if received.close {
                    self.outputs.insert(mark, Output::Close { conn });
                }
                if !received.reply.is_empty() {
                    self.outputs.insert(mark, Output::Send { conn, bytes: received.reply });
                }
            }
            node::Conn::Dial(dial) => self.net_receive(dial, bytes, now),
        }
    }

    fn handle_dialled(&mut self, dial: DialId, outcome: Dialled, now: Millis) {
        match outcome {
            Dialled::Connected => self.net_connected(dial, now),
            Dialled::Refused => self.net_refused(dial, now),
        }
    }

    fn handle_closed(&mut self, conn: node::Conn, now: Millis) {
        match conn {
            node::Conn::Client(id) => self.disconnect(id),
            node::Conn::Dial(dial) => self.net_closed(dial, now),
        }
    }

    fn handle_timeout(&mut self, now: Millis) {
        self.cron(now);
        self.next_timer = now + self.timer_period();
    }

    fn poll_timeout(&self) -> Option<Millis> {
        Some(self.next_timer)
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn is_connected(&self, client: ClientId) -> bool {
        self.clients.contains_key(&client)
    }
}
