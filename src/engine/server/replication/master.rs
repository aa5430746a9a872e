//! A master's side of replication: serving PSYNC and SYNC (a continuation
//! from the backlog or a full sync, diskless or through the disk),
//! replicas' acknowledgements, and the state of each replica.
//! (`impl Server`: the type comes from the folder above.)

use std::collections::VecDeque;

use crate::engine::psync::{Asked, History, PsyncDecision, Reason, Verdict};
use super::{transfer_ms, Backlog, LinkState, ReplicaEntry, ReplicaState, FORK_COW};
use crate::engine::node::Output;
use crate::engine::numfmt::parse_i64;
use crate::engine::node::ClientId;
use crate::engine::rdb::{self, SaveOptions};
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

impl Server {
    /// REPLCONF listening-port: the port a replica-to-be listens on, which
    /// names it once it asks to sync.
    pub(crate) fn note_listening_port(&mut self, id: ClientId, port: u16) {
        self.pending_ports.insert(id, port);
    }

    /// REPLCONF ACK: how far a replica has the stream; a WAIT may be served.
    pub(crate) fn record_ack(&mut self, id: ClientId, offset: Option<i64>, now: Millis) {
        if let (Some(entry), Some(offset)) = (self.repl.replicas.get_mut(&id), offset) {
            entry.ack_offset = entry.ack_offset.max(offset);
            entry.ack_time = now;
        }
        self.serve_waiting(now);
    }

    /// PSYNC replid offset: a continuation when the history is ours and
    /// the backlog still holds it, else a full resynchronization shared with
    /// the other replicas that arrive within `repl-diskless-sync-delay`.
    /// SYNC (`pre_psync`) is the old form: always a full sync. `asked` is
    /// PSYNC's two arguments.
    pub(crate) fn serve_sync(&mut self, id: ClientId, asked: &[Vec<u8>], pre_psync: bool, now: Millis) -> Option<Frame> {
        if self.repl.failover.is_some() {
            return Some(Frame::error("NOMASTERLINK Can't SYNC while failing over"));
        }
        if let Some(m) = &self.repl.master {
            if m.state != LinkState::Connected {
                return Some(Frame::error("NOMASTERLINK Can't SYNC while not connected with my master"));
            }
        }
        let asked_id = asked.first().map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
        let asked_offset = asked.get(1).and_then(|a| parse_i64(a)).unwrap_or(-1);
        // A connection that is already a replica (redis-cli sends SYNC twice) is ignored.
        if self.repl.replicas.contains_key(&id) {
            return None;
        }
        let listening_port = self.pending_ports.get(&id).copied().unwrap_or(0);
        let replica = ReplicaEntry { listening_port, state: ReplicaState::WaitBgsave, ack_offset: 0, ack_time: now, pre_psync }.name();
        self.notice(now, format!("Replica {replica} asks for synchronization"));
        let asked = if pre_psync { Asked::Sync } else { Asked::Psync { replid: asked_id.clone(), offset: asked_offset } };
        let decision = PsyncDecision::judge(listening_port, asked, &self.psync_history());
        self.log_psync(&replica, &decision, now);
        let continued = decision.verdict == Verdict::Continue;
        self.outputs.push_back(Output::Psync(decision));
        if continued {
            let backlog_bytes = self.backlog_from(&asked_id, asked_offset).unwrap_or_default();
            self.repl.replicas.insert(id, ReplicaEntry { listening_port, state: ReplicaState::Online, ack_offset: 0, ack_time: now, pre_psync });
            self.stats.sync_partial_ok += 1;
            self.push_output(id, backlog_bytes);
            return Some(Frame::Simple(format!("CONTINUE {}", self.repl.replid)));
        }
        if !pre_psync && asked_id != "?" {
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

    /// What the master knows of its history, for judging a PSYNC.
    fn psync_history(&self) -> History<'_> {
        let r = &self.repl;
        History {
            replid: &r.replid,
            replid2: &r.replid2,
            second_offset: r.second_offset,
            master_offset: r.offset,
            backlog: r.backlog.as_ref().map(|b| (b.first_byte_offset, b.bytes.len() as i64)),
        }
    }

    /// The decision in the log, in Redis 7.0's words.
    fn log_psync(&mut self, replica: &str, decision: &PsyncDecision, now: Millis) {
        let offset = match &decision.asked {
            Asked::Psync { offset, .. } => *offset,
            Asked::Sync => return,
        };
        let text = match decision.reason {
            Reason::SyncCommand => return,
            Reason::FirstSync => format!("Full resync requested by replica {replica}"),
            Reason::PastSecondIdEnd => format!(
                "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {}",
                decision.second_offset
            ),
            Reason::IdUnknown => {
                let asked = match &decision.asked {
                    Asked::Psync { replid, .. } => replid.as_str(),
                    Asked::Sync => "",
                };
                format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{asked}', my replication IDs are '{}' and '{}')",
                    decision.replid, decision.replid2
                )
            }
            Reason::NoBacklog | Reason::BeforeBacklog | Reason::AheadOfMaster => {
                if decision.reason == Reason::AheadOfMaster {
                    let warning = format!("Warning: replica {replica} tried to PSYNC with an offset that is greater than the master replication offset.");
                    self.warning(now, warning);
                }
                format!("Unable to partial resync with replica {replica} for lack of backlog (Replica request was: {offset}).")
            }
            Reason::SameId | Reason::ThroughPreviousId => {
                let bytes = self.backlog_from(match &decision.asked {
                    Asked::Psync { replid, .. } => replid,
                    Asked::Sync => "",
                }, offset).map_or(0, |b| b.len());
                format!("Partial resynchronization request from {replica} accepted. Sending {bytes} bytes of backlog starting from offset {offset}.")
            }
        };
        self.notice(now, text);
    }

    /// The stream after `offset` (PSYNC's next byte) if it is our history
    /// (or our previous one, up to where it ended) and still in the backlog.
    pub(crate) fn backlog_from(&self, replid: &str, offset: i64) -> Option<Vec<u8>> {
        let r = &self.repl;
        let ours = replid == r.replid || (replid == r.replid2 && offset <= r.second_offset);
        let backlog = r.backlog.as_ref()?;
        let end = backlog.first_byte_offset + backlog.bytes.len() as i64;
        if !ours || offset < backlog.first_byte_offset || offset > end {
            return None;
        }
        Some(backlog.bytes.iter().skip((offset - backlog.first_byte_offset) as usize).copied().collect())
    }

    /// The transfer itself: `+FULLRESYNC`, the RDB in diskless form, then
    /// what was written meanwhile.
    pub(crate) fn start_full_sync(&mut self, now: Millis) {
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
            let dump = self.write_dump(now);
            self.log_as(now, 'C', '*', "DB saved on disk".into());
            self.log_as(now, 'C', '*', FORK_COW.into());
            self.notice(now, "Background saving terminated with success".into());
            (dump, None)
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

    pub(crate) fn log_diskless_end(&mut self, now: Millis, replicas: usize) {
        self.warning(now, format!("Diskless rdb transfer, done reading from pipe, {replicas} replicas still up."));
        self.notice(now, "Background RDB transfer terminated with success".into());
    }

    /// A replica has read its whole snapshot: it is online.
    pub(crate) fn transfer_done(&mut self, id: ClientId, now: Millis) {
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
    pub(crate) fn transfers_cron(&mut self, now: Millis) {
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

    pub(crate) fn disconnect_replicas(&mut self, now: Millis) {
        let ids: Vec<ClientId> = self.repl.replicas.keys().copied().collect();
        for id in ids {
            self.kill_client(id, now);
        }
    }

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
}
