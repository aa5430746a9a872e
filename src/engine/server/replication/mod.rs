//! Replication, both sides, as Redis 7.0 does it on the wire: the state
//! both share, the stream a master feeds, INFO and ROLE (here), a
//! replica's side (`replica.rs`), a master's (`master.rs`).
//!
//! A replica connects to its master (a connection it dials, whose bytes
//! the network carries), says PING, REPLCONF listening-port, REPLCONF capa eof capa
//! psync2 and PSYNC, receives `+FULLRESYNC` and a diskless RDB
//! (`$EOF:<mark>`), loads it, then applies the command stream, counting
//! every byte into its offset and acknowledging it every second.
//!
//! A master creates its backlog (and a new replication id) when its first
//! replica arrives, waits `repl-diskless-sync-delay` so more replicas can
//! share the transfer, then streams every write (with SELECT when the db
//! changes), the DELs of expired keys, and a PING every
//! `repl-ping-replica-period` seconds.

mod failover;
mod master;
mod replica;

use std::collections::{BTreeMap, VecDeque};

use super::Server;
use crate::engine::node::{ClientId, DialId};
use crate::engine::resp::{encode_command, Frame, RequestParser};
use crate::engine::time::Millis;

/// The connection a replica keeps to its master appears on the replica
/// under this client id.
pub const MASTER_CLIENT: ClientId = u64::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the next attempt (every second).
    Connect,
    Connecting,
    ReceivePong,
    /// Waiting for the reply to AUTH (`masterauth`).
    ReceiveAuth,
    ReceivePort,
    ReceiveCapa,
    ReceivePsync,
    /// Reading the RDB: the EOF mark of a diskless transfer.
    Transfer { mark: Option<Vec<u8>>, length: Option<usize> },
    Connected,
}

#[derive(Clone, Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    /// The connection to it, once dialled.
    pub(crate) dial: Option<DialId>,
    pub state: LinkState,
    buffer: Vec<u8>,
    pub last_io: Millis,
    /// When the link went down; `None` while up or if it never was.
    pub down_since: Option<Millis>,
    pub ever_up: bool,
    sync_offset: i64,
    sync_replid: String,
    /// The history this replica can continue from (PSYNC replid offset+1).
    pub cached: Option<(String, i64)>,
    /// How much of `buffer` was searched for a transfer's EOF mark.
    mark_scanned: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    WaitBgsave,
    /// The snapshot is on its way, at the network's pace, until `until`
    /// (Redis's wait_bgsave for a diskless transfer, send_bulk for a file).
    Transfer { until: Millis, diskless: bool },
    Online,
}

/// The virtual network's speed: 10 MB/s, slow enough that the full sync of
/// a big dataset visibly takes time (27 MB, a million keys, in 2.7 s). The
/// simulator carries bytes at this pace; a master knows from it when the
/// snapshot it sent has been read.
pub const LINK_BYTES_PER_MS: usize = 10_000;

/// How long `bytes` take on a link.
pub fn transfer_ms(bytes: usize) -> Millis {
    (bytes / LINK_BYTES_PER_MS) as Millis
}

#[derive(Clone, Debug)]
pub struct ReplicaEntry {
    pub listening_port: u16,
    pub state: ReplicaState,
    pub ack_offset: i64,
    pub ack_time: Millis,
    /// It asked with SYNC (redis-cli's replica mode): no `+FULLRESYNC`
    /// line, no EOF mark (so the snapshot goes through the disk), no ACKs.
    pub pre_psync: bool,
}

impl ReplicaEntry {
    /// How the master's log names it (Redis's replicationGetSlaveName).
    pub fn name(&self) -> String {
        match self.listening_port {
            0 => "127.0.0.1:<unknown-replica-port>".to_string(),
            port => format!("127.0.0.1:{port}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Backlog {
    pub bytes: VecDeque<u8>,
    pub first_byte_offset: i64,
}

/// A write a transaction collected, and where it is to go.
#[derive(Clone, Debug)]
pub(crate) struct Buffered {
    db: usize,
    command: Vec<Vec<u8>>,
    to_aof: bool,
    to_replicas: bool,
}

#[derive(Clone, Debug)]
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    pub offset: i64,
    pub second_offset: i64,
    pub backlog: Option<Backlog>,
    /// The db the stream last selected.
    stream_db: Option<usize>,
    pub master: Option<MasterLink>,
    pub replicas: BTreeMap<ClientId, ReplicaEntry>,
    /// When the diskless transfer starts (after the delay).
    sync_at: Option<Millis>,
    /// When a replica whose handshake failed dials its master again.
    redial_at: Option<Millis>,
    /// The last connection a replica dialled (each has its own number).
    pub(crate) last_dial: DialId,
    /// Inside EXEC: what the transaction propagates, sent at its end.
    /// Inside EXEC: (db, command, whether the AOF gets it too).
    exec_buffer: Option<Vec<Buffered>>,
    next_cron: Millis,
    cron_loops: u64,
    stream: RequestParser,
    /// A WAIT asked for acknowledgements; REPLCONF GETACK goes out once
    /// the command is done (after the client's offset is noted).
    pub(crate) acks_wanted: bool,
    /// A FAILOVER under way.
    pub(crate) failover: Option<failover::Failover>,
}

impl Replication {
    pub fn new(replid: String, now: Millis) -> Replication {
        Replication {
            replid,
            replid2: "0".repeat(40),
            offset: 0,
            second_offset: -1,
            backlog: None,
            stream_db: None,
            master: None,
            replicas: BTreeMap::new(),
            sync_at: None,
            redial_at: None,
            last_dial: 0,
            exec_buffer: None,
            next_cron: now + 1000,
            cron_loops: 0,
            stream: RequestParser::default(),
            acks_wanted: false,
            failover: None,
        }
    }
}

/// Logged when a master becomes a replica (or a replica starts with the
/// history its dump recorded): it offers its own history to the master.
pub(crate) const SYNTHESIZED_CACHED_MASTER: &str = "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.";

/// What a forked child logs about its copy-on-write memory (none here).
pub(super) const FORK_COW: &str = "Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB";

/// The next line from the master, without its end. Lines end in \n (a
/// master keeps a waiting replica's link alive with bare newlines); a \r
/// before it goes too.
pub(super) fn take_line(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let eol = buffer.iter().position(|&b| b == b'\n')?;
    let mut line: Vec<u8> = buffer.drain(..eol + 1).take(eol).collect();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}

pub(super) fn command_bytes<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    bytes
}

/// Where a server's link to its master stands, as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// Not a replica.
    None,
    /// Connecting (or waiting to try again).
    Connect,
    Handshake,
    /// Receiving its snapshot.
    Sync,
    Online,
    /// It was up, and is down now.
    Down,
}

impl Server {
    pub fn is_replica(&self) -> bool {
        self.repl.master.is_some()
    }

    /// The master it follows: (host, port).
    pub fn master_address(&self) -> Option<(&str, u16)> {
        self.repl.master.as_ref().map(|m| (m.host.as_str(), m.port))
    }

    pub fn link_status(&self) -> LinkStatus {
        let master = self.repl.master.as_ref();
        match master.map(|m| &m.state) {
            None => LinkStatus::None,
            Some(LinkState::Connected) => LinkStatus::Online,
            Some(LinkState::Transfer { .. }) => LinkStatus::Sync,
            Some(LinkState::Connect) if master.is_some_and(|m| m.ever_up) => LinkStatus::Down,
            Some(LinkState::Connect) | Some(LinkState::Connecting) => LinkStatus::Connect,
            Some(_) => LinkStatus::Handshake,
        }
    }

    /// Its replication offset (`master_repl_offset`).
    pub fn repl_offset(&self) -> i64 {
        self.repl.offset
    }

    /// When this master last heard an online replica (by the port it
    /// listens on) acknowledge the stream.
    pub fn replica_ack_time(&self, listening_port: u16) -> Option<Millis> {
        self.repl.replicas.values().find(|r| r.listening_port == listening_port && r.state == ReplicaState::Online).map(|r| r.ack_time)
    }

    /// A handshake or transfer that failed: the link goes and the replica
    /// dials its master again, `at_once` or at the next cron tick. Redis
    /// always redials at once; a master that keeps refusing (NOAUTH) would
    /// then make a loop of zero virtual time, so that case waits a tick
    /// (about ten rounds a second where Redis does hundreds).
    pub(super) fn reconnect_after_failure(&mut self, now: Millis, at_once: bool) {
        self.close_master_link();
        let Some((host, port)) = self.repl.master.as_ref().map(|m| (m.host.clone(), m.port)) else { return };
        self.notice(now, format!("Reconnecting to MASTER {host}:{port} after failure"));
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::Connecting;
            m.buffer.clear();
        }
        if at_once {
            self.start_connect(host, port, now);
        } else {
            self.repl.redial_at = Some(now + 1);
        }
    }

    /// `repl-timeout` checks, once a second: a handshake or transfer that
    /// stalled is abandoned and tried again; a master silent for too long
    /// is dropped; a master drops replicas that stopped acknowledging.
    pub(super) fn check_timeouts(&mut self, now: Millis) {
        let timeout = self.settings.repl_timeout;
        let silent = |since: Millis| now.div_euclid(1000) - since.div_euclid(1000) > timeout;
        if let Some(m) = self.repl.master.as_ref() {
            let stalled = match m.state {
                LinkState::Connecting
                | LinkState::ReceivePong
                | LinkState::ReceiveAuth
                | LinkState::ReceivePort
                | LinkState::ReceiveCapa
                | LinkState::ReceivePsync => Some("Timeout connecting to the MASTER..."),
                LinkState::Transfer { .. } => Some("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."),
                LinkState::Connected | LinkState::Connect => None,
            };
            let (last_io, connected) = (m.last_io, m.state == LinkState::Connected);
            if let Some(warning) = stalled.filter(|_| silent(last_io)) {
                self.warning(now, warning.into());
                self.reconnect_after_failure(now, true);
            } else if connected && silent(last_io) {
                self.warning(now, "MASTER timeout: no data nor PING received...".into());
                self.close_master_link();
                self.net_closed(now);
            }
        }
        let timed_out: Vec<(ClientId, String)> = self
            .repl
            .replicas
            .iter()
            // A SYNC replica never acknowledges: it is not timed out.
            .filter(|(_, r)| r.state == ReplicaState::Online && !r.pre_psync && silent(r.ack_time))
            .map(|(id, r)| (*id, r.name()))
            .collect();
        for (id, name) in timed_out {
            self.warning(now, format!("Disconnecting timedout replica (streaming sync): {name}"));
            self.kill_client(id, now);
        }
    }

    /// Once a second: reconnect a replica whose link is down, acknowledge
    /// the stream; as a master, PING the replicas.
    pub(crate) fn replication_cron(&mut self, now: Millis) {
        self.transfers_cron(now);
        if let Some(at) = self.repl.sync_at {
            if now >= at {
                self.repl.sync_at = None;
                self.start_full_sync(now);
            }
        }
        if self.repl.redial_at.is_some_and(|at| now >= at) {
            self.repl.redial_at = None;
            if let Some((host, port)) = self.repl.master.as_ref().filter(|m| m.state == LinkState::Connecting).map(|m| (m.host.clone(), m.port)) {
                self.start_connect(host, port, now);
            }
        }
        if now < self.repl.next_cron {
            return;
        }
        self.repl.next_cron = now + 1000;
        self.repl.cron_loops += 1;
        self.check_timeouts(now);
        if let Some(m) = self.repl.master.as_mut() {
            match m.state {
                LinkState::Connect => {
                    m.state = LinkState::Connecting;
                    let (host, port) = (m.host.clone(), m.port);
                    self.connect_to_master(host, port, now, "Connecting");
                }
                LinkState::Connected => self.send_ack(),
                _ => {}
            }
        }
        // Replicas waiting for the transfer to start get a newline each
        // second, so their handshake does not time out.
        let waiting: Vec<ClientId> =
            self.repl.replicas.iter().filter(|(_, r)| r.state == ReplicaState::WaitBgsave).map(|(id, _)| *id).collect();
        for id in waiting {
            // Written straight to the socket, as Redis does: not counted.
            self.push_output_uncounted(id, b"\n".to_vec());
        }
        let period = self.settings.repl_ping_replica_period.max(1) as u64;
        if self.repl.master.is_none() && !self.repl.replicas.is_empty() && self.repl.cron_loops % period == 0 {
            let db = self.repl.stream_db;
            self.feed(db, &[b"PING".to_vec()]);
        }
    }

    /// A write to send to replicas; inside EXEC it waits for the end.
    pub(crate) fn propagate(&mut self, db: usize, command: Vec<Vec<u8>>) {
        match self.repl.exec_buffer.as_mut() {
            Some(buffer) => buffer.push(Buffered { db, command, to_aof: true, to_replicas: true }),
            None => self.feed_everywhere(Some(db), &command),
        }
    }

    /// Whether a write would go anywhere (a transaction's buffer, the
    /// backlog and replicas, the AOF): if not, it need not be copied.
    pub(crate) fn propagation_wanted(&self) -> bool {
        self.repl.exec_buffer.is_some()
            || (self.repl.backlog.is_some() && self.repl.master.is_none())
            || (self.aof.state != super::aof::AofState::Off && !self.is_loading())
    }

    /// PUBLISH reaches replicas but not the AOF.
    pub(crate) fn propagate_to_replicas(&mut self, db: usize, command: Vec<Vec<u8>>) {
        match self.repl.exec_buffer.as_mut() {
            Some(buffer) => buffer.push(Buffered { db, command, to_aof: false, to_replicas: true }),
            None => self.feed(Some(db), &command),
        }
    }

    /// To the AOF and to replicas.
    fn feed_everywhere(&mut self, db: Option<usize>, args: &[Vec<u8>]) {
        self.aof_feed(db, args);
        self.feed(db, args);
    }

    pub(crate) fn begin_exec_propagation(&mut self) {
        self.repl.exec_buffer = Some(Vec::new());
    }

    /// Whether a transaction (or a script) is collecting its writes.
    pub(crate) fn exec_propagation_active(&self) -> bool {
        self.repl.exec_buffer.is_some()
    }

    /// How many writes the transaction has collected so far.
    pub(crate) fn exec_buffered(&self) -> usize {
        self.repl.exec_buffer.as_ref().map_or(0, Vec::len)
    }

    /// A script's `redis.set_repl`: the writes collected since `from` go
    /// only where its flags say.
    pub(crate) fn restrict_buffered(&mut self, from: usize, to_aof: bool, to_replicas: bool) {
        if let Some(buffer) = self.repl.exec_buffer.as_mut() {
            for entry in buffer.iter_mut().skip(from) {
                entry.to_aof &= to_aof;
                entry.to_replicas &= to_replicas;
            }
        }
    }

    /// A transaction's writes go out wrapped in MULTI/EXEC when there are
    /// several, bare when there is one, as Redis 7.0 propagates them (a
    /// script's write that `redis.set_repl` sent nowhere does not count).
    pub(crate) fn end_exec_propagation(&mut self) {
        let mut buffered = self.repl.exec_buffer.take().unwrap_or_default();
        buffered.retain(|b| b.to_aof || b.to_replicas);
        let wrap = buffered.len() > 1;
        if wrap {
            self.feed_everywhere(Some(buffered[0].db), &[b"MULTI".to_vec()]);
        }
        for entry in &buffered {
            if entry.to_aof {
                self.aof_feed(Some(entry.db), &entry.command);
            }
            if entry.to_replicas {
                self.feed(Some(entry.db), &entry.command);
            }
        }
        if wrap {
            self.feed_everywhere(None, &[b"EXEC".to_vec()]);
        }
    }

    /// Appends a command to the replication stream (with SELECT when the
    /// db changes): backlog, offset, and every replica.
    pub(crate) fn feed(&mut self, db: Option<usize>, args: &[Vec<u8>]) {
        if self.repl.backlog.is_none() || self.repl.master.is_some() {
            return;
        }
        let mut bytes = Vec::new();
        if let Some(db) = db {
            if self.repl.stream_db != Some(db) {
                encode_command(&[b"SELECT".to_vec(), db.to_string().into_bytes()], &mut bytes);
                self.repl.stream_db = Some(db);
            }
        }
        encode_command(args, &mut bytes);
        self.repl.offset += bytes.len() as i64;
        if let Some(backlog) = self.repl.backlog.as_mut() {
            backlog.bytes.extend(bytes.iter());
            trim(backlog, self.settings.repl_backlog_size);
        }
        // Replicas still waiting for their sync get these writes in the
        // snapshot, which is taken when the transfer starts.
        // Those receiving theirs get them after it, in order (Redis keeps
        // them in the replica's output buffer meanwhile).
        let online: Vec<ClientId> = self
            .repl
            .replicas
            .iter()
            .filter(|(_, r)| matches!(r.state, ReplicaState::Online | ReplicaState::Transfer { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in online {
            self.push_output(id, bytes.clone());
        }
    }

    /// Whether replication is in the middle of something that will end on
    /// its own: a sync waiting to start or under way on either end, or a
    /// handshake. Retrying a master that does not answer is not counted:
    /// it can go on forever.
    pub fn replication_in_progress(&self) -> bool {
        let own_link = self.repl.master.as_ref().is_some_and(|m| {
            !matches!(m.state, LinkState::Connect | LinkState::Connecting | LinkState::Connected)
        });
        let serving = self.repl.replicas.values().any(|r| r.state != ReplicaState::Online);
        own_link || serving || self.repl.sync_at.is_some()
    }

    /// INFO's `# Replication` lines.
    pub fn replication_info(&self, now: Millis) -> Vec<String> {
        let r = &self.repl;
        let mut lines = Vec::new();
        match &r.master {
            None => lines.push("role:master".to_string()),
            Some(m) => {
                let up = m.state == LinkState::Connected;
                lines.push("role:slave".into());
                lines.push(format!("master_host:{}", m.host));
                lines.push(format!("master_port:{}", m.port));
                lines.push(format!("master_link_status:{}", if up { "up" } else { "down" }));
                // Redis counts whole seconds of its cached clock.
                let io_ago = now.div_euclid(1000) - m.last_io.div_euclid(1000);
                lines.push(format!("master_last_io_seconds_ago:{}", if up { io_ago } else { -1 }));
                let syncing = matches!(m.state, LinkState::Transfer { .. });
                lines.push(format!("master_sync_in_progress:{}", syncing as u8));
                // Without a master client, Redis shows its cached master's
                // offset, and 1 when it has none either.
                let shown = match (&m.cached, up) {
                    (_, true) => r.offset,
                    (Some((_, offset)), false) => *offset,
                    (None, false) => 1,
                };
                lines.push(format!("slave_read_repl_offset:{shown}"));
                lines.push(format!("slave_repl_offset:{shown}"));
                if let LinkState::Transfer { mark, length } = &m.state {
                    // Before the `$` line the size is -1; a streamed RDB
                    // (EOF mark) has size 0, a file its length.
                    let (size, read) = match (mark, length) {
                        (Some(_), _) => (0, m.buffer.len() as i64),
                        (None, Some(len)) => (*len as i64, m.buffer.len().min(*len) as i64),
                        (None, None) => (-1, 0),
                    };
                    let perc = if size != 0 { read as f64 / size as f64 * 100.0 } else { 0.0 };
                    lines.push(format!("master_sync_total_bytes:{size}"));
                    lines.push(format!("master_sync_read_bytes:{read}"));
                    lines.push(format!("master_sync_left_bytes:{}", size - read));
                    lines.push(format!("master_sync_perc:{perc:.2}"));
                    lines.push(format!("master_sync_last_io_seconds_ago:{}", (now - m.last_io) / 1000));
                }
                if !up {
                    let since = m.down_since.map_or(-1, |at| (now - at) / 1000);
                    lines.push(format!("master_link_down_since_seconds:{}", if m.ever_up { since } else { -1 }));
                }
                lines.push(format!("slave_priority:{}", self.settings.replica_priority));
                lines.push(format!("slave_read_only:{}", self.settings.replica_read_only as u8));
                lines.push("replica_announced:1".into());
            }
        }
        lines.push(format!("connected_slaves:{}", r.replicas.len()));
        if self.settings.min_replicas_to_write > 0 && self.settings.min_replicas_max_lag > 0 {
            lines.push(format!("min_slaves_good_slaves:{}", self.good_replicas(now)));
        }
        for (i, entry) in r.replicas.values().enumerate() {
            // Redis counts the lag only once the replica is online.
            let (state, lag) = match entry.state {
                ReplicaState::WaitBgsave | ReplicaState::Transfer { diskless: true, .. } => ("wait_bgsave", 0),
                ReplicaState::Transfer { diskless: false, .. } => ("send_bulk", 0),
                ReplicaState::Online => ("online", now.div_euclid(1000) - entry.ack_time.div_euclid(1000)),
            };
            lines.push(format!(
                "slave{i}:ip=127.0.0.1,port={},state={state},offset={},lag={lag}",
                entry.listening_port, entry.ack_offset
            ));
        }
        lines.push(format!("master_failover_state:{}", self.failover_state()));
        lines.push(format!("master_replid:{}", r.replid));
        lines.push(format!("master_replid2:{}", r.replid2));
        lines.push(format!("master_repl_offset:{}", r.offset));
        lines.push(format!("second_repl_offset:{}", r.second_offset));
        let (active, first, histlen) = match &r.backlog {
            Some(b) => (1, b.first_byte_offset, b.bytes.len()),
            None => (0, 0, 0),
        };
        lines.push(format!("repl_backlog_active:{active}"));
        lines.push(format!("repl_backlog_size:{}", self.settings.repl_backlog_size));
        lines.push(format!("repl_backlog_first_byte_offset:{first}"));
        lines.push(format!("repl_backlog_histlen:{histlen}"));
        lines
    }

    /// ROLE.
    pub(crate) fn role_reply(&self) -> Frame {
        match &self.repl.master {
            None => {
                let replicas = self
                    .repl
                    .replicas
                    .values()
                    .filter(|r| r.state == ReplicaState::Online)
                    .map(|r| {
                        Frame::Array(vec![
                            Frame::bulk("127.0.0.1"),
                            Frame::bulk(r.listening_port.to_string()),
                            Frame::bulk(r.ack_offset.to_string()),
                        ])
                    })
                    .collect();
                Frame::Array(vec![Frame::bulk("master"), Frame::Integer(self.repl.offset), Frame::Array(replicas)])
            }
            Some(m) => {
                let (state, offset) = match m.state {
                    LinkState::Connect => ("connect", -1),
                    LinkState::Connecting => ("connecting", -1),
                    LinkState::Transfer { .. } => ("sync", -1),
                    LinkState::Connected => ("connected", self.repl.offset),
                    _ => ("handshake", -1),
                };
                Frame::Array(vec![
                    Frame::bulk("slave"),
                    Frame::bulk(m.host.clone()),
                    Frame::Integer(m.port as i64),
                    Frame::bulk(state),
                    Frame::Integer(offset),
                ])
            }
        }
    }
}

/// Redis 7.0 trims its backlog in whole blocks of 16 KB, and only as new
/// data arrives: keep at most `size` plus one block.
pub(super) fn trim(backlog: &mut Backlog, size: i64) {
    const BLOCK: usize = 16 * 1024;
    let size = size.max(0) as usize;
    while backlog.bytes.len() > size + BLOCK {
        backlog.bytes.drain(..BLOCK);
        backlog.first_byte_offset += BLOCK as i64;
    }
}
