//! Sentinel's timer, run `hz` times a second: every instance is
//! reconnected, pinged, asked for INFO and told this Sentinel's hello; the
//! master's subjective then objective down state, the leader vote of an
//! epoch and the failover's steps advance here.

use super::instance::{rank_slaves, FailoverState, Instance, Master, Role};
use super::links::Credentials;
use super::{Expect, Sentinel, Who, MAX_DESYNC, MAX_PENDING_COMMANDS, SIMFAILURE_CRASH_AFTER_ELECTION};
use crate::engine::node::Output;
use crate::engine::time::Millis;
use std::collections::BTreeMap;

impl Sentinel {

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

    pub(super) fn handle_master(&mut self, m: &mut Master, now: Millis) {
        let name = m.inst.name.clone();
        let data_auth = Credentials { user: m.auth_user.clone(), pass: m.auth_pass.clone() };
        let global = |key: &str| self.global_config.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let sentinel_auth = Credentials { user: global("sentinel-user"), pass: global("sentinel-pass") };
        // The master itself.
        let mut inst = m.inst.clone();
        self.reconnect(&name, Who::Master, &mut inst, &data_auth, now);
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
        // What runs for each reads the master but neither table, so both
        // are worked on in place (taking each entry out and putting it
        // back was a third of a Sentinel's cron).
        let mut slaves = std::mem::take(&mut m.slaves);
        for (key, s) in slaves.iter_mut() {
            self.reconnect(&name, Who::Slave(key.clone()), s, &data_auth, now);
            let fast = fast_info || s.master_link_down_time != 0;
            self.periodic(m, s, fast, now);
            self.check_sdown(m, s, now);
        }
        m.slaves = slaves;
        let mut sentinels = std::mem::take(&mut m.sentinels);
        for (id, s) in sentinels.iter_mut() {
            self.reconnect(&name, Who::Sentinel(id.clone()), s, &sentinel_auth, now);
            self.periodic(m, s, false, now);
            self.check_sdown(m, s, now);
        }
        m.sentinels = sentinels;
    }

    pub(super) fn periodic(&mut self, m: &Master, inst: &mut Instance, fast_info: bool, now: Millis) {
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

    pub(super) fn check_sdown(&mut self, m: &Master, inst: &mut Instance, now: Millis) {
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

    pub(super) fn check_odown(&mut self, m: &mut Master, now: Millis) {
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

    pub(super) fn start_failover_if_needed(&mut self, m: &mut Master, now: Millis) -> bool {
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

    pub(super) fn start_failover(&mut self, m: &mut Master, now: Millis) {
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
    pub(super) fn ask_other_sentinels(&mut self, m: &mut Master, forced: bool, now: Millis) {
        let (host, port) = (m.inst.host.clone(), m.inst.port);
        let runid = if m.failover_state > FailoverState::None { self.myid.clone() } else { "*".to_string() };
        let master_down = m.inst.s_down;
        for s in m.sentinels.values_mut() {
            if now - s.last_master_down_reply_time > self.timings.ask_period.saturating_mul(5) {
                s.master_down = false;
                s.leader = None;
            }
            let ask = master_down && !s.disconnected() && (forced || now - s.last_master_down_reply_time >= self.timings.ask_period);
            if ask {
                let epoch = self.current_epoch.to_string();
                let port = port.to_string();
                self.command(
                    &mut s.link,
                    &[b"SENTINEL", b"is-master-down-by-addr", host.as_bytes(), port.as_bytes(), epoch.as_bytes(), runid.as_bytes()],
                    Expect::IsMasterDown,
                );
            }
        }
    }

    /// Our vote for the leader of `epoch`: the first who asks in an epoch
    /// gets it. Returns (leader, its epoch).
    pub(super) fn vote_leader(&mut self, m: &mut Master, epoch: u64, candidate: &str, now: Millis) -> (Option<String>, u64) {
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
    pub(super) fn get_leader(&mut self, m: &mut Master, epoch: u64, now: Millis) -> Option<String> {
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
        // A majority of all the Sentinels, and at least the quorum.
        (count > voters / 2 && count >= m.quorum).then_some(leader)
    }

    pub(super) fn abort_failover(&mut self, m: &mut Master, now: Millis) {
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

    pub(super) fn failover_state_machine(&mut self, m: &mut Master, now: Millis) {
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
            FailoverState::SelectSlave => match {
                let ranking = rank_slaves(m, &self.timings, now);
                let chosen = ranking.chosen().map(|c| c.name.clone());
                self.outputs.push_back(Output::Ranking(ranking));
                chosen
            } {
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
    pub(super) fn reconf_next_slave(&mut self, m: &mut Master, now: Millis) {
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

    pub(super) fn detect_failover_end(&mut self, m: &mut Master, now: Millis) {
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
                if !(s.promoted || s.reconf_done || s.reconf_sent || s.disconnected()) && self.send_slaveof(&mut s, Some((&phost, pport))) {
                    s.reconf_sent = true;
                    let what = m.describe_member(&s);
                    self.event(now, '*', "+slave-reconf-sent-be", what);
                }
                m.slaves.insert(key, s);
            }
        }
    }

    pub(super) fn switch_to_promoted(&mut self, m: &mut Master, now: Millis) {
        let (host, port) = m.promoted_address().unwrap_or_else(|| (m.inst.host.clone(), m.inst.port));
        let text = format!("{} {} {} {} {}", m.inst.name, m.inst.host, m.inst.port, host, port);
        self.event(now, '#', "+switch-master", text);
        self.reset_master_and_change_address(m, &host, port, now);
    }

    /// SENTINEL SIMULATE-FAILURE's crash: the process exits on the spot.
    pub(super) fn simulated_crash(&mut self, now: Millis) {
        self.log_line(now, '#', "Sentinel CRASH because of SENTINEL simulate-failure".into());
        self.stop();
    }
}
