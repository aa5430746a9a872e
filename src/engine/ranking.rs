//! How Sentinel chose the replica to promote, as a value (the Sentinel
//! makes it, the instruments show it): every replica it knew, the first
//! of `sentinelSelectSlave`'s rules that left it out (down, disconnected,
//! silent, priority 0, stale INFO, a link to the old master down too
//! long), and the ranking of the rest (priority, then replication offset,
//! then run id). The failover promotes the first.

/// Why a replica could not be promoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Excluded {
    /// Subjectively or objectively down.
    Down,
    /// Sentinel's link to it is not connected.
    Disconnected,
    /// It has not answered a PING for 5 ping periods.
    Silent,
    /// `replica-priority 0`: never to be promoted.
    PriorityZero,
    /// Its INFO is older than Sentinel accepts.
    StaleInfo,
    /// Its link to the old master was down for too long (its data is too old).
    TooStale,
}

impl Excluded {
    pub fn as_str(self) -> &'static str {
        match self {
            Excluded::Down => "down (sdown or odown)",
            Excluded::Disconnected => "disconnected from Sentinel",
            Excluded::Silent => "no reply to PING for 5 ping periods",
            Excluded::PriorityZero => "replica-priority 0: never promoted",
            Excluded::StaleInfo => "its INFO is too old",
            Excluded::TooStale => "its link to the old master was down too long",
        }
    }
}

/// One replica as Sentinel weighed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// `ip:port`.
    pub name: String,
    pub port: u16,
    pub priority: i64,
    pub offset: i64,
    pub run_id: Option<String>,
    pub excluded: Option<Excluded>,
    /// 1 for the best among those not left out.
    pub rank: Option<usize>,
}

/// A failover's choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    /// The master's name in Sentinel (`mymaster`).
    pub master: String,
    pub epoch: u64,
    /// Ranked ones first, in rank order, then those left out.
    pub candidates: Vec<Candidate>,
}

impl Ranking {
    /// The replica chosen, if any.
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates.first().filter(|c| c.rank == Some(1))
    }
}
