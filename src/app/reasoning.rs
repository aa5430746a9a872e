//! Sentinel's reasoning during a failover, read from the trace: a
//! timeline per Sentinel (its events: sdown, odown, new epochs, votes,
//! the leader, the replica selected, each reconfiguration step; and the
//! `SENTINEL is-master-down-by-addr` questions it asked the others and
//! their answers, with epochs and votes, read off the wire between them),
//! and the ranking the leader used to pick the replica to promote.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::playground::Playground;
use crate::engine::resp::{parse_frame, Frame};
use crate::engine::ranking::Ranking;
use crate::engine::time::Millis;
use crate::sim::TraceEvent;

/// One line of a Sentinel's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    pub elapsed_ms: Millis,
    /// `+sdown`, `asked`, `answered`, ...
    pub kind: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub sentinel: u16,
    pub moments: Vec<Moment>,
}

/// The latest failover's ranking, as the view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankingView {
    pub elapsed_ms: Millis,
    pub sentinel: u16,
    pub ranking: Ranking,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reasoning {
    pub timelines: Vec<Timeline>,
    pub ranking: Option<RankingView>,
}

/// A timeline keeps its newest moments.
const MOMENTS_KEPT: usize = 200;

/// A Sentinel's id (or any run id) shortened, or the port it belongs to.
fn who(id: &str, ids: &BTreeMap<String, u16>) -> String {
    match ids.get(id) {
        Some(port) => format!("Sentinel {port}"),
        None => id.chars().take(8).collect(),
    }
}

fn bulk(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Simple(s) => s.clone(),
        Frame::Integer(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The commands one Sentinel sent another on one connection, waiting for replies.
#[derive(Default)]
struct Exchange {
    to_acceptor: Vec<u8>,
    to_dialer: Vec<u8>,
    /// The questions asked and not answered yet (None: another command).
    asked: VecDeque<Option<(String, u64, String)>>,
}

impl Playground {
    pub fn sentinel_reasoning(&self) -> Reasoning {
        let sim = self.sim();
        let sentinels: BTreeSet<u16> = sim.sentinel_ports().into_iter().collect();
        if sentinels.is_empty() {
            return Reasoning::default();
        }
        let start = self.session().start();
        let mut ids: BTreeMap<String, u16> = BTreeMap::new();
        let mut moments: BTreeMap<u16, Vec<Moment>> = sentinels.iter().map(|&p| (p, Vec::new())).collect();
        let mut exchanges: BTreeMap<(u16, u16), Exchange> = BTreeMap::new();
        let push = |moments: &mut BTreeMap<u16, Vec<Moment>>, port: u16, at: Millis, kind: &str, text: String| {
            if let Some(list) = moments.get_mut(&port) {
                list.push(Moment { elapsed_ms: at - start, kind: kind.to_string(), text });
            }
        };
        for event in sim.trace() {
            match event {
                TraceEvent::NodeStarted { port, run_id, .. } if sentinels.contains(port) => {
                    ids.insert(run_id.clone(), *port);
                }
                TraceEvent::Log { port, line } if sentinels.contains(port) => {
                    let (kind, rest) = line.text.split_once(' ').unwrap_or((line.text.as_str(), ""));
                    if kind.starts_with('+') || kind.starts_with('-') {
                        push(&mut moments, *port, line.at, kind, rest.to_string());
                    }
                }
                TraceEvent::LinkOpened { dialer, acceptor, .. } if sentinels.contains(dialer) && sentinels.contains(acceptor) => {
                    exchanges.insert((*dialer, *acceptor), Exchange::default());
                }
                TraceEvent::Link { at, from, to, bytes } if sentinels.contains(from) && sentinels.contains(to) => {
                    // Two Sentinels hold a connection each way: a command
                    // (an array of bulk strings) goes on the sender's own,
                    // anything else is a reply on the other's.
                    let command = bytes.starts_with(b"*") && bytes.iter().position(|&b| b == b'\n').is_some_and(|i| bytes.get(i + 1) == Some(&b'$'));
                    if let Some(x) = exchanges.get_mut(&(*from, *to)).filter(|_| command) {
                        x.to_acceptor.extend_from_slice(bytes);
                        while let Ok(Some((frame, used))) = parse_frame(&x.to_acceptor) {
                            x.to_acceptor.drain(..used);
                            let Frame::Array(args) = &frame else { continue };
                            let words: Vec<String> = args.iter().map(bulk).collect();
                            let question = words.first().is_some_and(|w| w.eq_ignore_ascii_case("SENTINEL"))
                                && words.get(1).is_some_and(|w| w.eq_ignore_ascii_case("is-master-down-by-addr"));
                            if question && words.len() >= 6 {
                                let (addr, epoch, runid) = (format!("{}:{}", words[2], words[3]), words[4].parse().unwrap_or(0), words[5].clone());
                                let asking = if runid == "*" { "is it down? (checking)".to_string() } else { format!("is it down? vote for me, epoch {epoch}") };
                                push(&mut moments, *from, *at, "asked", format!("asked Sentinel {to} about {addr}: {asking}"));
                                x.asked.push_back(Some((addr, epoch, runid)));
                            } else {
                                x.asked.push_back(None);
                            }
                        }
                    } else if let Some(x) = exchanges.get_mut(&(*to, *from)).filter(|_| !command) {
                        x.to_dialer.extend_from_slice(bytes);
                        while let Ok(Some((frame, used))) = parse_frame(&x.to_dialer) {
                            x.to_dialer.drain(..used);
                            let Some(Some((addr, _, runid))) = x.asked.pop_front() else { continue };
                            let Frame::Array(reply) = &frame else { continue };
                            let down = reply.first().map(bulk).unwrap_or_default() == "1";
                            let leader = reply.get(1).map(bulk).unwrap_or_default();
                            let epoch = reply.get(2).map(bulk).unwrap_or_default();
                            let vote = if runid == "*" || leader == "*" {
                                String::new()
                            } else {
                                format!(", its vote: {} (epoch {epoch})", who(&leader, &ids))
                            };
                            let verdict = if down { "down" } else { "not down" };
                            push(&mut moments, *to, *at, "answered", format!("Sentinel {from} answered about {addr}: {verdict}{vote}"));
                        }
                    }
                }
                _ => {}
            }
        }
        let timelines = moments
            .into_iter()
            .map(|(sentinel, mut moments)| {
                let skip = moments.len().saturating_sub(MOMENTS_KEPT);
                moments.drain(..skip);
                Timeline { sentinel, moments }
            })
            .collect();
        let ranking = sim.rankings().next_back().map(|r| RankingView { elapsed_ms: r.at - start, sentinel: r.sentinel, ranking: r.ranking.clone() });
        Reasoning { timelines, ranking }
    }
}

#[cfg(test)]
mod tests {
    use crate::app::playground::Playground;
    use crate::engine::ranking::Excluded;
    use crate::scenario::START;

    #[test]
    fn a_failover_with_three_sentinels_and_priorities() {
        let mut p = Playground::new(9, START, &[6379, 6380, 6381, 6382]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.run(6381, "REPLICAOF 127.0.0.1 6379");
        p.run(6382, "REPLICAOF 127.0.0.1 6379");
        p.run(6381, "CONFIG SET replica-priority 10");
        p.run(6382, "CONFIG SET replica-priority 0");
        p.advance(10_000);
        for port in [26379, 26380, 26381] {
            let conf = vec![
                format!("port {port}"),
                "sentinel monitor mymaster 127.0.0.1 6379 2".to_string(),
                "sentinel down-after-milliseconds mymaster 2000".to_string(),
                "sentinel failover-timeout mymaster 10000".to_string(),
            ];
            p.add_sentinel(&conf).unwrap();
        }
        p.advance(15_000);
        p.crash(6379).unwrap();
        for _ in 0..300 {
            p.advance(100);
        }
        let reasoning = p.sentinel_reasoning();
        assert_eq!(reasoning.timelines.len(), 3);
        let kinds: Vec<&str> = reasoning.timelines.iter().flat_map(|t| t.moments.iter().map(|m| m.kind.as_str())).collect();
        for kind in ["+sdown", "+odown", "+vote-for-leader", "asked", "answered", "+switch-master"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        assert!(kinds.contains(&"+elected-leader") && kinds.contains(&"+selected-slave"), "{kinds:?}");
        let ranking = reasoning.ranking.unwrap().ranking;
        // Priority 10 beats 100; priority 0 is left out.
        assert_eq!(ranking.chosen().unwrap().port, 6381);
        let left_out = ranking.candidates.iter().find(|c| c.port == 6382).unwrap();
        assert_eq!(left_out.excluded, Some(Excluded::PriorityZero));
        assert_eq!(ranking.candidates.iter().find(|c| c.port == 6380).unwrap().rank, Some(2));
    }
}
