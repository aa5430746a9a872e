//! What a Sentinel knows of each instance it watches: its links and
//! their timing, its down states, what its INFO said; a master with its
//! replicas and the other Sentinels, its failover's state, and which
//! replica to promote.

use std::collections::BTreeMap;

use crate::engine::ranking::{Candidate, Excluded, Ranking};
use super::conf::MasterConf;
use super::{ConnId, Timings};
use crate::engine::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Master,
    Slave,
    Sentinel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    pub(super) fn name(self) -> &'static str {
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
pub(super) struct Link {
    pub(super) cc: Option<ConnId>,
    pub(super) pc: Option<ConnId>,
    pub(super) cc_conn_time: Millis,
    pub(super) pc_conn_time: Millis,
    pub(super) pc_last_activity: Millis,
    pub(super) pending_commands: i64,
    /// When the oldest unanswered PING was sent (0: none pending).
    pub(super) act_ping_time: Millis,
    pub(super) last_ping_time: Millis,
    pub(super) last_pong_time: Millis,
    pub(super) last_avail_time: Millis,
    pub(super) last_reconn_time: Millis,
}

/// A master, replica or other Sentinel as this Sentinel sees it.
#[derive(Clone, Debug)]
pub(super) struct Instance {
    pub(super) role: Role,
    /// The master's name, a replica's `ip:port`, a Sentinel's run id.
    pub(super) name: String,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) runid: Option<String>,
    pub(super) link: Link,
    pub(super) down_after: Millis,
    pub(super) s_down: bool,
    pub(super) s_down_since: Millis,
    pub(super) o_down: bool,
    pub(super) o_down_since: Millis,
    /// A Sentinel that said our master is down.
    pub(super) master_down: bool,
    pub(super) promoted: bool,
    pub(super) reconf_sent: bool,
    pub(super) reconf_inprog: bool,
    pub(super) reconf_done: bool,
    pub(super) info_refresh: Millis,
    pub(super) info: Option<String>,
    pub(super) role_reported: Role,
    pub(super) role_reported_time: Millis,
    pub(super) slave_conf_change_time: Millis,
    pub(super) last_pub_time: Millis,
    pub(super) last_hello_time: Millis,
    pub(super) last_master_down_reply_time: Millis,
    pub(super) master_link_down_time: Millis,
    pub(super) slave_master_host: Option<String>,
    pub(super) slave_master_port: u16,
    pub(super) slave_master_link_up: bool,
    pub(super) slave_priority: i64,
    pub(super) slave_repl_offset: i64,
    pub(super) replica_announced: bool,
    pub(super) slave_reconf_sent_time: Millis,
    /// A Sentinel's vote, as it told us.
    pub(super) leader: Option<String>,
    pub(super) leader_epoch: u64,
}

impl Instance {
    pub(super) fn new(role: Role, name: String, host: String, port: u16, down_after: Millis, now: Millis) -> Instance {
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
    pub(super) fn disconnected(&self) -> bool {
        self.link.cc.is_none() || (self.role != Role::Sentinel && self.link.pc.is_none())
    }

    pub(super) fn kind(&self) -> &'static str {
        match self.role {
            Role::Master => "master",
            Role::Slave => "slave",
            Role::Sentinel => "sentinel",
        }
    }

    /// Milliseconds without an answer, as the SDOWN check measures them.
    pub(super) fn silence(&self, now: Millis) -> Millis {
        if self.link.act_ping_time != 0 {
            now - self.link.act_ping_time
        } else if self.disconnected() {
            now - self.link.last_avail_time
        } else {
            0
        }
    }

    /// No SDOWN or ODOWN in the last `ms`.
    pub(super) fn no_down_for(&self, ms: Millis, now: Millis) -> bool {
        let recent = self.s_down_since.max(self.o_down_since);
        recent == 0 || now - recent > ms
    }
}

/// A monitored master, its replicas and the other Sentinels watching it.
#[derive(Clone, Debug)]
pub(super) struct Master {
    pub(super) inst: Instance,
    pub(super) quorum: i64,
    pub(super) failover_timeout: Millis,
    pub(super) parallel_syncs: i64,
    pub(super) config_epoch: u64,
    /// Our vote for this master's failover leader.
    pub(super) leader: Option<String>,
    pub(super) leader_epoch: u64,
    pub(super) failover_epoch: u64,
    pub(super) failover_in_progress: bool,
    pub(super) force_failover: bool,
    pub(super) failover_state: FailoverState,
    pub(super) failover_state_change_time: Millis,
    pub(super) failover_start_time: Millis,
    pub(super) failover_delay_logged: Millis,
    /// The replica being promoted (its key in `slaves`).
    pub(super) promoted: Option<String>,
    pub(super) slaves: BTreeMap<String, Instance>,
    pub(super) sentinels: BTreeMap<String, Instance>,
    /// `auth-user` / `auth-pass` for the master and its replicas.
    pub(super) auth_user: Option<String>,
    pub(super) auth_pass: Option<String>,
}

impl Master {
    pub(super) fn from_conf(c: &MasterConf, now: Millis) -> Master {
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
            auth_user: c.auth_user.clone(),
            auth_pass: c.auth_pass.clone(),
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

    pub(super) fn add_slave(&mut self, host: &str, port: u16, now: Millis) -> String {
        let key = format!("{host}:{port}");
        let inst = Instance::new(Role::Slave, key.clone(), host.to_string(), port, self.inst.down_after, now);
        self.slaves.insert(key.clone(), inst);
        key
    }

    /// The `%@` of an event about this master itself.
    pub(super) fn describe(&self) -> String {
        format!("master {} {} {}", self.inst.name, self.inst.host, self.inst.port)
    }

    /// The `%@` of an event about one of its replicas or Sentinels.
    pub(super) fn describe_member(&self, inst: &Instance) -> String {
        format!("{} {} {} {} @ {} {} {}", inst.kind(), inst.name, inst.host, inst.port, self.inst.name, self.inst.host, self.inst.port)
    }

    /// Where clients should find the master: the promoted replica once
    /// the failover reconfigures the others.
    pub(super) fn current_address(&self) -> (String, u16) {
        if self.failover_in_progress && self.failover_state >= FailoverState::ReconfSlaves {
            if let Some(addr) = self.promoted_address() {
                return addr;
            }
        }
        (self.inst.host.clone(), self.inst.port)
    }

    /// The promoted replica's address, from its key (`ip:port`): the
    /// replica itself may be out of `slaves` while it is worked on.
    pub(super) fn promoted_address(&self) -> Option<(String, u16)> {
        let (host, port) = self.promoted.as_ref()?.rsplit_once(':')?;
        Some((host.to_string(), port.parse().ok()?))
    }

    pub(super) fn looks_sane(&self, info_period: Millis, now: Millis) -> bool {
        self.inst.role_reported == Role::Master
            && !self.inst.s_down
            && !self.inst.o_down
            && now - self.inst.info_refresh < info_period.saturating_mul(2)
    }

    /// `%@` of the master with an instance that is being worked on.
    pub(super) fn describe_with(&self, inst: &Instance) -> String {
        format!("master {} {} {}", self.inst.name, inst.host, inst.port)
    }
}

pub(super) fn status_word(inst: &Instance) -> &'static str {
    if inst.o_down {
        "odown"
    } else if inst.s_down {
        "sdown"
    } else {
        "ok"
    }
}

/// sentinelSelectSlave: every replica weighed, the best first (none
/// ranked: no replica can be promoted).
pub(super) fn rank_slaves(m: &Master, timings: &Timings, now: Millis) -> Ranking {
    let mut max_master_down = 0;
    if m.inst.s_down {
        max_master_down += now - m.inst.s_down_since;
    }
    max_master_down = max_master_down.saturating_add(m.inst.down_after.saturating_mul(10));
    let info_validity = if m.inst.s_down { timings.ping_period.saturating_mul(5) } else { timings.info_period.saturating_mul(3) };
    let excluded = |s: &Instance| {
        if s.s_down || s.o_down {
            Some(Excluded::Down)
        } else if s.disconnected() {
            Some(Excluded::Disconnected)
        } else if now - s.link.last_avail_time > timings.ping_period.saturating_mul(5) {
            Some(Excluded::Silent)
        } else if s.slave_priority == 0 {
            Some(Excluded::PriorityZero)
        } else if now - s.info_refresh > info_validity {
            Some(Excluded::StaleInfo)
        } else if s.master_link_down_time > max_master_down {
            Some(Excluded::TooStale)
        } else {
            None
        }
    };
    let mut weighed: Vec<(&Instance, Option<Excluded>)> = m.slaves.values().map(|s| (s, excluded(s))).collect();
    weighed.sort_by(|(a, ea), (b, eb)| {
        ea.is_some().cmp(&eb.is_some()).then(a.slave_priority.cmp(&b.slave_priority)).then(b.slave_repl_offset.cmp(&a.slave_repl_offset)).then_with(|| match (&a.runid, &b.runid) {
            (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    let candidates = weighed
        .iter()
        .enumerate()
        .map(|(i, (s, excluded))| Candidate {
            name: s.name.clone(),
            port: s.port,
            priority: s.slave_priority,
            offset: s.slave_repl_offset,
            run_id: s.runid.clone(),
            excluded: *excluded,
            rank: excluded.is_none().then_some(i + 1),
        })
        .collect();
    Ranking { master: m.inst.name.clone(), epoch: m.failover_epoch, candidates }
}

