//! Time travel: the session as it was at any earlier moment. The
//! playground is checkpointed every few seconds of virtual time (without
//! its trace's events, which the present still holds); rewinding to a
//! moment copies the checkpoint just before it and takes the session's
//! steps from there up to that moment again, so the whole page (consoles,
//! graph, data, log, instruments) shows it exactly. Going on from a past
//! moment is a new branch: the checkpoints after it are let go.

use super::playground::Playground;
use crate::engine::time::Millis;
use crate::session::Step;

/// A checkpoint every this many ms of virtual time...
const EVERY_MS: Millis = 5_000;
/// ...and at most this many: past that, every other one is let go (the
/// first stays), so a long session keeps evenly spaced ones.
const MAX_CHECKPOINTS: usize = 64;
/// Datasets this many keys big push checkpoints one ms of virtual time further apart.
const KEYS_PER_MS: Millis = 16;

#[derive(Clone)]
struct Checkpoint {
    at: Millis,
    /// How many steps the session had taken.
    steps: usize,
    playground: Playground,
}

#[derive(Clone, Default)]
pub struct History {
    checkpoints: Vec<Checkpoint>,
    every: Millis,
}

impl History {
    pub fn new() -> History {
        History { checkpoints: Vec::new(), every: EVERY_MS }
    }

    /// After a step: a checkpoint when enough virtual time passed since the last.
    pub fn record(&mut self, playground: &Playground) {
        let now = playground.sim().now();
        // A checkpoint copies every dataset: big ones are copied less often
        // (a million keys: about once a minute of virtual time).
        let sim = playground.sim();
        let keys: usize = sim.ports().filter_map(|p| sim.server(p)).map(|s| s.key_count()).sum();
        let every = self.every.max(keys as Millis / KEYS_PER_MS);
        if self.checkpoints.last().is_some_and(|c| now - c.at < every) {
            return;
        }
        self.checkpoints.push(Checkpoint { at: now, steps: playground.session().steps().len(), playground: playground.checkpoint() });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            let mut index = 0;
            self.checkpoints.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.every *= 2;
        }
    }

    /// How many checkpoints are kept.
    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    /// The session `present` as it was at virtual time `to` (clamped to
    /// its span), rebuilt from the checkpoint just before.
    pub fn rewind(&self, present: &Playground, to: Millis) -> Option<Playground> {
        let to = to.min(present.sim().now());
        let checkpoint = self.checkpoints.iter().rev().find(|c| c.at <= to)?;
        let mut past = checkpoint.playground.clone();
        let steps = present.session().steps();
        for (i, (at, step)) in steps.iter().enumerate().skip(checkpoint.steps.saturating_sub(1)) {
            if i + 1 == checkpoint.steps {
                // The checkpoint may have been taken within this step (a
                // sleep that went on): only the rest of it is left to take.
                if let Step::Sleep { ms } = step {
                    let left = (at + ms).min(to) - checkpoint.at;
                    if left > 0 {
                        past.take(Step::Sleep { ms: left });
                    }
                }
                continue;
            }
            if *at > to || (*at == to && matches!(step, Step::Sleep { .. })) {
                break;
            }
            match step {
                Step::Sleep { ms } => past.take(Step::Sleep { ms: (*ms).min(to - at) }),
                step => past.take(step.clone()),
            }
        }
        past.restore_trace(present);
        Some(past)
    }

    /// A branch from virtual time `at`: the checkpoints after it are let go.
    pub fn branch(&mut self, at: Millis) {
        self.checkpoints.retain(|c| c.at <= at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::START;

    fn digest(p: &Playground) -> String {
        format!("{:?}{:?}", p.sim().trace(), p.nodes())
    }

    #[test]
    fn a_rewound_session_is_the_session_as_it_was() {
        let mut history = History::new();
        let mut p = Playground::new(4, START, &[6379, 6380]);
        history.record(&p);
        let mut then = None;
        for i in 0..400 {
            if i == 37 {
                p.run(6380, "REPLICAOF 127.0.0.1 6379");
            }
            if i % 50 == 0 {
                p.run(6379, &format!("SET k{i} v"));
            }
            if i == 250 {
                then = Some((p.sim().now(), digest(&p), p.nodes()));
            }
            p.advance(100 + (i % 3) as i64);
            history.record(&p);
        }
        p.crash(6379).unwrap();
        p.advance(2_000);
        let (at, expected, nodes) = then.unwrap();
        let past = history.rewind(&p, at).unwrap();
        assert_eq!(past.sim().now(), at);
        assert_eq!(past.nodes(), nodes);
        assert_eq!(digest(&past), expected);
        assert!(past.sim().server(6379).is_some(), "the master is up again before its crash");
        // A branch from there goes its own way.
        let mut branch = past;
        history.branch(at);
        branch.run(6379, "SET other 1");
        assert_eq!(branch.session().probe(6379, "EXISTS other").unwrap(), ["(integer) 1"]);
        assert!(history.len() <= 64);
    }
}
