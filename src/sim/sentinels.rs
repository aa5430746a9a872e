//! Sentinel processes on the simulated network: their config files, their
//! timers, and the connections they open to servers and to each other
//! (loopback, so without delay; a cut swallows their bytes, and Sentinel
//! notices by its own timeouts, as across a real partition).

use super::{ClientHandle, Sim, SimError, TraceEvent};
use crate::engine::time::Millis;
use crate::engine::sentinel::conf::SentinelConf;
use crate::engine::sentinel::{ConnId, Sentinel, SentinelNet, WatchView};
use crate::engine::server::ClientId;

pub(super) struct SentinelNode {
    pub(super) sentinel: Sentinel,
    pub(super) next_cron: Millis,
}

/// What the page shows of one Sentinel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelSnapshot {
    pub port: u16,
    pub myid: String,
    pub watching: Vec<WatchView>,
}

impl Sim {
    /// Starts redis-sentinel on `port` with its sentinel.conf lines.
    pub fn start_sentinel<S: AsRef<str>>(&mut self, port: u16, config_lines: &[S]) -> Result<(), SimError> {
        if self.nodes.contains_key(&port) || self.machines.contains_key(&port) || self.sentinels.contains_key(&port) {
            return Err(SimError::PortInUse(port));
        }
        SentinelConf::parse(config_lines, port).map_err(SimError::BadConfig)?;
        self.sentinel_confs.insert(port, config_lines.iter().map(|l| l.as_ref().to_string()).collect());
        self.boot_sentinel(port)
    }

    fn boot_sentinel(&mut self, port: u16) -> Result<(), SimError> {
        let lines = self.sentinel_confs.get(&port).cloned().ok_or(SimError::NoSuchServer(port))?;
        let seed = self.rng.next_u64();
        let sentinel = Sentinel::start(port, &lines, seed, self.now).map_err(SimError::BadConfig)?;
        self.record(TraceEvent::ServerStarted { at: self.now, port, run_id: sentinel.myid.clone() });
        // Sentinel's first timer runs as soon as it is up.
        self.sentinels.insert(port, SentinelNode { sentinel, next_cron: self.now + 1 });
        self.pump();
        Ok(())
    }

    pub fn is_sentinel(&self, port: u16) -> bool {
        self.sentinel_confs.contains_key(&port)
    }

    pub fn sentinel_running(&self, port: u16) -> bool {
        self.sentinels.contains_key(&port)
    }

    pub fn sentinel(&self, port: u16) -> Option<&Sentinel> {
        self.sentinels.get(&port).map(|n| &n.sentinel)
    }

    /// Ports with a Sentinel, running or not.
    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinel_confs.keys().copied().collect()
    }

    pub fn sentinel_config_lines(&self, port: u16) -> Option<&[String]> {
        self.sentinel_confs.get(&port).map(|l| l.as_slice())
    }

    /// Replaces a Sentinel's config file, for its next start.
    pub fn set_sentinel_config_lines<S: AsRef<str>>(&mut self, port: u16, lines: &[S]) -> Result<(), SimError> {
        SentinelConf::parse(lines, port).map_err(SimError::BadConfig)?;
        let conf = self.sentinel_confs.get_mut(&port).ok_or(SimError::NoSuchServer(port))?;
        *conf = lines.iter().map(|l| l.as_ref().to_string()).collect();
        Ok(())
    }

    pub fn sentinel_snapshot(&self) -> Vec<SentinelSnapshot> {
        self.sentinels
            .iter()
            .map(|(&port, n)| SentinelSnapshot { port, myid: n.sentinel.myid.clone(), watching: n.sentinel.watching() })
            .collect()
    }

    pub(super) fn restart_sentinel(&mut self, port: u16) -> Result<(), SimError> {
        if self.sentinels.contains_key(&port) {
            return Err(SimError::AlreadyRunning(port));
        }
        self.boot_sentinel(port)
    }

    /// The Sentinel process ends (crash or SHUTDOWN): its connections close.
    pub(super) fn stop_sentinel(&mut self, port: u16, crashed: bool) -> Result<(), SimError> {
        let mut node = self.sentinels.remove(&port).ok_or(SimError::NotRunning(port))?;
        let lines = node.sentinel.log.take();
        self.record_log(port, lines);
        if let Some(conf) = node.sentinel.take_rewritten_config() {
            self.sentinel_confs.insert(port, conf);
        }
        let event = if crashed { TraceEvent::ServerCrashed { at: self.now, port } } else { TraceEvent::ServerStopped { at: self.now, port, saved: false } };
        self.record(event);
        // Its own connections close on their targets.
        let own: Vec<(u16, ConnId)> = self.sentinel_conns.keys().filter(|(s, _)| *s == port).copied().collect();
        for key in own {
            if let Some(Some(target)) = self.sentinel_conns.remove(&key) {
                self.sentinel_clients.remove(&target);
                self.drop_client(target);
            }
        }
        // Connections to it (consoles, other Sentinels) close, and are refused from now on.
        self.inboxes.retain(|h, _| h.port != port);
        self.close_sentinel_conns_to(port);
        self.pump();
        Ok(())
    }

    /// Closes a client's connection on the node it is on.
    fn drop_client(&mut self, handle: ClientHandle) {
        let now = self.now;
        if let Some(node) = self.nodes.get_mut(&handle.port) {
            node.server.disconnect(handle.id, now);
        } else if let Some(s) = self.sentinels.get_mut(&handle.port) {
            s.sentinel.disconnect(handle.id);
        }
    }

    /// A node died: the Sentinel connections to it see the close.
    pub(super) fn close_sentinel_conns_to(&mut self, port: u16) {
        let gone: Vec<(ClientHandle, (u16, ConnId))> =
            self.sentinel_clients.iter().filter(|(h, _)| h.port == port).map(|(h, k)| (*h, *k)).collect();
        for (handle, (owner, conn)) in gone {
            self.sentinel_clients.remove(&handle);
            self.sentinel_conns.remove(&(owner, conn));
            if let Some(o) = self.sentinels.get_mut(&owner) {
                o.sentinel.net_closed(conn, self.now);
            }
        }
    }

    /// Whether a client handle is a Sentinel's connection; its bytes go
    /// to that Sentinel then.
    pub(super) fn sentinel_conn_of(&self, handle: ClientHandle) -> Option<(u16, ConnId)> {
        self.sentinel_clients.get(&handle).copied()
    }

    /// Bytes a node wrote to a Sentinel's connection.
    pub(super) fn queue_for_sentinel(&mut self, owner: u16, conn: ConnId, bytes: Vec<u8>) {
        self.sentinel_inbound.push_back((owner, conn, bytes));
    }

    /// A node closed a Sentinel's connection (CLIENT KILL).
    pub(super) fn sentinel_conn_killed(&mut self, handle: ClientHandle) -> bool {
        let Some((owner, conn)) = self.sentinel_clients.remove(&handle) else { return false };
        self.sentinel_conns.remove(&(owner, conn));
        if let Some(o) = self.sentinels.get_mut(&owner) {
            o.sentinel.net_closed(conn, self.now);
        }
        true
    }

    /// A cut swallows what Sentinels send across it, and their replies.
    pub(super) fn cut_sentinel_conns(&mut self, a: u16, b: u16) {
        let crossing: Vec<((u16, ConnId), ClientHandle)> = self
            .sentinel_conns
            .iter()
            .filter_map(|(k, t)| t.map(|t| (*k, t)))
            .filter(|((owner, _), t)| Self::pair(*owner, t.port) == Self::pair(a, b))
            .collect();
        for (key, target) in crossing {
            self.sentinel_conns.insert(key, None);
            self.sentinel_clients.remove(&target);
            self.drop_client(target);
        }
    }

    /// Carries what Sentinels asked of the network; true if anything moved.
    pub(super) fn pump_sentinels(&mut self) -> bool {
        let mut moved = false;
        let now = self.now;
        let ports: Vec<u16> = self.sentinels.keys().copied().collect();
        for port in ports {
            let Some(node) = self.sentinels.get_mut(&port) else { continue };
            let effects = node.sentinel.take_net();
            let output = node.sentinel.take_output();
            let killed = node.sentinel.take_killed();
            let lines = node.sentinel.log.take();
            let rewritten = node.sentinel.take_rewritten_config();
            if let Some(conf) = rewritten {
                self.sentinel_confs.insert(port, conf);
            }
            self.record_log(port, lines);
            for (client, bytes) in output {
                moved = true;
                self.client_output(port, client, bytes);
            }
            for id in killed {
                self.inboxes.remove(&ClientHandle { port, id });
                if let Some((owner, conn)) = self.sentinel_clients.remove(&ClientHandle { port, id }) {
                    self.sentinel_conns.remove(&(owner, conn));
                    if let Some(o) = self.sentinels.get_mut(&owner) {
                        o.sentinel.net_closed(conn, now);
                    }
                }
            }
            for effect in effects {
                moved = true;
                self.apply_sentinel_net(port, effect);
            }
        }
        while let Some((owner, conn, bytes)) = self.sentinel_inbound.pop_front() {
            moved = true;
            if let Some(o) = self.sentinels.get_mut(&owner) {
                o.sentinel.net_receive(conn, &bytes, now);
            }
        }
        // A Sentinel that exited on its own (SENTINEL SIMULATE-FAILURE).
        let exited: Vec<u16> = self.sentinels.iter().filter(|(_, n)| n.sentinel.stopped).map(|(p, _)| *p).collect();
        for port in exited {
            moved = true;
            let _ = self.stop_sentinel(port, true);
        }
        moved
    }

    fn apply_sentinel_net(&mut self, owner: u16, effect: SentinelNet) {
        let now = self.now;
        match effect {
            SentinelNet::Connect { conn, host, port } => {
                let local = host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost");
                if local && self.is_cut(owner, port) {
                    // The connect seems to go through, then nothing answers:
                    // Sentinel finds out by its timeouts.
                    self.sentinel_conns.insert((owner, conn), None);
                    if let Some(o) = self.sentinels.get_mut(&owner) {
                        o.sentinel.net_connected(conn, now);
                    }
                    return;
                }
                let id = if !local {
                    None
                } else if let Some(node) = self.nodes.get_mut(&port) {
                    Some(node.server.connect_at(now))
                } else {
                    self.sentinels.get_mut(&port).filter(|_| port != owner).map(|s| s.sentinel.connect_at(now))
                };
                match id {
                    Some(id) => {
                        let target = ClientHandle { port, id };
                        self.sentinel_conns.insert((owner, conn), Some(target));
                        self.sentinel_clients.insert(target, (owner, conn));
                        self.record(TraceEvent::ClientConnected { at: now, port, client: id });
                        if let Some(o) = self.sentinels.get_mut(&owner) {
                            o.sentinel.net_connected(conn, now);
                        }
                    }
                    None => {
                        self.record(TraceEvent::ConnectionRefused { at: now, port });
                        if let Some(o) = self.sentinels.get_mut(&owner) {
                            o.sentinel.net_refused(conn, now);
                        }
                    }
                }
            }
            SentinelNet::Send { conn, bytes } => {
                let Some(Some(target)) = self.sentinel_conns.get(&(owner, conn)).cloned() else { return };
                self.record(TraceEvent::Request { at: now, port: target.port, client: target.id, bytes: bytes.clone() });
                if let Some(node) = self.nodes.get_mut(&target.port) {
                    let out = node.server.receive(target.id, &bytes, now);
                    if !out.reply.is_empty() {
                        self.record(TraceEvent::Reply { at: now, port: target.port, client: target.id, bytes: out.reply.clone() });
                        self.queue_for_sentinel(owner, conn, out.reply);
                    }
                    self.deliver_output(target.port);
                    if self.nodes.get(&target.port).is_some_and(|n| n.server.stopped) {
                        if let Some(node) = self.nodes.remove(&target.port) {
                            let saved = node.server.persistence.saves > 0;
                            self.record(TraceEvent::ServerStopped { at: now, port: target.port, saved });
                            self.power_off(target.port, node);
                        }
                    }
                } else if let Some(s) = self.sentinels.get_mut(&target.port) {
                    let out = s.sentinel.receive(target.id, &bytes, now);
                    if !out.reply.is_empty() {
                        self.record(TraceEvent::Reply { at: now, port: target.port, client: target.id, bytes: out.reply.clone() });
                        self.queue_for_sentinel(owner, conn, out.reply);
                    }
                }
            }
            SentinelNet::Close { conn } => {
                if let Some(Some(target)) = self.sentinel_conns.remove(&(owner, conn)) {
                    self.sentinel_clients.remove(&target);
                    self.drop_client(target);
                }
            }
        }
    }

    /// Bytes a node wrote to one of its clients: to a Sentinel's
    /// connection, or into a console's inbox.
    pub(super) fn client_output(&mut self, port: u16, client: ClientId, bytes: Vec<u8>) {
        let handle = ClientHandle { port, id: client };
        self.record(TraceEvent::Reply { at: self.now, port, client, bytes: bytes.clone() });
        match self.sentinel_conn_of(handle) {
            Some((owner, conn)) => self.queue_for_sentinel(owner, conn, bytes),
            None => self.inboxes.entry(handle).or_default().extend_from_slice(&bytes),
        }
    }

    /// A console's bytes to a Sentinel; its replies land in the inbox.
    pub(super) fn send_to_sentinel(&mut self, handle: ClientHandle, bytes: &[u8]) {
        let now = self.now;
        self.record(TraceEvent::Request { at: now, port: handle.port, client: handle.id, bytes: bytes.to_vec() });
        let Some(node) = self.sentinels.get_mut(&handle.port) else { return };
        let out = node.sentinel.receive(handle.id, bytes, now);
        let stopped = node.sentinel.stopped;
        if !out.reply.is_empty() {
            self.record(TraceEvent::Reply { at: now, port: handle.port, client: handle.id, bytes: out.reply.clone() });
            self.inboxes.entry(handle).or_default().extend_from_slice(&out.reply);
        }
        if out.close {
            self.record(TraceEvent::ClientClosed { at: now, port: handle.port, client: handle.id });
        }
        if stopped {
            // SHUTDOWN: the process is gone once the command is done.
            let _ = self.stop_sentinel(handle.port, false);
        } else {
            self.pump();
        }
    }

    pub(super) fn next_sentinel_timer(&self) -> Option<Millis> {
        self.sentinels.values().map(|n| n.next_cron).min()
    }

    /// Runs the timers of the Sentinels due at `at`.
    pub(super) fn run_sentinel_timers(&mut self, at: Millis) {
        let due: Vec<u16> = self.sentinels.iter().filter(|(_, n)| n.next_cron == at).map(|(p, _)| *p).collect();
        for port in due {
            if let Some(node) = self.sentinels.get_mut(&port) {
                node.sentinel.cron(at);
                node.next_cron = at + node.sentinel.timer_period();
            }
            self.pump();
        }
    }
}
