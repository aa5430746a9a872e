//! What a Sentinel learns and how it passes it on: INFO from masters and
//! replicas (roles, replicas, a failover's progress, replicas to repoint),
//! hello messages from other Sentinels on `__sentinel__:hello`, and a
//! master's address changing. (`impl Sentinel`: the type comes from the
//! folder's mod.rs.)

use super::instance::{FailoverState, Instance, Master, Role};
use super::{Expect, Sentinel, Who, HELLO_CHANNEL, SIMFAILURE_CRASH_AFTER_PROMOTION};
use crate::engine::time::Millis;

impl Sentinel {
    pub(super) fn refresh_info(&mut self, master_name: &str, who: &Who, info: &str, now: Millis) {
        let Some(mut m) = self.masters.remove(master_name) else { return };
        self.refresh_info_of(&mut m, who, info, now);
        self.masters.insert(master_name.to_string(), m);
    }

    pub(super) fn refresh_info_of(&mut self, m: &mut Master, who: &Who, info: &str, now: Millis) {
        let inst = match who {
            Who::Master => &mut m.inst,
            Who::Slave(k) => match m.slaves.get_mut(k) {
                Some(s) => s,
                None => return,
            },
            Who::Sentinel(_) => return,
        };
        let news = read_info(inst, info, now);
        // A verbose event: published on its channel, not logged.
        if let Some((kind, role)) = news.role_change {
            let what = self.describe(m, who);
            let word = if role == Role::Master { "master" } else { "slave" };
            self.event(now, '-', kind, format!("{what} new reported role is {word}"));
        }
        if news.reboot {
            let what = self.describe(m, who);
            self.event(now, '*', "+reboot", what);
        }
        for (ip, port) in news.new_slaves {
            let key = format!("{ip}:{port}");
            if !m.slaves.contains_key(&key) {
                m.add_slave(&ip, port, now);
                let what = m.describe_member(&m.slaves[&key]);
                self.event(now, '*', "+slave", what);
                self.flush_config_with(m, now);
            }
        }
        let (Some(role), Who::Slave(key)) = (news.role, who) else { return };
        match role {
            Role::Master => self.replica_reports_master(m, key, now),
            Role::Slave => self.replica_reports_replica(m, key, now),
            Role::Sentinel => {}
        }
    }

    /// A replica of `m` says it is a master: the one the failover promoted,
    /// or one that turned master behind Sentinel's back.
    pub(super) fn replica_reports_master(&mut self, m: &mut Master, key: &str, now: Millis) {
        let promoted_here = m.slaves[key].promoted;
        if promoted_here && m.failover_in_progress && m.failover_state == FailoverState::WaitPromotion {
            m.config_epoch = m.failover_epoch;
            m.failover_state = FailoverState::ReconfSlaves;
            m.failover_state_change_time = now;
            self.flush_config_with(m, now);
            let what = m.describe_member(&m.slaves[key]);
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
            let s = &m.slaves[key];
            let ready = !s.promoted && m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.role_reported_time > wait;
            if ready && self.repoint_replica(m, key) {
                let what = m.describe_member(&m.slaves[key]);
                self.event(now, '*', "+convert-to-slave", what);
            }
        }
    }

    /// A replica of `m` says it is a replica: pointed back if it follows
    /// the wrong master; during a failover, its progress reported.
    pub(super) fn replica_reports_replica(&mut self, m: &mut Master, key: &str, now: Millis) {
        let s = &m.slaves[key];
        let wrong = s.slave_master_port != m.inst.port || !s.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&m.inst.host));
        if wrong && !s.reconf_sent && !s.reconf_inprog && !m.failover_in_progress {
            let wait = m.failover_timeout;
            let ready = m.looks_sane(self.timings.info_period, now) && s.no_down_for(wait, now) && now - s.slave_conf_change_time > wait;
            if ready && self.repoint_replica(m, key) {
                let what = m.describe_member(&m.slaves[key]);
                self.event(now, '*', "+fix-slave-config", what);
            }
        }
        // Replicas reconfigured by the failover report their progress.
        let promoted_addr = m.promoted_address();
        let Some(s) = m.slaves.get_mut(key) else { return };
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
            let what = m.describe_member(&m.slaves[key]);
            self.event(now, '*', kind, what);
        }
    }

    /// Sends a replica of `m` (by key) SLAVEOF its master's address.
    pub(super) fn repoint_replica(&mut self, m: &mut Master, key: &str) -> bool {
        let (host, port) = (m.inst.host.clone(), m.inst.port);
        let Some(mut s) = m.slaves.remove(key) else { return false };
        let sent = self.send_slaveof(&mut s, Some((&host, port)));
        m.slaves.insert(key.to_string(), s);
        sent
    }

    pub(super) fn describe(&self, m: &Master, who: &Who) -> String {
        match who {
            Who::Master => m.describe(),
            Who::Slave(k) => m.slaves.get(k).map(|s| m.describe_member(s)).unwrap_or_default(),
            Who::Sentinel(k) => m.sentinels.get(k).map(|s| m.describe_member(s)).unwrap_or_default(),
        }
    }

    /// Flushes the config while `m` is out of the map (being worked on).
    pub(super) fn flush_config_with(&mut self, m: &Master, now: Millis) {
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
    pub(super) fn send_slaveof(&mut self, inst: &mut Instance, to: Option<(&str, u16)>) -> bool {
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

    pub(super) fn hello_payload(&self, m: &Master) -> String {
        let (host, port) = m.current_address();
        format!("127.0.0.1,{},{},{},{},{},{},{}", self.port, self.myid, self.current_epoch, m.inst.name, host, port, m.config_epoch)
    }

    pub(super) fn send_hello(&mut self, m: &Master, inst: &mut Instance) {
        let payload = self.hello_payload(m);
        self.command(&mut inst.link, &[b"PUBLISH", HELLO_CHANNEL.as_bytes(), payload.as_bytes()], Expect::Publish);
    }

    pub(super) fn process_hello(&mut self, payload: &str, now: Millis) {
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
    pub(super) fn reset_master_and_change_address(&mut self, m: &mut Master, host: &str, port: u16, now: Millis) {
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
    pub(super) fn reset_master(&mut self, m: &mut Master, now: Millis) {
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

/// What an INFO reply told about an instance, beyond what `read_info`
/// stored in it.
struct InfoNews {
    /// Replicas a master lists: (ip, port).
    new_slaves: Vec<(String, u16)>,
    /// Its run id changed: it restarted.
    reboot: bool,
    role: Option<Role>,
    /// `+role-change` (as expected) or `-role-change`, with the new role.
    role_change: Option<(&'static str, Role)>,
}

/// Reads an INFO reply into the instance, as sentinelRefreshInstanceInfo.
fn read_info(inst: &mut Instance, info: &str, now: Millis) -> InfoNews {
    let mut news = InfoNews { new_slaves: Vec::new(), reboot: false, role: None, role_change: None };
    inst.info = Some(info.to_string());
    inst.master_link_down_time = 0;
    for line in info.split("\r\n") {
        if let Some(id) = line.strip_prefix("run_id:").filter(|id| id.len() >= 40) {
            let id = id[..40].to_string();
            match &inst.runid {
                Some(old) if *old != id => {
                    news.reboot = true;
                    inst.runid = Some(id);
                }
                None => inst.runid = Some(id),
                _ => {}
            }
        }
        if inst.role == Role::Master && line.starts_with("slave") && line.as_bytes().get(5).is_some_and(|c| c.is_ascii_digit()) {
            let field = |name: &str| line.split([':', ',']).find_map(|kv| kv.strip_prefix(name).map(str::to_string));
            if let (Some(ip), Some(port)) = (field("ip="), field("port=").and_then(|p| p.parse::<u16>().ok())) {
                news.new_slaves.push((ip, port));
            }
        }
        if let Some(secs) = line.strip_prefix("master_link_down_since_seconds:") {
            inst.master_link_down_time = secs.parse::<i64>().unwrap_or(0) * 1000;
        }
        if line == "role:master" {
            news.role = Some(Role::Master);
        } else if line == "role:slave" {
            news.role = Some(Role::Slave);
        }
        if news.role == Some(Role::Slave) {
            read_replica_line(inst, line, now);
        }
    }
    inst.info_refresh = now;
    if let Some(role) = news.role {
        if role != inst.role_reported {
            inst.role_reported_time = now;
            inst.role_reported = role;
            if role == Role::Slave {
                inst.slave_conf_change_time = now;
            }
            news.role_change = Some((if inst.role == role { "+role-change" } else { "-role-change" }, role));
        }
    }
    news
}

/// A line of a replica's INFO: whom it follows, its link, priority, offset.
fn read_replica_line(inst: &mut Instance, line: &str, now: Millis) {
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
