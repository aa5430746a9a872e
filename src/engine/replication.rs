//! Replication, both sides, as Redis 7.0 does it on the wire.
//!
//! A replica connects to its master (the simulator carries the bytes, see
//! `NetEffect`), says PING, REPLCONF listening-port, REPLCONF capa eof capa
//! psync2 and PSYNC, receives `+FULLRESYNC` and a diskless RDB
//! (`$EOF:<mark>`), loads it, then applies the command stream, counting
//! every byte into its offset and acknowledging it every second.
//!
//! A master creates its backlog (and a new replication id) when its first
//! replica arrives, waits `repl-diskless-sync-delay` so more replicas can
//! share the transfer, then streams every write (with SELECT when the db
//! changes), the DELs of expired keys, and a PING every
//! `repl-ping-replica-period` seconds.

use std::collections::{BTreeMap, VecDeque};

use super::commands::{self, err};
use super::time::Millis;
use super::rdb::{self, SaveOptions};
use super::resp::{encode_command, Frame, RequestParser};
use super::server::{ClientId, Server};

/// The connection a replica keeps to its master appears on the replica
/// under this client id.
pub const MASTER_CLIENT: ClientId = u64::MAX;

/// What a server asks of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEffect {
    Connect { host: String, port: u16 },
    Send(Vec<u8>),
    Close,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the next attempt (every second).
    Connect,
    Connecting,
    ReceivePong,
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
    pub net: Vec<NetEffect>,
    /// Inside EXEC: what the transaction propagates, sent at its end.
    exec_buffer: Option<Vec<(usize, Vec<Vec<u8>>)>>,
    next_cron: Millis,
    cron_loops: u64,
    stream: RequestParser,
    /// A WAIT asked for acknowledgements; REPLCONF GETACK goes out once
    /// the command is done (after the client's offset is noted).
    pub(crate) acks_wanted: bool,
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
            net: Vec::new(),
            exec_buffer: None,
            next_cron: now + 1000,
            cron_loops: 0,
            stream: RequestParser::default(),
            acks_wanted: false,
        }
    }
}

/// Logged when a master becomes a replica (or a replica starts with the
/// history its dump recorded): it offers its own history to the master.
pub(crate) const SYNTHESIZED_CACHED_MASTER: &str = "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.";

/// The next line from the master, without its end. Lines end in \n (a
/// master keeps a waiting replica's link alive with bare newlines); a \r
/// What a forked child logs about its copy-on-write memory (none here).
const FORK_COW: &str = "Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB";

/// before it goes too.
fn take_line(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let eol = buffer.iter().position(|&b| b == b'\n')?;
    let mut line: Vec<u8> = buffer.drain(..eol + 1).take(eol).collect();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}

fn command_bytes<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    bytes
}

impl Server {
    pub fn is_replica(&self) -> bool {
        self.repl.master.is_some()
    }

    /// What the server wants from the network since the last call.
    pub fn take_net(&mut self) -> Vec<NetEffect> {
        std::mem::take(&mut self.repl.net)
    }

    /// REPLICAOF host port | NO ONE (and SLAVEOF).
    pub(crate) fn replicaof_command(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Frame {
        if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
            if self.repl.master.is_some() {
                self.become_master(now);
                let who = self.client_line(id, id, args, now);
                self.notice(now, format!("MASTER MODE enabled (user request from '{who}')"));
            }
            return Frame::ok();
        }
        if self.repl.replicas.contains_key(&id) {
            return err("Command is not valid when client is a replica.");
        }
        let port = match commands::int_arg_in(&args[2], 0, 65535, "Invalid master port") {
            Ok(p) => p as u16,
            Err(e) => return e,
        };
        let host = String::from_utf8_lossy(&args[1]).into_owned();
        if self.repl.master.as_ref().is_some_and(|m| m.host.eq_ignore_ascii_case(&host) && m.port == port) {
            self.notice(now, "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.".into());
            return Frame::Simple("OK Already connected to specified master".into());
        }
        if self.repl.master.is_none() {
            self.log_as(now, 'S', '*', SYNTHESIZED_CACHED_MASTER.into());
        }
        self.set_master(host.clone(), port, now);
        let who = self.client_line(id, id, args, now);
        self.notice(now, format!("REPLICAOF {host}:{port} enabled (user request from '{who}')"));
        Frame::ok()
    }

    /// Starts following a master: the old link (if any) is dropped and
    /// the first connection attempt is made at once.
    pub fn set_master(&mut self, host: String, port: u16, now: Millis) {
        if let Some(m) = &self.repl.master {
            // Redis forgets the old master's address before closing its
            // link, so these lines carry the master's role letter.
            if m.state == LinkState::Connected {
                self.log_as(now, 'M', '#', "Connection with master lost.".into());
                self.log_as(now, 'M', '*', "Caching the disconnected master state.".into());
            }
            self.repl.net.push(NetEffect::Close);
        }
        // A master turning replica offers its own history (PSYNC2), as a
        // replica re-pointed does with its master's; its own replicas must
        // follow the new history and reconnect.
        let cached = Some((self.repl.replid.clone(), self.repl.offset));
        self.disconnect_replicas(now);
        self.drop_master_client();
        self.repl.master = Some(MasterLink {
            host: host.clone(),
            port,
            state: LinkState::Connecting,
            buffer: Vec::new(),
            last_io: now,
            down_since: None,
            ever_up: false,
            sync_offset: 0,
            sync_replid: String::new(),
            mark_scanned: 0,
            cached,
        });
        self.connect_to_master(host, port, now, "Connecting");
    }

    /// Starts a connection attempt (`Connecting` or, after a lost link, `Reconnecting`).
    fn connect_to_master(&mut self, host: String, port: u16, now: Millis, verb: &str) {
        self.notice(now, format!("{verb} to MASTER {host}:{port}"));
        self.start_connect(host, port, now);
    }

    fn start_connect(&mut self, host: String, port: u16, now: Millis) {
        self.notice(now, "MASTER <-> REPLICA sync started".into());
        if let Some(m) = self.repl.master.as_mut() {
            m.last_io = now;
        }
        self.repl.net.push(NetEffect::Connect { host, port });
    }

    /// `repl-timeout` checks, once a second: a handshake or transfer that
    /// stalled is abandoned and tried again; a master silent for too long
    /// is dropped; a master drops replicas that stopped acknowledging.
    fn check_timeouts(&mut self, now: Millis) {
        let timeout = self.settings.repl_timeout;
        let silent = |since: Millis| now.div_euclid(1000) - since.div_euclid(1000) > timeout;
        if let Some(m) = self.repl.master.as_ref() {
            let stalled = match m.state {
                LinkState::Connecting
                | LinkState::ReceivePong
                | LinkState::ReceivePort
                | LinkState::ReceiveCapa
                | LinkState::ReceivePsync => Some("Timeout connecting to the MASTER..."),
                LinkState::Transfer { .. } => Some("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."),
                LinkState::Connected | LinkState::Connect => None,
            };
            let (host, port, last_io, connected) = (m.host.clone(), m.port, m.last_io, m.state == LinkState::Connected);
            if let Some(warning) = stalled.filter(|_| silent(last_io)) {
                self.warning(now, warning.into());
                self.repl.net.push(NetEffect::Close);
                self.notice(now, format!("Reconnecting to MASTER {host}:{port} after failure"));
                if let Some(m) = self.repl.master.as_mut() {
                    m.state = LinkState::Connecting;
                    m.buffer.clear();
                }
                self.start_connect(host, port, now);
            } else if connected && silent(last_io) {
                self.warning(now, "MASTER timeout: no data nor PING received...".into());
                self.repl.net.push(NetEffect::Close);
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
            self.kill_connection(id, now);
        }
    }

    /// REPLICAOF NO ONE: keep the data, start a new history whose past is
    /// the old one (PSYNC2: replid2 and second_repl_offset).
    fn become_master(&mut self, now: Millis) {
        self.repl.net.push(NetEffect::Close);
        let link = self.repl.master.take();
        if let Some(m) = link {
            if m.state == LinkState::Connected {
                self.warning(now, "Connection with master lost.".into());
                self.notice(now, "Caching the disconnected master state.".into());
            }
            if m.state == LinkState::Connected || m.cached.is_some() {
                self.notice(now, "Discarding previously cached master state.".into());
            }
        }
        self.drop_master_client();
        self.repl.replid2 = std::mem::take(&mut self.repl.replid);
        self.repl.second_offset = self.repl.offset + 1;
        self.repl.replid = self.new_replid();
        self.repl.stream_db = None;
        let text = format!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.repl.replid2, self.repl.second_offset, self.repl.replid
        );
        self.warning(now, text);
        // Its replicas reconnect and continue with the old id (PSYNC2).
        self.disconnect_replicas(now);
    }

    fn new_replid(&mut self) -> String {
        self.rng_hex40()
    }

    fn drop_master_client(&mut self) {
        self.remove_master_client();
        self.repl.stream = RequestParser::default();
    }

    /// The connection to the master is open: the handshake starts.
    pub fn net_connected(&mut self, now: Millis) {
        if self.repl.master.is_some() {
            self.notice(now, "Non blocking connect for SYNC fired the event.".into());
        }
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::ReceivePong;
            m.buffer.clear();
            m.last_io = now;
            self.repl.net.push(NetEffect::Send(command_bytes(&["PING"])));
        }
    }

    /// Nothing listens there (or the host does not resolve): try again in a second.
    pub fn net_refused(&mut self, now: Millis) {
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::Connect;
            self.warning(now, "Error condition on socket for SYNC: Connection refused".into());
        }
    }

    /// The master closed the link (or died).
    pub fn net_closed(&mut self, now: Millis) {
        let history = (self.repl.replid.clone(), self.repl.offset);
        let was_connected = self.repl.master.as_ref().is_some_and(|m| m.state == LinkState::Connected);
        if was_connected {
            self.warning(now, "Connection with master lost.".into());
            self.notice(now, "Caching the disconnected master state.".into());
        }
        if let Some(m) = self.repl.master.as_mut() {
            if m.state == LinkState::Connected {
                m.down_since = Some(now);
                m.cached = Some(history);
            }
            m.state = LinkState::Connect;
            m.buffer.clear();
        }
        self.drop_master_client();
        // Redis 7 tries again at once rather than at the next cron, so
        // the backlog has less time to move on.
        if was_connected {
            if let Some(m) = self.repl.master.as_mut() {
                m.state = LinkState::Connecting;
                let (host, port) = (m.host.clone(), m.port);
                self.connect_to_master(host, port, now, "Reconnecting");
            }
        }
    }

    /// Bytes from the master.
    pub fn net_receive(&mut self, bytes: &[u8], now: Millis) {
        if self.asleep_until().is_some_and(|until| now < until) {
            // Not read until DEBUG SLEEP ends: it waits in the socket.
            if let Some(m) = self.repl.master.as_mut() {
                m.buffer.extend_from_slice(bytes);
                self.stats.net_repl_input_bytes += bytes.len() as u64;
            }
            return;
        }
        let Some(m) = self.repl.master.as_mut() else { return };
        m.last_io = now;
        m.buffer.extend_from_slice(bytes);
        self.stats.net_repl_input_bytes += bytes.len() as u64;
        loop {
            let Some(m) = self.repl.master.as_mut() else { return };
            let state = m.state.clone();
            match state {
                LinkState::ReceivePong | LinkState::ReceivePort | LinkState::ReceiveCapa | LinkState::ReceivePsync => {
                    let before = m.buffer.len();
                    let Some(line) = take_line(&mut m.buffer) else { return };
                    // Handshake replies are read apart from the replication
                    // traffic INFO counts (as the master counts them apart).
                    let consumed = (before - m.buffer.len()) as u64;
                    self.stats.net_repl_input_bytes = self.stats.net_repl_input_bytes.saturating_sub(consumed);
                    let text = String::from_utf8_lossy(&line).into_owned();
                    self.handshake_step(&state, &text, now);
                }
                LinkState::Transfer { mark: None, length: None } => {
                    let Some(line) = take_line(&mut m.buffer) else { return };
                    if line.is_empty() {
                        continue; // a newline keeping the link alive
                    }
                    if let Some(mark) = line.strip_prefix(b"$EOF:") {
                        m.state = LinkState::Transfer { mark: Some(mark.to_vec()), length: None };
                        m.mark_scanned = 0;
                        self.notice(now, "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk".into());
                    } else if let Some(len) = line.strip_prefix(b"$").and_then(|l| std::str::from_utf8(l).ok()?.parse::<usize>().ok()) {
                        m.state = LinkState::Transfer { mark: None, length: Some(len) };
                        self.notice(now, format!("MASTER <-> REPLICA sync: receiving {len} bytes from master to disk"));
                    } else {
                        self.repl.net.push(NetEffect::Close);
                        self.net_closed(now);
                        return;
                    }
                }
                LinkState::Transfer { mark, length } => {
                    let rdb_len = match (&mark, length) {
                        (Some(mark), _) => {
                            // Only what arrived since the last look can hold it.
                            let from = m.mark_scanned.saturating_sub(mark.len());
                            let found = m.buffer[from..].windows(mark.len()).position(|w| w == mark.as_slice());
                            m.mark_scanned = m.buffer.len();
                            let Some(at) = found else { return };
                            from + at
                        }
                        (None, Some(len)) if m.buffer.len() >= len => len,
                        _ => return,
                    };
                    let rdb_bytes: Vec<u8> = m.buffer.drain(..rdb_len).collect();
                    if let Some(mark) = &mark {
                        m.buffer.drain(..mark.len());
                    }
                    self.finish_full_sync(&rdb_bytes, now);
                }
                LinkState::Connected => {
                    let pending = std::mem::take(&mut m.buffer);
                    self.apply_stream(&pending, now);
                    return;
                }
                LinkState::Connect | LinkState::Connecting => return,
            }
        }
    }

    fn handshake_step(&mut self, state: &LinkState, line: &str, now: Millis) {
        let listening_port = self.port.to_string();
        let next = match state {
            LinkState::ReceivePong => {
                if line.starts_with('-') && !line.starts_with("-NOAUTH") && !line.starts_with("-NOPERM") && !line.starts_with("-ERR operation not permitted") {
                    // e.g. -NOMASTERLINK from a replica that is itself syncing.
                    self.warning(now, format!("Error reply to PING from master: '{line}'"));
                    self.repl.net.push(NetEffect::Close);
                    self.net_closed(now);
                    return;
                }
                self.notice(now, "Master replied to PING, replication can continue...".into());
                self.repl.net.push(NetEffect::Send(command_bytes(&["REPLCONF", "listening-port", &listening_port])));
                LinkState::ReceivePort
            }
            LinkState::ReceivePort => {
                self.repl.net.push(NetEffect::Send(command_bytes(&["REPLCONF", "capa", "eof", "capa", "psync2"])));
                LinkState::ReceiveCapa
            }
            LinkState::ReceiveCapa => {
                let request = match self.repl.master.as_ref().and_then(|m| m.cached.clone()) {
                    Some((replid, offset)) => {
                        self.notice(now, format!("Trying a partial resynchronization (request {replid}:{}).", offset + 1));
                        command_bytes(&["PSYNC", &replid, &(offset + 1).to_string()])
                    }
                    None => {
                        self.notice(now, "Partial resynchronization not possible (no cached master)".into());
                        command_bytes(&["PSYNC", "?", "-1"])
                    }
                };
                self.repl.net.push(NetEffect::Send(request));
                LinkState::ReceivePsync
            }
            LinkState::ReceivePsync if line.is_empty() => return, // keep-alive while the master delays
            LinkState::ReceivePsync => {
                let words: Vec<&str> = line.split(' ').collect();
                if words.first() == Some(&"+CONTINUE") {
                    self.continue_partial(words.get(1).copied(), now);
                    return;
                }
                if words.first() == Some(&"+FULLRESYNC") && words.len() == 3 {
                    self.notice(now, format!("Full resync from master: {}:{}", words[1], words[2]));
                    if let Some(m) = self.repl.master.as_mut() {
                        m.sync_replid = words[1].to_string();
                        m.sync_offset = words[2].parse().unwrap_or(0);
                    }
                    LinkState::Transfer { mark: None, length: None }
                } else {
                    // -NOMASTERLINK, -LOADING...: the master cannot sync now.
                    if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
                        self.notice(now, format!("Master is currently unable to PSYNC but should be in the future: {line}"));
                    } else {
                        self.warning(now, format!("Unexpected reply to PSYNC from master: {line}"));
                    }
                    self.repl.net.push(NetEffect::Close);
                    self.net_closed(now);
                    return;
                }
            }
            other => other.clone(),
        };
        if let Some(m) = self.repl.master.as_mut() {
            m.state = next;
        }
    }

    /// `+CONTINUE [replid]`: the master streams from where we were; a new
    /// id means its history moved on (it was promoted or restarted).
    fn continue_partial(&mut self, new_replid: Option<&str>, now: Millis) {
        self.notice(now, "Successful partial resynchronization with master.".into());
        if let Some(id) = new_replid {
            if id != self.repl.replid {
                self.repl.replid2 = std::mem::replace(&mut self.repl.replid, id.to_string());
                self.repl.second_offset = self.repl.offset + 1;
                self.warning(now, format!("Master replication ID changed to {id}"));
            }
        }
        self.notice(now, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.".into());
        if self.repl.backlog.is_none() {
            self.repl.backlog = Some(Backlog { bytes: VecDeque::new(), first_byte_offset: self.repl.offset + 1 });
        }
        let Some(m) = self.repl.master.as_mut() else { return };
        m.state = LinkState::Connected;
        m.ever_up = true;
        m.down_since = None;
        m.last_io = now;
        self.repl.stream = RequestParser::default();
        self.add_master_client(now);
        self.send_ack();
    }

    /// The RDB has arrived: the old data goes, the master's takes its place.
    fn finish_full_sync(&mut self, rdb_bytes: &[u8], now: Millis) {
        if self.repl.master.as_ref().is_some_and(|m| m.cached.is_some()) {
            self.notice(now, "Discarding previously cached master state.".into());
        }
        self.notice(now, "MASTER <-> REPLICA sync: Flushing old data".into());
        self.notice(now, "MASTER <-> REPLICA sync: Loading DB in memory".into());
        let databases = self.keyspace.dbs.len();
        let decoded = rdb::decode(rdb_bytes, &self.settings.limits).ok();
        if let Some(snapshot) = &decoded {
            self.log_rdb_header(now, 'S', snapshot);
        }
        let keys = decoded.as_ref().map_or(0, |s| s.key_count());
        let loaded = decoded.and_then(|snapshot| snapshot.into_keyspace(databases, i64::MIN).ok());
        let Some((keyspace, _, _)) = loaded else {
            self.warning(now, "Failed trying to load the MASTER synchronization DB from socket".into());
            self.repl.net.push(NetEffect::Close);
            self.net_closed(now);
            return;
        };
        self.notice(now, format!("Done loading RDB, keys loaded: {keys}, keys expired: 0."));
        self.notice(now, "MASTER <-> REPLICA sync: Finished with success".into());
        self.keyspace = keyspace;
        // A new dataset and history: chained replicas must sync again.
        self.disconnect_replicas(now);
        let Some(m) = self.repl.master.as_mut() else { return };
        m.state = LinkState::Connected;
        m.ever_up = true;
        m.down_since = None;
        self.repl.replid = m.sync_replid.clone();
        self.repl.replid2 = "0".repeat(40);
        self.repl.second_offset = -1;
        self.repl.offset = m.sync_offset;
        self.repl.backlog = Some(Backlog { bytes: VecDeque::new(), first_byte_offset: m.sync_offset + 1 });
        self.repl.stream = RequestParser::default();
        self.add_master_client(now);
        self.send_ack();
    }

    /// Runs the master's commands; every byte counts in the offset.
    fn apply_stream(&mut self, bytes: &[u8], now: Millis) {
        self.repl.stream.feed(bytes);
        loop {
            let args = match self.repl.stream.next_command() {
                Ok(Some(args)) => args,
                Ok(None) => return,
                Err(_) => {
                    self.repl.net.push(NetEffect::Close);
                    self.net_closed(now);
                    return;
                }
            };
            let consumed = command_bytes(&args);
            self.repl.offset += consumed.len() as i64;
            if let Some(backlog) = self.repl.backlog.as_mut() {
                backlog.bytes.extend(consumed.iter());
                trim(backlog, self.settings.repl_backlog_size);
            }
            // Chained replicas get the master's stream byte for byte.
            let online: Vec<ClientId> =
                self.repl.replicas.iter().filter(|(_, r)| r.state == ReplicaState::Online).map(|(id, _)| *id).collect();
            for id in online {
                self.push_output(id, consumed.clone());
            }
            if args.is_empty() {
                continue;
            }
            if args[0].eq_ignore_ascii_case(b"replconf") {
                // The answer to GETACK counts the stream up to, not
                // including, the GETACK itself.
                if args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"getack")) {
                    self.send_ack_at(self.repl.offset - consumed.len() as i64);
                }
                continue;
            }
            let _ = self.execute_from_master(&args, now);
        }
    }

    fn send_ack(&mut self) {
        self.send_ack_at(self.repl.offset);
    }

    fn send_ack_at(&mut self, offset: i64) {
        let offset = offset.to_string();
        self.repl.net.push(NetEffect::Send(command_bytes(&["REPLCONF", "ACK", &offset])));
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

    /// REPLCONF from a replica (or a client).
    pub(crate) fn replconf_command(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Option<Frame> {
        if args.len() % 2 == 0 {
            return Some(commands::syntax_error());
        }
        for pair in args[1..].chunks(2) {
            let (option, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
            match option.as_slice() {
                b"listening-port" => match commands::parse_i64(value) {
                    Some(p) if (0..=65535).contains(&p) => {
                        self.pending_ports.insert(id, p as u16);
                    }
                    _ => return Some(err("value is not an integer or out of range")),
                },
                b"ack" => {
                    if let (Some(entry), Some(offset)) = (self.repl.replicas.get_mut(&id), commands::parse_i64(value)) {
                        entry.ack_offset = entry.ack_offset.max(offset);
                        entry.ack_time = now;
                    }
                    self.serve_waiting(now);
                    return None;
                }
                b"getack" => return None,
                b"capa" | b"ip-address" | b"rdb-only" | b"rdb-filter-only" => {}
                _ => {
                    return Some(err(&format!("Unrecognized REPLCONF option: {}", String::from_utf8_lossy(&pair[0]))))
                }
            }
        }
        Some(Frame::ok())
    }

    /// PSYNC replid offset: a continuation when the history is ours and
    /// the backlog still holds it, else a full resynchronization shared with
    /// the other replicas that arrive within `repl-diskless-sync-delay`.
    /// SYNC (`pre_psync`) is the old form: always a full sync.
    pub(crate) fn psync_command(&mut self, id: ClientId, args: &[Vec<u8>], pre_psync: bool, now: Millis) -> Option<Frame> {
        if let Some(m) = &self.repl.master {
            if m.state != LinkState::Connected {
                return Some(Frame::error("NOMASTERLINK Can't SYNC while not connected with my master"));
            }
        }
        let asked_id = args.get(1).map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
        let asked_offset = args.get(2).and_then(|a| commands::parse_i64(a)).unwrap_or(-1);
        // A connection that is already a replica (redis-cli sends SYNC twice) is ignored.
        if self.repl.replicas.contains_key(&id) {
            return None;
        }
        let listening_port = self.pending_ports.get(&id).copied().unwrap_or(0);
        let replica = ReplicaEntry { listening_port, state: ReplicaState::WaitBgsave, ack_offset: 0, ack_time: now, pre_psync }.name();
        self.notice(now, format!("Replica {replica} asks for synchronization"));
        // SYNC asks for nothing but a full copy; PSYNC may continue.
        if !pre_psync && asked_id == "?" {
            self.notice(now, format!("Full resync requested by replica {replica}"));
        } else if !pre_psync {
            self.explain_refused_psync(&replica, &asked_id, asked_offset, now);
            if let Some(backlog_bytes) = self.backlog_from(&asked_id, asked_offset) {
                let text = format!(
                    "Partial resynchronization request from {replica} accepted. Sending {} bytes of backlog starting from offset {asked_offset}.",
                    backlog_bytes.len()
                );
                self.notice(now, text);
                self.repl.replicas.insert(
                    id,
                    ReplicaEntry { listening_port, state: ReplicaState::Online, ack_offset: 0, ack_time: now, pre_psync },
                );
                self.stats.sync_partial_ok += 1;
                self.push_output(id, backlog_bytes);
                return Some(Frame::Simple(format!("CONTINUE {}", self.repl.replid)));
            }
            self.stats.sync_partial_err += 1;
        }
        if self.repl.backlog.is_none() {
            // The first replica: a backlog, and a new history.
            self.repl.replid = self.new_replid();
            self.repl.replid2 = "0".repeat(40);
            self.repl.second_offset = -1;
            self.repl.backlog = Some(Backlog { bytes: VecDeque::new(), first_byte_offset: self.repl.offset + 1 });
            let text = format!(
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                self.repl.replid, self.repl.replid2
            );
            self.notice(now, text);
        }
        self.repl.replicas.insert(
            id,
            ReplicaEntry { listening_port, state: ReplicaState::WaitBgsave, ack_offset: 0, ack_time: now, pre_psync },
        );
        self.stats.sync_full += 1;
        // Without the EOF capability the snapshot goes through the disk, at once.
        let delay = if self.settings.repl_diskless_sync && !pre_psync { self.settings.repl_diskless_sync_delay * 1000 } else { 0 };
        if delay > 0 {
            self.notice(now, "Delay next BGSAVE for diskless SYNC".into());
        }
        if self.repl.sync_at.is_none() {
            self.repl.sync_at = Some(now + delay);
            if delay == 0 {
                self.repl.sync_at = None;
                self.start_full_sync(now);
            }
        }
        None
    }

    /// Why a PSYNC cannot continue, in the log (as the master sees it).
    fn explain_refused_psync(&mut self, replica: &str, asked_id: &str, asked_offset: i64, now: Millis) {
        let r = &self.repl;
        let text = if asked_id != r.replid && (asked_id != r.replid2 || asked_offset > r.second_offset) {
            if asked_id == r.replid2 {
                format!(
                    "Partial resynchronization not accepted: Requested offset for second ID was {asked_offset}, but I can reply up to {}",
                    r.second_offset
                )
            } else {
                format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{asked_id}', my replication IDs are '{}' and '{}')",
                    r.replid, r.replid2
                )
            }
        } else {
            let in_backlog = r.backlog.as_ref().is_some_and(|b| {
                asked_offset >= b.first_byte_offset && asked_offset <= b.first_byte_offset + b.bytes.len() as i64
            });
            if in_backlog {
                return;
            }
            if asked_offset > r.offset {
                let warning = format!("Warning: replica {replica} tried to PSYNC with an offset that is greater than the master replication offset.");
                self.warning(now, warning);
            }
            format!("Unable to partial resync with replica {replica} for lack of backlog (Replica request was: {asked_offset}).")
        };
        self.notice(now, text);
    }

    /// The stream after `offset` (PSYNC's next byte) if it is our history
    /// (or our previous one, up to where it ended) and still in the backlog.
    fn backlog_from(&self, replid: &str, offset: i64) -> Option<Vec<u8>> {
        let r = &self.repl;
        let ours = replid == r.replid || (replid == r.replid2 && offset <= r.second_offset);
        let backlog = r.backlog.as_ref()?;
        let end = backlog.first_byte_offset + backlog.bytes.len() as i64;
        if !ours || offset < backlog.first_byte_offset || offset > end {
            return None;
        }
        Some(backlog.bytes.iter().skip((offset - backlog.first_byte_offset) as usize).copied().collect())
    }

    /// After a restart: the history a dump recorded (`repl-id`,
    /// `repl-offset`). A replica continues it with its master; a master
    /// keeps it as its previous history, so its replicas can continue.
    pub(crate) fn adopt_saved_history(&mut self, replid: String, offset: i64) {
        if let Some(m) = self.repl.master.as_mut() {
            m.cached = Some((replid.clone(), offset));
            self.repl.replid = replid;
            self.repl.offset = offset;
            return;
        }
        self.repl.replid2 = replid;
        self.repl.second_offset = offset + 1;
        self.repl.replid = self.new_replid();
        self.repl.offset = offset;
        self.repl.backlog = Some(Backlog { bytes: VecDeque::new(), first_byte_offset: offset + 1 });
    }

    /// CLIENT KILL TYPE master on a replica: the link drops (and comes back).
    pub(crate) fn kill_master_link(&mut self, now: Millis) -> bool {
        let connected = self.repl.master.as_ref().is_some_and(|m| m.state == LinkState::Connected);
        if connected {
            self.repl.net.push(NetEffect::Close);
            self.net_closed(now);
        }
        connected
    }

    /// The transfer itself: `+FULLRESYNC`, the RDB in diskless form, then
    /// what was written meanwhile.
    fn start_full_sync(&mut self, now: Millis) {
        let waiting: Vec<ClientId> =
            self.repl.replicas.iter().filter(|(_, r)| r.state == ReplicaState::WaitBgsave).map(|(id, _)| *id).collect();
        if waiting.is_empty() {
            return;
        }
        // One replica that cannot read an EOF-marked stream (SYNC) sends
        // everyone's snapshot through the disk, as Redis's `mincapa` does.
        let diskless = self.settings.repl_diskless_sync && waiting.iter().all(|id| self.repl.replicas.get(id).is_some_and(|r| !r.pre_psync));
        self.stats.forks += 1;
        let child_pid = self.child_pid();
        // Diskless: the RDB streams to the sockets, its end marked by a
        // random 40-byte string. On disk: a BGSAVE writes dump.rdb, then
        // each replica gets the file with its length.
        let (dump, mark) = if diskless {
            let options = SaveOptions {
                replication: Some((self.repl.stream_db.unwrap_or(0) as i64, self.repl.replid.clone(), self.repl.offset)),
                ..self.save_options(now)
            };
            let dump = rdb::encode(&self.keyspace, &options);
            self.notice(now, "Starting BGSAVE for SYNC with target: replicas sockets".into());
            self.notice(now, format!("Background RDB transfer started by pid {child_pid}"));
            self.log_as(now, 'C', '*', FORK_COW.into());
            (dump, Some(self.rng_hex40().into_bytes()))
        } else {
            self.notice(now, "Starting BGSAVE for SYNC with target: disk".into());
            self.notice(now, format!("Background saving started by pid {child_pid}"));
            // The forked child saves, and logs it as the child.
            self.write_dump(now);
            self.log_as(now, 'C', '*', "DB saved on disk".into());
            self.log_as(now, 'C', '*', FORK_COW.into());
            self.notice(now, "Background saving terminated with success".into());
            let path = self.dump_path();
            (self.disk.read(&path).map(<[u8]>::to_vec).unwrap_or_default(), None)
        };
        // A new sync means the next write selects its db again.
        self.repl.stream_db = None;
        let mut done_now = Vec::new();
        for id in waiting {
            // Redis writes this line straight to the socket, outside the
            // replication traffic INFO counts (a SYNC gets none).
            let pre_psync = self.repl.replicas.get(&id).is_some_and(|r| r.pre_psync);
            let header =
                if pre_psync { Vec::new() } else { format!("+FULLRESYNC {} {}\r\n", self.repl.replid, self.repl.offset).into_bytes() };
            let mut bytes = Vec::new();
            match &mark {
                Some(mark) => {
                    bytes.extend_from_slice(b"$EOF:");
                    bytes.extend_from_slice(mark);
                    bytes.extend_from_slice(b"\r\n");
                    bytes.extend_from_slice(&dump);
                    bytes.extend_from_slice(mark);
                }
                None => {
                    bytes.extend_from_slice(format!("${}\r\n", dump.len()).as_bytes());
                    bytes.extend_from_slice(&dump);
                }
            }
            let until = now + transfer_ms(header.len() + bytes.len());
            if let Some(entry) = self.repl.replicas.get_mut(&id) {
                entry.state = ReplicaState::Transfer { until, diskless };
            }
            // The bytes go now; the network delivers them over time.
            if !header.is_empty() {
                self.push_output_uncounted(id, header);
            }
            self.push_output(id, bytes);
            done_now.push(id);
        }
        if diskless && transfer_ms(dump.len()) > 0 {
            // The child is still writing: its end is logged when it is done.
            return;
        }
        if diskless {
            self.log_diskless_end(now, done_now.len());
        }
        for id in done_now {
            self.transfer_done(id, now);
        }
    }

    fn log_diskless_end(&mut self, now: Millis, replicas: usize) {
        self.warning(now, format!("Diskless rdb transfer, done reading from pipe, {replicas} replicas still up."));
        self.notice(now, "Background RDB transfer terminated with success".into());
    }

    /// A replica has read its whole snapshot: it is online.
    fn transfer_done(&mut self, id: ClientId, now: Millis) {
        let Some(entry) = self.repl.replicas.get_mut(&id) else { return };
        let ReplicaState::Transfer { diskless, .. } = entry.state else { return };
        entry.state = ReplicaState::Online;
        // The transfer was its sign of life: no false timeout.
        entry.ack_time = now;
        let replica = entry.name();
        if diskless {
            self.notice(now, format!("Streamed RDB transfer with replica {replica} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming"));
        }
        self.notice(now, format!("Synchronization with replica {replica} succeeded"));
    }

    /// Ends the transfers whose time has come (Redis notices its child's
    /// end at a cron tick).
    fn transfers_cron(&mut self, now: Millis) {
        let due: Vec<(ClientId, bool)> = self
            .repl
            .replicas
            .iter()
            .filter_map(|(id, r)| match r.state {
                ReplicaState::Transfer { until, diskless } if until <= now => Some((*id, diskless)),
                _ => None,
            })
            .collect();
        let diskless = due.iter().filter(|(_, d)| *d).count();
        if diskless > 0 {
            self.log_diskless_end(now, diskless);
        }
        for (id, _) in due {
            self.transfer_done(id, now);
        }
    }

    /// A write to send to replicas; inside EXEC it waits for the end.
    pub(crate) fn propagate(&mut self, db: usize, command: Vec<Vec<u8>>) {
        match self.repl.exec_buffer.as_mut() {
            Some(buffer) => buffer.push((db, command)),
            None => self.feed(Some(db), &command),
        }
    }

    pub(crate) fn begin_exec_propagation(&mut self) {
        self.repl.exec_buffer = Some(Vec::new());
    }

    /// A transaction's writes go out wrapped in MULTI/EXEC when there are
    /// several, bare when there is one, as Redis 7.0 propagates them.
    pub(crate) fn end_exec_propagation(&mut self) {
        let buffered = self.repl.exec_buffer.take().unwrap_or_default();
        if buffered.len() == 1 {
            if let Some((db, command)) = buffered.into_iter().next() {
                self.feed(Some(db), &command);
            }
            return;
        }
        let Some(first_db) = buffered.first().map(|(db, _)| *db) else { return };
        self.feed(Some(first_db), &[b"MULTI".to_vec()]);
        for (db, command) in buffered {
            self.feed(Some(db), &command);
        }
        self.feed(None, &[b"EXEC".to_vec()]);
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

    fn disconnect_replicas(&mut self, now: Millis) {
        let ids: Vec<ClientId> = self.repl.replicas.keys().copied().collect();
        for id in ids {
            self.kill_connection(id, now);
        }
    }

    /// A replica's connection closed.
    /// A replica's connection is gone, whoever closed it; Redis logs
    /// each one when it frees the client.
    pub(crate) fn forget_replica(&mut self, id: ClientId, now: Millis) {
        if let Some(replica) = self.repl.replicas.remove(&id) {
            self.warning(now, format!("Connection with replica {} lost.", replica.name()));
        }
        self.pending_ports.remove(&id);
    }

    /// Replicas whose last ACK is at most `min-replicas-max-lag` seconds old.
    pub(crate) fn good_replicas(&self, now: Millis) -> i64 {
        let max_lag = self.settings.min_replicas_max_lag;
        self.repl
            .replicas
            .values()
            .filter(|r| r.state == ReplicaState::Online && now.div_euclid(1000) - r.ack_time.div_euclid(1000) <= max_lag)
            .count() as i64
    }

    /// Replicas that acknowledged at least `offset`.
    pub(crate) fn acks_at_least(&self, offset: i64) -> i64 {
        self.repl.replicas.values().filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset).count() as i64
    }

    /// WAIT asks the replicas where they are: REPLCONF GETACK in the stream.
    pub(crate) fn request_acks(&mut self) {
        if !std::mem::take(&mut self.repl.acks_wanted) {
            return;
        }
        let db = self.repl.stream_db;
        self.feed(db, &[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]);
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
                lines.push(format!("slave_read_repl_offset:{}", r.offset));
                lines.push(format!("slave_repl_offset:{}", r.offset));
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
        lines.push("master_failover_state:no-failover".into());
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
fn trim(backlog: &mut Backlog, size: i64) {
    const BLOCK: usize = 16 * 1024;
    let size = size.max(0) as usize;
    while backlog.bytes.len() > size + BLOCK {
        backlog.bytes.drain(..BLOCK);
        backlog.first_byte_offset += BLOCK as i64;
    }
}
