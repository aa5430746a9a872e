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
mod clients;
mod commands;
mod discovery;
mod links;
mod subcommands;
mod instance;
mod timer;

use std::collections::{BTreeMap, VecDeque};

use super::config::ConfigError;
use super::time::Millis;
use super::log::LogLine;
use super::resp::{Frame, RequestParser};
use super::rng::Rng;
use super::node::{self, ClientId, DialId, Output};
use conf::SentinelConf;
use instance::{status_word, Master};

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

#[derive(Clone, Debug)]
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
#[derive(Clone, Debug, Default)]
struct Client {
    input: RequestParser,
    name: Vec<u8>,
    channels: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    connected_at: Millis,
    last_command_at: Millis,
    last_command: String,
}

#[derive(Clone)]
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
            if let Some(pass) = &m.auth_pass {
                lines.push(format!("sentinel auth-pass {} {pass}", m.inst.name));
            }
            if let Some(user) = &m.auth_user {
                lines.push(format!("sentinel auth-user {} {user}", m.inst.name));
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
}
