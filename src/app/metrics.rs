//! Lag and offsets over virtual time: after each step the playground
//! samples every replica (how many bytes it is behind its master, INFO's
//! lag, its link), at most every `SAMPLE_MS`, and keeps a window of them;
//! the chart marks cuts, heals, syncs and promotions on it. Sampling only
//! reads the nodes.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::time::Millis;
use crate::session::Step;
use crate::sim::Sim;

use super::views::{lag_of, Link};

/// At most one sample per this many virtual ms.
const SAMPLE_MS: Millis = 250;
/// How much virtual time the chart looks back over.
pub const WINDOW_MS: Millis = 5 * 60 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at: Millis,
    /// Bytes of its master's stream it does not have yet (none while it
    /// has no running master to compare with).
    pub behind: Option<i64>,
    /// Seconds since its master last heard its ACK.
    pub lag: Option<i64>,
    pub link_up: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Cut,
    Heal,
    FullSync,
    PartialSync,
    Promoted,
    Crashed,
    Restarted,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::Cut => "cut",
            MarkKind::Heal => "heal",
            MarkKind::FullSync => "full sync",
            MarkKind::PartialSync => "partial sync",
            MarkKind::Promoted => "promoted",
            MarkKind::Crashed => "crashed",
            MarkKind::Restarted => "restarted",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: Millis,
    pub kind: MarkKind,
}

/// One replica's chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagChart {
    pub port: u16,
    /// Virtual ms since the session began, for the window's ends.
    pub from: Millis,
    pub to: Millis,
    pub samples: Vec<Sample>,
    pub marks: Vec<Mark>,
}

/// The samples kept, by replica.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    series: BTreeMap<u16, VecDeque<Sample>>,
    /// Whether each server was a replica at the last sample.
    was_replica: BTreeMap<u16, bool>,
    promotions: VecDeque<(Millis, u16)>,
    last: Option<Millis>,
}

impl Metrics {
    /// Samples the servers if enough virtual time passed since the last time.
    pub fn sample(&mut self, sim: &Sim) {
        let now = sim.now();
        if self.last.is_some_and(|last| now - last < SAMPLE_MS) {
            return;
        }
        self.last = Some(now);
        for port in sim.ports().collect::<Vec<_>>() {
            let Some(server) = sim.server(port) else { continue };
            let replica = server.is_replica();
            if self.was_replica.insert(port, replica) == Some(true) && !replica {
                self.promotions.push_back((now, port));
            }
            if !replica {
                continue;
            }
            let master = server.master_address().map(|(_, p)| p).and_then(|m| sim.server(m).filter(|_| m != port));
            let sample = Sample {
                at: now,
                behind: master.map(|m| (m.repl_offset() - server.repl_offset()).max(0)),
                lag: master.and_then(|m| lag_of(m, port, now)),
                link_up: server.link_status() == Link::Online,
            };
            let series = self.series.entry(port).or_default();
            series.push_back(sample);
            while series.front().is_some_and(|s| now - s.at > WINDOW_MS) {
                series.pop_front();
            }
        }
        while self.promotions.front().is_some_and(|(at, _)| now - at > WINDOW_MS) {
            self.promotions.pop_front();
        }
    }

    /// Each replica's chart over the window, its marks from the session's
    /// steps, the masters' PSYNC decisions and the promotions seen.
    pub fn charts(&self, sim: &Sim, steps: &[(Millis, Step)], start: Millis) -> Vec<LagChart> {
        let now = sim.now();
        let from = (now - WINDOW_MS).max(start);
        self.series
            .iter()
            .filter(|(_, samples)| !samples.is_empty())
            .map(|(&port, samples)| {
                let mut marks: Vec<Mark> = Vec::new();
                for (at, step) in steps.iter().filter(|(at, _)| *at >= from) {
                    let kind = match step {
                        Step::Cut { a, b } if *a == port || *b == port => Some(MarkKind::Cut),
                        Step::Heal { a, b } if *a == port || *b == port => Some(MarkKind::Heal),
                        Step::Isolate { port: p } if *p == port => Some(MarkKind::Cut),
                        Step::Rejoin { port: p } if *p == port => Some(MarkKind::Heal),
                        Step::Crash { port: p } if *p == port => Some(MarkKind::Crashed),
                        Step::Restart { port: p } if *p == port => Some(MarkKind::Restarted),
                        _ => None,
                    };
                    marks.extend(kind.map(|kind| Mark { at: at - start, kind }));
                }
                for record in sim.psyncs().filter(|r| r.decision.replica_port == port && r.at >= from) {
                    let kind = match record.decision.verdict {
                        crate::engine::psync::Verdict::Continue => MarkKind::PartialSync,
                        crate::engine::psync::Verdict::FullResync => MarkKind::FullSync,
                    };
                    marks.push(Mark { at: record.at - start, kind });
                }
                marks.extend(self.promotions.iter().filter(|(at, p)| *p == port && *at >= from).map(|(at, _)| Mark { at: at - start, kind: MarkKind::Promoted }));
                marks.sort_by_key(|m| m.at);
                LagChart {
                    port,
                    from: from - start,
                    to: now - start,
                    samples: samples.iter().map(|s| Sample { at: s.at - start, ..*s }).collect(),
                    marks,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::app::playground::Playground;
    use crate::scenario::START;

    use super::MarkKind;

    #[test]
    fn a_replica_behind_its_master_and_back() {
        let mut p = Playground::new(5, START, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(8_000);
        p.set_latency(6379, 6380, 2_000);
        p.run(6379, "SET k v");
        p.advance(300);
        p.advance(300);
        let charts = p.lag_charts();
        assert_eq!(charts.len(), 1);
        let chart = &charts[0];
        assert_eq!(chart.port, 6380);
        // While the write is on its way, the replica is behind by its bytes.
        assert!(chart.samples.iter().any(|s| s.behind.is_some_and(|b| b > 0)), "{:?}", chart.samples);
        p.advance(5_000);
        let charts = p.lag_charts();
        assert_eq!(charts[0].samples.last().unwrap().behind, Some(0));
        assert!(charts[0].marks.iter().any(|m| m.kind == MarkKind::FullSync));
        p.toggle_cut(6379, 6380);
        p.advance(500);
        p.run(6380, "REPLICAOF NO ONE");
        p.advance(500);
        let kinds: Vec<MarkKind> = p.lag_charts()[0].marks.iter().map(|m| m.kind).collect();
        assert!(kinds.contains(&MarkKind::Cut) && kinds.contains(&MarkKind::Promoted), "{kinds:?}");
    }
}
