//! What the instruments show, read from the session's trace and state
//! (none of them changes what the nodes do): a link's frames for the wire
//! inspector, and each PSYNC a master judged, for the explainer.

use std::rc::Rc;

use super::playground::Playground;
use super::wire::{printable, Direction, FrameKind, LinkDecoder};
use crate::engine::cli::split_args;
use crate::engine::time::Millis;
use crate::session::Step;

/// The inspector lists at most this many of a link's newest frames.
pub const FRAMES_SHOWN: usize = 200;
/// A frame's text and bytes are cut at this many characters.
const TEXT_SHOWN: usize = 240;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameView {
    /// Its place among the link's frames (a stable key).
    pub number: usize,
    /// Virtual ms since the session began.
    pub elapsed_ms: Millis,
    pub direction: Direction,
    pub kind: FrameKind,
    pub text: String,
    pub raw: String,
    pub len: usize,
    pub offsets: Option<(i64, i64)>,
    pub connection: usize,
    /// It carried the command typed last.
    pub carries_typed: bool,
}

/// The wire inspector's view of one link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireView {
    pub replica: u16,
    pub master: u16,
    pub frames: Rc<Vec<FrameView>>,
    /// How many frames were decoded on it (more than are shown).
    pub total: usize,
    /// The command typed last (what `carries_typed` marks).
    pub typed: Option<String>,
    /// A snapshot on its way: bytes arrived, and in all when known.
    pub arriving: Option<(usize, Option<usize>)>,
}

/// The writing client's tally, for the split-brain lab's panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WritesView {
    pub port: u16,
    pub every: Millis,
    pub acknowledged: usize,
    /// Errors by their first word, with how many.
    pub refused: Vec<(String, usize)>,
    /// The master now (the one a Sentinel names, else the top of the chain).
    pub master: Option<u16>,
    /// Acknowledged writes the master now lacks.
    pub lost: Vec<u64>,
    /// The newest writes: number, and its error if any.
    pub recent: Vec<(u64, Option<String>)>,
}

/// One PSYNC a master judged, for the explainer's card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsyncView {
    pub elapsed_ms: Millis,
    pub master: u16,
    pub replica: u16,
    pub verdict: &'static str,
    pub summary: String,
    pub explanation: Vec<String>,
}

fn cut(mut text: String) -> String {
    if text.chars().count() > TEXT_SHOWN {
        text = text.chars().take(TEXT_SHOWN).collect::<String>() + "…";
    }
    text
}

/// A command's words as the stream carries them (`SET k v`).
fn normalized(line: &str) -> Option<String> {
    let args = split_args(line.as_bytes()).ok()?;
    let first = args.first()?;
    let mut words = vec![String::from_utf8_lossy(first).to_ascii_uppercase()];
    words.extend(args[1..].iter().map(|a| printable(a)));
    Some(words.join(" "))
}

fn frame_words(text: &str) -> String {
    match text.split_once(' ') {
        Some((name, rest)) => format!("{} {rest}", name.to_ascii_uppercase()),
        None => text.to_ascii_uppercase(),
    }
}

impl Playground {
    /// The link a decoder reads, as the wire inspector shows it (the
    /// decoder brought up to date first).
    pub fn wire_view(&self, decoder: &mut LinkDecoder) -> WireView {
        decoder.update(self.sim());
        let (replica, master) = decoder.link();
        let start = self.session().start();
        let typed = self.session().steps().iter().rev().find_map(|(_, step)| match step {
            Step::Command { line, .. } => normalized(line),
            _ => None,
        });
        // The network delivers a big snapshot whole at its end: meanwhile
        // the link's transfer says how far it got.
        let arriving = decoder
            .snapshot_arriving()
            .or_else(|| self.sim().transfer_progress(replica).map(|(arrived, total)| (arrived as usize, Some(total as usize))));
        let frames: Vec<_> = decoder.frames().collect();
        let shown = frames[frames.len().saturating_sub(FRAMES_SHOWN)..]
            .iter()
            .map(|f| FrameView {
                number: f.number,
                elapsed_ms: f.at - start,
                direction: f.direction,
                kind: f.kind,
                carries_typed: f.kind == FrameKind::Command && typed.as_deref() == Some(frame_words(&f.text).as_str()),
                text: cut(f.text.clone()),
                raw: cut(printable(&f.raw)),
                len: f.len,
                offsets: f.offsets,
                connection: f.connection,
            })
            .collect();
        WireView { replica, master, frames: Rc::new(shown), total: decoder.decoded(), typed, arriving }
    }

    /// The writing client's tally, if the session has one.
    pub fn writes_view(&self) -> Option<WritesView> {
        let writer = self.session().writer()?;
        let r = crate::session::writer::reckon(self.sim(), writer);
        let mut refused: Vec<(String, usize)> = Vec::new();
        for (_, error) in &r.refused {
            let word = error.split(' ').next().unwrap_or("").to_string();
            match refused.iter_mut().find(|(w, _)| *w == word) {
                Some((_, n)) => *n += 1,
                None => refused.push((word, 1)),
            }
        }
        let recent = writer.log.iter().rev().take(24).rev().map(|w| (w.seq, w.outcome.as_ref().err().cloned())).collect();
        Some(WritesView { port: writer.port, every: writer.every, acknowledged: r.acknowledged, refused, master: r.master, lost: r.lost, recent })
    }

    /// Every PSYNC the trace still remembers, newest first.
    pub fn psync_views(&self) -> Vec<PsyncView> {
        let start = self.session().start();
        self.sim()
            .psyncs()
            .rev()
            .map(|r| PsyncView {
                elapsed_ms: r.at - start,
                master: r.master,
                replica: r.decision.replica_port,
                verdict: r.decision.verdict.as_str(),
                summary: r.decision.summary(),
                explanation: r.decision.explanation(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::START;

    #[test]
    fn a_typed_write_is_found_on_both_links_of_a_chain() {
        let mut p = Playground::new(3, START, &[6379, 6380, 6381]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.run(6381, "REPLICAOF 127.0.0.1 6380");
        p.advance(15_000);
        p.run(6379, "set greeting \"hello world\"");
        p.advance(500);
        let top = p.wire_view(&mut LinkDecoder::new(6379, 6380, FRAMES_SHOWN));
        let below = p.wire_view(&mut LinkDecoder::new(6380, 6381, FRAMES_SHOWN));
        assert_eq!(top.typed.as_deref(), Some("SET greeting hello world"));
        let carried = |w: &WireView| w.frames.iter().filter(|f| f.carries_typed).map(|f| f.offsets).collect::<Vec<_>>();
        assert_eq!(carried(&top).len(), 1, "{:?}", top.frames);
        // PSYNC2: the chain carries the same stream at the same offsets.
        assert_eq!(carried(&top), carried(&below));
        let psyncs = p.psync_views();
        assert_eq!(psyncs.len(), 2);
        assert!(psyncs.iter().all(|v| v.verdict == "FULLRESYNC"), "{psyncs:?}");
    }
}
