//! Why a master continued a replica's history or sent it a full copy: the
//! PSYNC decision as a value, taken as Redis 7.0's
//! `masterTryPartialResynchronization` takes it (the replication ids
//! first, then the backlog window), with what both sides knew at that
//! moment. The master logs its usual lines from it; the page and the
//! `explain` step show it in plain words.

/// What the replica asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// The old `SYNC`: a full copy, always.
    Sync,
    /// `PSYNC replid offset` (`? -1`: a replica with no history).
    Psync { replid: String, offset: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    FullResync,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Continue => "CONTINUE",
            Verdict::FullResync => "FULLRESYNC",
        }
    }
}

/// Why, in Redis 7.0's order of checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The replica sent SYNC.
    SyncCommand,
    /// `PSYNC ? -1`: the replica has no replication history.
    FirstSync,
    /// Neither of the master's replication ids.
    IdUnknown,
    /// The master's previous id, but past where that history ended.
    PastSecondIdEnd,
    /// The master has no backlog yet.
    NoBacklog,
    /// The offset is older than what the backlog still holds.
    BeforeBacklog,
    /// The offset is ahead of the master's own.
    AheadOfMaster,
    /// Same replication id, the offset within the backlog.
    SameId,
    /// The master's previous id (it was promoted), the offset within the
    /// backlog and before the switch.
    ThroughPreviousId,
}

/// A PSYNC (or SYNC) as the master judged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsyncDecision {
    /// The replica's listening port (REPLCONF listening-port; 0 when it
    /// gave none).
    pub replica_port: u16,
    pub asked: Asked,
    pub replid: String,
    pub replid2: String,
    /// The last offset of the previous history (`second_repl_offset`).
    pub second_offset: i64,
    pub master_offset: i64,
    /// The backlog window: its first byte's offset and how many bytes it holds.
    pub backlog: Option<(i64, i64)>,
    pub verdict: Verdict,
    pub reason: Reason,
}

/// What the master knows when a PSYNC arrives.
pub struct History<'a> {
    pub replid: &'a str,
    pub replid2: &'a str,
    pub second_offset: i64,
    pub master_offset: i64,
    pub backlog: Option<(i64, i64)>,
}

impl PsyncDecision {
    /// Judges a request against the master's history.
    pub fn judge(replica_port: u16, asked: Asked, history: &History) -> PsyncDecision {
        let reason = match &asked {
            Asked::Sync => Reason::SyncCommand,
            Asked::Psync { replid, .. } if replid == "?" => Reason::FirstSync,
            Asked::Psync { replid, offset } => {
                let ours = replid == history.replid || (replid == history.replid2 && *offset <= history.second_offset);
                let in_window = history.backlog.is_some_and(|(first, len)| *offset >= first && *offset <= first + len);
                if !ours && replid == history.replid2 {
                    Reason::PastSecondIdEnd
                } else if !ours {
                    Reason::IdUnknown
                } else if history.backlog.is_none() {
                    Reason::NoBacklog
                } else if !in_window && *offset > history.master_offset {
                    Reason::AheadOfMaster
                } else if !in_window {
                    Reason::BeforeBacklog
                } else if replid == history.replid {
                    Reason::SameId
                } else {
                    Reason::ThroughPreviousId
                }
            }
        };
        let verdict = if matches!(reason, Reason::SameId | Reason::ThroughPreviousId) { Verdict::Continue } else { Verdict::FullResync };
        PsyncDecision {
            replica_port,
            asked,
            replid: history.replid.to_string(),
            replid2: history.replid2.to_string(),
            second_offset: history.second_offset,
            master_offset: history.master_offset,
            backlog: history.backlog,
            verdict,
            reason,
        }
    }

    fn asked_offset(&self) -> i64 {
        match &self.asked {
            Asked::Psync { offset, .. } => *offset,
            Asked::Sync => -1,
        }
    }

    /// One line: the verdict and its reason (the `explain` step's words,
    /// which the recorder derives from a real master's log).
    pub fn summary(&self) -> String {
        let offset = self.asked_offset();
        let why = match self.reason {
            Reason::SyncCommand => "the replica sent SYNC, which always gets a full copy".to_string(),
            Reason::FirstSync => "first sync: the replica has no replication history (PSYNC ? -1)".to_string(),
            Reason::IdUnknown => "the replica's replication id is not one the master knows".to_string(),
            Reason::PastSecondIdEnd => {
                format!("offset {offset} of the master's previous replication id is past where that history ended ({})", self.second_offset)
            }
            Reason::NoBacklog => format!("offset {offset}: the master has no backlog"),
            Reason::BeforeBacklog => format!("offset {offset} is no longer in the master's backlog"),
            Reason::AheadOfMaster => format!("offset {offset} is ahead of the master's own"),
            Reason::SameId => format!("from offset {offset}: same replication id, the backlog still holds what follows"),
            Reason::ThroughPreviousId => {
                format!("from offset {offset} through the master's previous replication id (its history from before its promotion)")
            }
        };
        format!("{} {why}", self.verdict.as_str())
    }

    /// The card's account, step by step, in plain words.
    pub fn explanation(&self) -> Vec<String> {
        let mut lines = Vec::new();
        lines.push(match &self.asked {
            Asked::Sync => "The replica asked with SYNC (the pre-2.8 form): it cannot continue a history.".to_string(),
            Asked::Psync { replid, offset } if replid == "?" => format!("The replica asked PSYNC ? {offset}: it holds no history to continue."),
            Asked::Psync { replid, offset } => {
                format!("The replica asked PSYNC {replid} {offset}: it holds that history up to byte {}, and wants byte {offset} on.", offset - 1)
            }
        });
        lines.push(if self.replid2.bytes().all(|b| b == b'0') {
            format!("The master's replication id is {}; it has no previous one.", self.replid)
        } else {
            format!(
                "The master's replication id is {}; its previous one is {}, valid up to offset {} (where it took over).",
                self.replid, self.replid2, self.second_offset
            )
        });
        lines.push(match self.backlog {
            Some((first, 0)) => format!("Its backlog is empty (the next byte will be offset {first}); its own offset is {}.", self.master_offset),
            Some((first, len)) => format!(
                "Its backlog holds offsets {first} to {} ({len} bytes); its own offset is {}.",
                first + len - 1,
                self.master_offset
            ),
            None => format!("It has no backlog; its own offset is {}.", self.master_offset),
        });
        lines.push(format!("Verdict: {}.", self.summary()));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(backlog: Option<(i64, i64)>) -> History<'static> {
        History { replid: "aaaa", replid2: "bbbb", second_offset: 500, master_offset: 900, backlog }
    }

    fn judge(replid: &str, offset: i64, backlog: Option<(i64, i64)>) -> Reason {
        PsyncDecision::judge(6380, Asked::Psync { replid: replid.into(), offset }, &history(backlog)).reason
    }

    #[test]
    fn the_checks_come_in_redis_order() {
        let window = Some((300, 601));
        assert_eq!(judge("?", -1, window), Reason::FirstSync);
        assert_eq!(judge("cccc", 400, window), Reason::IdUnknown);
        assert_eq!(judge("bbbb", 501, window), Reason::PastSecondIdEnd);
        assert_eq!(judge("aaaa", 400, None), Reason::NoBacklog);
        assert_eq!(judge("aaaa", 299, window), Reason::BeforeBacklog);
        assert_eq!(judge("aaaa", 902, window), Reason::AheadOfMaster);
        assert_eq!(judge("aaaa", 901, window), Reason::SameId);
        assert_eq!(judge("bbbb", 500, window), Reason::ThroughPreviousId);
        let sync = PsyncDecision::judge(6380, Asked::Sync, &history(window));
        assert_eq!((sync.verdict, sync.reason), (Verdict::FullResync, Reason::SyncCommand));
    }

    #[test]
    fn the_summary_names_the_verdict_first() {
        let d = PsyncDecision::judge(6380, Asked::Psync { replid: "aaaa".into(), offset: 800 }, &history(Some((300, 601))));
        assert_eq!(d.summary(), "CONTINUE from offset 800: same replication id, the backlog still holds what follows");
        assert_eq!(d.explanation().len(), 4);
    }
}
