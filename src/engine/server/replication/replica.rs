//! A replica's side of replication: following a master (REPLICAOF, or
//! `replicaof` in the config file), the handshake, the snapshot, the
//! stream and its acknowledgements, and promotion (REPLICAOF NO ONE).
//! (`impl Server`: the type comes from the folder above.)

use std::collections::VecDeque;

use super::{command_bytes, take_line, trim, Backlog, LinkState, MasterLink, ReplicaState};
use crate::engine::node::{ClientId, Conn, DialId, Output, Purpose};
use crate::engine::rdb;
use crate::engine::resp::RequestParser;
use crate::engine::server::Server;
use crate::engine::time::Millis;

impl Server {
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
            self.close_master_link();
        }
        // A master turning replica offers its own history (PSYNC2), as a
        // replica re-pointed does with its master's; its own replicas must
        // follow the new history and reconnect.
        // Its own replicas stay: Redis drops them only once its history
        // changes (a new replication id, a full sync).
        let cached = Some((self.repl.replid.clone(), self.repl.offset));
        self.drop_master_client();
        self.repl.master = Some(MasterLink {
            host: host.clone(),
            port,
            state: LinkState::Connecting,
            buffer: Vec::new(),
            dial: None,
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
    pub(crate) fn connect_to_master(&mut self, host: String, port: u16, now: Millis, verb: &str) {
        self.notice(now, format!("{verb} to MASTER {host}:{port}"));
        self.start_connect(host, port, now);
    }

    pub(crate) fn start_connect(&mut self, host: String, port: u16, now: Millis) {
        self.notice(now, "MASTER <-> REPLICA sync started".into());
        if let Some(m) = self.repl.master.as_mut() {
            m.last_io = now;
        }
        self.dial_master(host, port);
    }

    /// REPLICAOF NO ONE: keep the data, start a new history whose past is
    /// the old one (PSYNC2: replid2 and second_repl_offset).
    pub(crate) fn become_master(&mut self, now: Millis) {
        self.close_master_link();
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

    pub(crate) fn new_replid(&mut self) -> String {
        self.rng_hex40()
    }

    pub(crate) fn drop_master_client(&mut self) {
        self.remove_master_client();
        self.repl.stream = RequestParser::default();
    }

    /// The connection to the master is open: the handshake starts.
    pub(crate) fn net_connected(&mut self, now: Millis) {
        if self.repl.master.is_some() {
            self.notice(now, "Non blocking connect for SYNC fired the event.".into());
        }
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::ReceivePong;
            m.buffer.clear();
            m.last_io = now;
            self.send_master(command_bytes(&["PING"]));
        }
    }

    /// Nothing listens there (or the host does not resolve): try again in a second.
    pub(crate) fn net_refused(&mut self, now: Millis) {
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::Connect;
            m.dial = None;
            self.warning(now, "Error condition on socket for SYNC: Connection refused".into());
        }
    }

    /// The master closed the link (or died).
    pub(crate) fn net_closed(&mut self, now: Millis) {
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
            m.dial = None;
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

    /// Bytes from the master: the handshake's replies, the snapshot, then
    /// the stream, whose commands wait in `repl.stream` for
    /// `next_stream_command`.
    pub(crate) fn read_master_link(&mut self, bytes: &[u8], now: Millis) {
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
                LinkState::ReceivePong | LinkState::ReceiveAuth | LinkState::ReceivePort | LinkState::ReceiveCapa | LinkState::ReceivePsync => {
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
                        // An error instead of the payload (the reply to SYNC):
                        // Redis dials again at once, not at the next cron.
                        if let Some(error) = line.strip_prefix(b"-") {
                            self.warning(now, format!("MASTER aborted replication with an error: {}", String::from_utf8_lossy(error)));
                            self.reconnect_after_failure(now, false);
                            return;
                        }
                        self.close_master_link();
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
                    self.repl.stream.feed(&pending);
                    return;
                }
                LinkState::Connect | LinkState::Connecting => return,
            }
        }
    }

    pub(crate) fn handshake_step(&mut self, state: &LinkState, line: &str, now: Millis) {
        let listening_port = self.port.to_string();
        let next = match state {
            LinkState::ReceivePong => {
                if line.starts_with('-') && !line.starts_with("-NOAUTH") && !line.starts_with("-NOPERM") && !line.starts_with("-ERR operation not permitted") {
                    // e.g. -NOMASTERLINK from a replica that is itself syncing.
                    self.warning(now, format!("Error reply to PING from master: '{line}'"));
                    self.close_master_link();
                    self.net_closed(now);
                    return;
                }
                self.notice(now, "Master replied to PING, replication can continue...".into());
                let masterauth = self.settings.value_of("masterauth").unwrap_or_default();
                if masterauth.is_empty() {
                    self.send_master(command_bytes(&["REPLCONF", "listening-port", &listening_port]));
                    LinkState::ReceivePort
                } else {
                    let masteruser = self.settings.value_of("masteruser").unwrap_or_default();
                    let mut auth = vec!["AUTH"];
                    if !masteruser.is_empty() {
                        auth.push(&masteruser);
                    }
                    auth.push(&masterauth);
                    self.send_master(command_bytes(&auth));
                    LinkState::ReceiveAuth
                }
            }
            LinkState::ReceiveAuth => {
                if line.starts_with('-') {
                    self.warning(now, format!("Unable to AUTH to MASTER: {line}"));
                    self.close_master_link();
                    self.net_closed(now);
                    return;
                }
                self.send_master(command_bytes(&["REPLCONF", "listening-port", &listening_port]));
                LinkState::ReceivePort
            }
            LinkState::ReceivePort => {
                // Old masters do not know REPLCONF: Redis goes on regardless.
                if line.starts_with('-') {
                    self.notice(now, format!("(Non critical) Master does not understand REPLCONF listening-port: {line}"));
                }
                self.send_master(command_bytes(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
                LinkState::ReceiveCapa
            }
            LinkState::ReceiveCapa => {
                if line.starts_with('-') {
                    self.notice(now, format!("(Non critical) Master does not understand REPLCONF capa: {line}"));
                }
                let request = match self.repl.master.as_ref().and_then(|m| m.cached.clone()) {
                    Some((replid, offset)) => {
                        self.notice(now, format!("Trying a partial resynchronization (request {replid}:{}).", offset + 1));
                        let offset = (offset + 1).to_string();
                        // A master handing over (FAILOVER) asks its target to take the role.
                        if self.failover_in_progress() {
                            command_bytes(&["PSYNC", &replid, &offset, "FAILOVER"])
                        } else {
                            command_bytes(&["PSYNC", &replid, &offset])
                        }
                    }
                    None => {
                        self.notice(now, "Partial resynchronization not possible (no cached master)".into());
                        command_bytes(&["PSYNC", "?", "-1"])
                    }
                };
                self.send_master(request);
                LinkState::ReceivePsync
            }
            LinkState::ReceivePsync if line.is_empty() => return, // keep-alive while the master delays
            LinkState::ReceivePsync => {
                let words: Vec<&str> = line.split(' ').collect();
                if words.first() == Some(&"+CONTINUE") {
                    self.continue_partial(words.get(1).copied(), now);
                    if self.failover_in_progress() {
                        self.clear_failover(now);
                    }
                    return;
                }
                if words.first() == Some(&"+FULLRESYNC") && words.len() == 3 {
                    self.notice(now, format!("Full resync from master: {}:{}", words[1], words[2]));
                    if self.failover_in_progress() {
                        self.clear_failover(now);
                    }
                    if let Some(m) = self.repl.master.as_mut() {
                        m.sync_replid = words[1].to_string();
                        m.sync_offset = words[2].parse().unwrap_or(0);
                    }
                    LinkState::Transfer { mark: None, length: None }
                } else {
                    // -NOMASTERLINK, -LOADING...: the master cannot sync now.
                    let later = line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING");
                    if later {
                        self.notice(now, format!("Master is currently unable to PSYNC but should be in the future: {line}"));
                    } else if line.starts_with("-ERR") {
                        self.notice(now, format!("Master does not support PSYNC or is in error state (reply: {line})"));
                    } else {
                        self.warning(now, format!("Unexpected reply to PSYNC from master: {line}"));
                    }
                    if self.failover_in_progress() {
                        self.abort_failover("Failover target rejected psync request", now);
                        return;
                    }
                    // A master that refuses PSYNC for good is asked with SYNC,
                    // whose reply is the payload or an error.
                    if !later {
                        self.notice(now, "Retrying with SYNC...".into());
                        self.send_master(b"SYNC\r\n".to_vec());
                        if let Some(m) = self.repl.master.as_mut() {
                            m.state = LinkState::Transfer { mark: None, length: None };
                        }
                        return;
                    }
                    self.close_master_link();
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
    pub(crate) fn continue_partial(&mut self, new_replid: Option<&str>, now: Millis) {
        self.notice(now, "Successful partial resynchronization with master.".into());
        if let Some(id) = new_replid {
            if id != self.repl.replid {
                self.repl.replid2 = std::mem::replace(&mut self.repl.replid, id.to_string());
                self.repl.second_offset = self.repl.offset + 1;
                self.warning(now, format!("Master replication ID changed to {id}"));
                // Its replicas must learn of the new history.
                self.disconnect_replicas(now);
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
    pub(crate) fn finish_full_sync(&mut self, rdb_bytes: &[u8], now: Millis) {
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
        let libraries_ok = decoded.as_ref().is_some_and(|s| self.restore_libraries(&s.libraries).is_ok());
        let loaded = decoded.filter(|_| libraries_ok).and_then(|snapshot| snapshot.into_keyspace(databases, i64::MIN).ok());
        let Some((keyspace, _, _)) = loaded else {
            self.warning(now, "Failed trying to load the MASTER synchronization DB from socket".into());
            self.close_master_link();
            self.net_closed(now);
            return;
        };
        self.notice(now, format!("Done loading RDB, keys loaded: {keys}, keys expired: 0."));
        self.notice(now, "MASTER <-> REPLICA sync: Finished with success".into());
        self.keyspace = keyspace;
        // The AOF described the old data: Redis turns it off and on again,
        // which rewrites it from the new.
        self.aof_restart_after_sync(now);
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

    /// The next command of the master's stream to run, once its bytes are
    /// counted in the offset, kept in the backlog and passed on to chained
    /// replicas byte for byte; `None` when no whole command is left.
    pub(crate) fn next_stream_command(&mut self, now: Millis) -> Option<Vec<Vec<u8>>> {
        loop {
            let args = match self.repl.stream.next_command() {
                Ok(Some(args)) => args,
                Ok(None) => return None,
                Err(_) => {
                    self.close_master_link();
                    self.net_closed(now);
                    return None;
                }
            };
            let consumed = command_bytes(&args);
            self.repl.offset += consumed.len() as i64;
            if let Some(backlog) = self.repl.backlog.as_mut() {
                backlog.bytes.extend(consumed.iter());
                trim(backlog, self.settings.repl_backlog_size);
            }
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
            return Some(args);
        }
    }

    pub(crate) fn send_ack(&mut self) {
        self.send_ack_at(self.repl.offset);
    }

    pub(crate) fn send_ack_at(&mut self, offset: i64) {
        let offset = offset.to_string();
        self.send_master(command_bytes(&["REPLCONF", "ACK", &offset]));
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
            self.close_master_link();
            self.net_closed(now);
        }
        connected
    }

    /// Opens a new connection to the master (the old one, if any, closes).
    fn dial_master(&mut self, host: String, port: u16) {
        self.close_master_link();
        self.repl.last_dial += 1;
        let dial = self.repl.last_dial;
        if let Some(m) = self.repl.master.as_mut() {
            m.dial = Some(dial);
        }
        self.outputs.push_back(Output::Dial { dial, host, port, purpose: Purpose::Replication });
    }

    /// Bytes for the master, on the connection to it.
    fn send_master(&mut self, bytes: Vec<u8>) {
        if let Some(dial) = self.repl.master.as_ref().and_then(|m| m.dial) {
            self.outputs.push_back(Output::Send { conn: Conn::Dial(dial), bytes });
        }
    }

    /// Closes the connection to the master, if there is one.
    pub(crate) fn close_master_link(&mut self) {
        if let Some(dial) = self.repl.master.as_mut().and_then(|m| m.dial.take()) {
            self.outputs.push_back(Output::Close { conn: Conn::Dial(dial) });
        }
    }

    /// Whether `dial` is the connection to the master now (an old one's
    /// news no longer matters).
    pub(crate) fn is_master_dial(&self, dial: DialId) -> bool {
        self.repl.master.as_ref().is_some_and(|m| m.dial == Some(dial))
    }
}
