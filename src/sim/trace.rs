//! What a run did, as values: every input, every byte on a link, every
//! log line, in order, with its virtual time. The same seed and the same
//! steps give the same trace, byte for byte.

use std::collections::VecDeque;

use crate::engine::log::LogLine;
use crate::engine::ranking::Ranking;
use crate::engine::psync::PsyncDecision;
use crate::engine::node::ClientId;
use crate::engine::time::Millis;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// A server or Sentinel process started (its run id, or Sentinel's id).
    NodeStarted { at: Millis, port: u16, run_id: String },
    NodeRemoved { at: Millis, port: u16 },
    /// The process ended on its own (SHUTDOWN, a simulated failure).
    NodeStopped { at: Millis, port: u16 },
    NodeCrashed { at: Millis, port: u16 },
    /// A client from outside the network (a console) connected.
    ClientConnected { at: Millis, port: u16, client: ClientId },
    ConnectionRefused { at: Millis, port: u16 },
    ClientClosed { at: Millis, port: u16, client: ClientId },
    /// Bytes arrived over a link (`from` sent them to `to`).
    Link { at: Millis, from: u16, to: u16, bytes: Vec<u8> },
    /// A node dialled `port` and was refused (or the host is not here).
    LinkRefused { at: Millis, from: u16, host: String, port: u16 },
    LinkOpened { at: Millis, dialer: u16, acceptor: u16 },
    LinkClosed { at: Millis, dialer: u16, acceptor: u16 },
    /// Bytes an outside client sent, and what came back to it.
    Request { at: Millis, port: u16, client: ClientId, bytes: Vec<u8> },
    Reply { at: Millis, port: u16, client: ClientId, bytes: Vec<u8> },
    /// A line a node wrote to its log.
    Log { port: u16, line: LogLine },
    /// A node wrote a file to its disk (its size).
    DiskWrite { at: Millis, port: u16, path: String, size: usize },
    Cut { at: Millis, a: u16, b: u16 },
    Heal { at: Millis, a: u16, b: u16 },
    /// What `from` sends no longer reaches `to` (the other way still does).
    CutOneWay { at: Millis, from: u16, to: u16 },
    HealOneWay { at: Millis, from: u16, to: u16 },
    Latency { at: Millis, a: u16, b: u16, ms: Millis },
    /// A step the session took (its text form, as in a scenario file).
    Step { at: Millis, text: String },
    /// A master judged a replica's PSYNC.
    Psync { at: Millis, master: u16, decision: PsyncDecision },
    /// A Sentinel weighed the replicas it could promote.
    Ranking { at: Millis, sentinel: u16, ranking: Ranking },
}

/// A Sentinel's choice of the replica to promote, when and by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankingRecord {
    pub at: Millis,
    pub sentinel: u16,
    pub ranking: Ranking,
}

/// A master's PSYNC decision, when and where it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsyncRecord {
    pub at: Millis,
    pub master: u16,
    pub decision: PsyncDecision,
}

/// How many log lines are kept for the page's event log.
const RECENT_LOG_LINES: usize = 300;
/// How many PSYNC decisions (and failover rankings) are kept for the
/// instruments, whatever the trace keeps.
const RECENT_PSYNCS: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
    /// Keep at least this many of the newest events, and at most twice as
    /// many (`None`: keep everything, as tests want).
    limit: Option<usize>,
    /// The newest log lines of every node, oldest first.
    recent_log: VecDeque<(u16, LogLine)>,
    /// How many log lines all nodes wrote so far.
    log_lines_written: u64,
    /// The newest PSYNC decisions, oldest first.
    psyncs: VecDeque<PsyncRecord>,
    /// The newest failovers' rankings, oldest first.
    rankings: VecDeque<RankingRecord>,
    /// How many events were ever recorded, and how many of the oldest
    /// were let go (the first kept is number `dropped`).
    recorded: u64,
    dropped: u64,
}

impl Trace {
    /// A long-lived page keeps only the newest events, so a tab left open
    /// for a day does not grow without end.
    pub fn limit(&mut self, keep: usize) {
        self.limit = Some(keep.max(1));
    }

    pub fn record(&mut self, event: TraceEvent) {
        if let TraceEvent::Log { port, line } = &event {
            self.log_lines_written += 1;
            if self.recent_log.len() == RECENT_LOG_LINES {
                self.recent_log.pop_front();
            }
            self.recent_log.push_back((*port, line.clone()));
        }
        if let TraceEvent::Psync { at, master, decision } = &event {
            if self.psyncs.len() == RECENT_PSYNCS {
                self.psyncs.pop_front();
            }
            self.psyncs.push_back(PsyncRecord { at: *at, master: *master, decision: decision.clone() });
        }
        if let TraceEvent::Ranking { at, sentinel, ranking } = &event {
            if self.rankings.len() == RECENT_PSYNCS {
                self.rankings.pop_front();
            }
            self.rankings.push_back(RankingRecord { at: *at, sentinel: *sentinel, ranking: ranking.clone() });
        }
        self.events.push(event);
        self.recorded += 1;
        if let Some(keep) = self.limit {
            // Dropping in halves keeps the cost per event constant.
            if self.events.len() >= 2 * keep {
                let gone = self.events.len() - keep;
                self.events.drain(..gone);
                self.dropped += gone as u64;
            }
        }
    }

    /// The same trace without its events (they are the bulk of it): a
    /// checkpoint keeps this, and gets its events back from a later trace
    /// of the same run with `restore_events`.
    pub fn without_events(&self) -> Trace {
        Trace {
            events: Vec::new(),
            limit: self.limit,
            recent_log: self.recent_log.clone(),
            log_lines_written: self.log_lines_written,
            psyncs: self.psyncs.clone(),
            rankings: self.rankings.clone(),
            recorded: self.recorded,
            dropped: self.recorded,
        }
    }

    /// Puts back the events a checkpoint's trace let go, from `later`, a
    /// trace of the same run that went on from the checkpoint (those it
    /// still keeps).
    pub fn restore_events(&mut self, later: &Trace) {
        let first = later.dropped;
        if first >= self.dropped || self.dropped > later.recorded {
            return;
        }
        let to = (self.dropped - later.dropped) as usize;
        let mut events = later.events[..to].to_vec();
        events.append(&mut self.events);
        self.events = events;
        self.dropped = first;
    }

    /// The events kept, and the number of the first.
    pub fn window(&self) -> (u64, &[TraceEvent]) {
        (self.dropped, &self.events)
    }

    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    pub fn log_lines_written(&self) -> u64 {
        self.log_lines_written
    }

    pub fn recent_log(&self) -> impl Iterator<Item = &(u16, LogLine)> + '_ {
        self.recent_log.iter()
    }

    /// The newest failovers' rankings, oldest first.
    pub fn rankings(&self) -> impl DoubleEndedIterator<Item = &RankingRecord> + '_ {
        self.rankings.iter()
    }

    /// The newest PSYNC decisions, oldest first.
    pub fn psyncs(&self) -> impl DoubleEndedIterator<Item = &PsyncRecord> + '_ {
        self.psyncs.iter()
    }
}
