//! FAILOVER, the coordinated failover of Redis 7.0: the master pauses
//! writes, waits until its target replica (or the first one) has all of its
//! stream, becomes that replica's replica and asks it with `PSYNC replid
//! offset FAILOVER` to take the master role; once the target accepted, the
//! writes go on. A timeout aborts it (or, with FORCE, fails over anyway).
//! (`impl Server`: the type comes from the folder above.)

use super::ReplicaState;
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failover {
    /// The replica's listening port (its host is 127.0.0.1), once chosen.
    pub(crate) target: Option<u16>,
    pub(crate) end: Option<Millis>,
    pub(crate) force: bool,
    /// The master has turned replica and waits for the target's answer.
    pub(crate) in_progress: bool,
}

impl Server {
    /// INFO's master_failover_state.
    pub(crate) fn failover_state(&self) -> &'static str {
        match &self.repl.failover {
            None => "no-failover",
            Some(f) if f.in_progress => "failover-in-progress",
            Some(_) => "waiting-for-sync",
        }
    }

    /// FAILOVER ABORT.
    pub(crate) fn failover_abort_command(&mut self, now: Millis) -> Frame {
        if self.repl.failover.is_none() {
            return Frame::error("ERR No failover in progress.");
        }
        self.abort_failover("Failover manually aborted", now);
        Frame::ok()
    }

    /// FAILOVER [TO host port [FORCE]] [TIMEOUT ms], its arguments read
    /// (`timeout` 0: none): the state checks in Redis's order.
    pub(crate) fn failover_command(&mut self, to: Option<(String, i64)>, timeout: i64, force: bool, now: Millis) -> Frame {
        if self.repl.failover.is_some() {
            return Frame::error("ERR FAILOVER already in progress.");
        }
        if self.repl.master.is_some() {
            return Frame::error("ERR FAILOVER is not valid when server is a replica.");
        }
        if self.repl.replicas.is_empty() {
            return Frame::error("ERR FAILOVER requires connected replicas.");
        }
        if force && (timeout == 0 || to.is_none()) {
            return Frame::error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
        }
        let target = match to {
            Some((host, port)) => {
                let local = host.eq_ignore_ascii_case("127.0.0.1") || host.eq_ignore_ascii_case("localhost");
                let Some(entry) = self.repl.replicas.values().find(|r| local && i64::from(r.listening_port) == port) else {
                    return Frame::error("ERR FAILOVER target HOST and PORT is not a replica.");
                };
                if entry.state != ReplicaState::Online {
                    return Frame::error("ERR FAILOVER target replica is not online.");
                }
                let listening_port = entry.listening_port;
                self.notice(now, format!("FAILOVER requested to {host}:{port}."));
                Some(listening_port)
            }
            None => {
                self.notice(now, "FAILOVER requested to any replica.".into());
                None
            }
        };
        self.repl.failover = Some(Failover { target, end: (timeout > 0).then(|| now + timeout), force, in_progress: false });
        self.failover_pause = true;
        Frame::ok()
    }

    /// Redis's updateFailoverStatus (after each event): the timeout, or the
    /// target caught up with the stream, which starts the hand-over.
    pub(crate) fn update_failover_status(&mut self, now: Millis) {
        let Some(failover) = self.repl.failover.clone() else { return };
        if failover.in_progress {
            return;
        }
        if failover.end.is_some_and(|end| end <= now) {
            match (failover.force, failover.target) {
                (true, Some(port)) => {
                    self.notice(now, format!("FAILOVER to 127.0.0.1:{port} time out exceeded, failing over."));
                    self.hand_over(port, now);
                }
                _ => self.abort_failover("Replica never caught up before timeout", now),
            }
            return;
        }
        let offset = self.repl.offset;
        let caught_up = |r: &super::ReplicaEntry| r.ack_offset == offset && r.listening_port != 0;
        let target = match failover.target {
            Some(port) => self.repl.replicas.values().find(|r| r.listening_port == port).filter(|r| caught_up(r)).map(|r| r.listening_port),
            None => self.repl.replicas.values().find(|r| caught_up(r)).map(|r| r.listening_port),
        };
        if let Some(port) = target {
            self.notice(now, format!("Failover target 127.0.0.1:{port} is synced, failing over."));
            self.hand_over(port, now);
        }
    }

    /// The master turns into its target's replica; its PSYNC will carry FAILOVER.
    fn hand_over(&mut self, port: u16, now: Millis) {
        if let Some(f) = self.repl.failover.as_mut() {
            f.target = Some(port);
            f.in_progress = true;
        }
        self.log_as(now, 'S', '*', super::SYNTHESIZED_CACHED_MASTER.into());
        self.set_master("127.0.0.1".into(), port, now);
    }

    pub(crate) fn failover_in_progress(&self) -> bool {
        self.repl.failover.as_ref().is_some_and(|f| f.in_progress)
    }

    /// The target answered the PSYNC: the failover is over, writes go on.
    pub(crate) fn clear_failover(&mut self, now: Millis) {
        self.repl.failover = None;
        self.failover_pause = false;
        if self.pause.is_none() {
            self.release_postponed(now);
        }
    }

    pub(crate) fn abort_failover(&mut self, why: &str, now: Millis) {
        let Some(failover) = self.repl.failover.clone() else { return };
        match failover.target {
            Some(port) => self.notice(now, format!("FAILOVER to 127.0.0.1:{port} aborted: {why}")),
            None => self.notice(now, format!("FAILOVER to any replica aborted: {why}")),
        }
        if failover.in_progress {
            self.become_master(now);
        }
        self.clear_failover(now);
    }

    /// PSYNC replid offset FAILOVER reaching a replica: with its master's
    /// replication id it takes the master role (then serves the PSYNC as a
    /// master does); with another, Redis refuses.
    pub(crate) fn accept_failover_request(&mut self, id: ClientId, replid: &[u8], now: Millis) -> Result<(), Frame> {
        self.warning(now, format!("Failover request received for replid {}.", String::from_utf8_lossy(replid)));
        if replid != self.repl.replid.as_bytes() {
            return Err(Frame::error("ERR PSYNC FAILOVER replid must match my replid."));
        }
        self.become_master(now);
        let client = self.client_line(id, 0, &[], now);
        self.notice(now, format!("MASTER MODE enabled (failover request from '{client}')"));
        Ok(())
    }
}
