//! Scenarios on the page: loading one (a built-in, a fetched file, a
//! permalink, an embedding page's text), moving its guide, checking the
//! open task after the learner's actions, and telling an embedding page
//! what happened (guide steps, log lines, role changes).

use super::Change;
use crate::app::builtins;
use crate::app::embed::{self, NodeSnapshot};
use crate::app::guide::Guide;
use crate::app::history::History;
use crate::app::wire::LinkDecoder;
use crate::app::playground::Playground;
use crate::ui::bridge;

/// A guided task is checked at most every this many clock ticks while
/// time just passes (each check copies the nodes it asks).
const TICKS_PER_CHECK: u32 = 5;

/// The guide's controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuideStep {
    Next,
    Back,
    Play,
    Restart,
    Jump(usize),
}

/// A permalink of the session, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Share {
    Link(String),
    /// Longer than a link may be: the scenario file to download instead.
    TooLong { link_bytes: usize, text: String },
}

/// What the page's actions change: the playground and its guide.
pub struct Model {
    pub playground: Playground,
    /// The loaded scenario (a guide even when it only takes steps: it
    /// restarts it).
    pub guide: Option<Guide>,
    pub load_error: Option<String>,
    /// What the embedding page was last told.
    told_nodes: Vec<NodeSnapshot>,
    told_log_lines: u64,
    ticks_unchecked: u32,
    /// Checkpoints to rewind to, and the present while the page shows the past.
    pub(super) history: History,
    pub(super) present: Option<Playground>,
    /// Counts the times another playground took this one's place (a
    /// load, a rewind): caches of what it showed are then stale.
    pub(super) generation: u64,
    /// The wire inspector's decoder, kept between frames: (link, generation).
    pub(super) wire_decoder: Option<(u64, LinkDecoder)>,
}

impl Model {
    pub fn new(playground: Playground) -> Model {
        let told_log_lines = playground.sim().log_lines_written();
        Model {
            told_nodes: embed::nodes(&playground),
            playground,
            guide: None,
            load_error: None,
            told_log_lines,
            ticks_unchecked: 0,
            history: History::new(),
            present: None,
            generation: 0,
            wire_decoder: None,
        }
    }

    pub(super) fn load_builtin(&mut self, name: &str, lang: &str) {
        match builtins::builtin(name, lang) {
            Some(builtin) => self.replace(builtin.text),
            None => {
                self.load_error = Some(format!("There is no built-in scenario called '{name}' (there are {}).", builtins::names().join(", ")));
            }
        }
    }

    /// Replaces the cluster with a scenario; a scenario with a mistake
    /// changes nothing and says where it is.
    fn replace(&mut self, text: &str) {
        match Guide::load(text) {
            Ok((guide, playground)) => {
                self.replace_playground(playground);
                self.guide = Some(guide);
                self.load_error = None;
            }
            Err(error) => self.load_error = Some(format!("This scenario cannot run: {error}.")),
        }
    }

    pub(super) fn load(&mut self, text: &str, change: &mut Change) {
        self.replace(text);
        change.loading = false;
        change.editor = None;
        if self.load_error.is_none() && self.guide.as_ref().is_some_and(Guide::is_exact) {
            // A permalink shows the moment it was made until the learner plays on.
            change.clock.paused = true;
            change.notice = Some("This is the session as it was shared, paused at that moment: press Play to let time run on.".into());
        }
    }

    pub(super) fn load_failed(&mut self, error: String, change: &mut Change) {
        self.load_error = Some(format!("The scenario could not be read: {error}."));
        change.loading = false;
    }

    /// Another session in place of this one: its own history.
    pub(super) fn replace_playground(&mut self, playground: Playground) {
        self.playground = playground;
        self.generation += 1;
        self.history = History::new();
        self.present = None;
    }

    pub(super) fn guide_step(&mut self, step: GuideStep) {
        let Some(guide) = self.guide.as_mut() else { return };
        match step {
            GuideStep::Next => guide.next(&mut self.playground),
            GuideStep::Play => guide.play(&mut self.playground),
            GuideStep::Back => {
                if let Some(playground) = guide.back() {
                    self.replace_playground(playground);
                }
            }
            GuideStep::Restart => {
                let playground = guide.restart();
                self.replace_playground(playground);
            }
            GuideStep::Jump(index) => {
                let playground = guide.jump(index);
                self.replace_playground(playground);
            }
        }
    }

    /// The inspector's view of a link, its decoder kept up to date
    /// between frames (a new one for another link or another playground).
    pub(super) fn wire_view(&mut self, replica: u16, master: u16) -> crate::app::instruments::WireView {
        let generation = self.generation;
        let fresh = !matches!(&self.wire_decoder, Some((g, d)) if *g == generation && d.link() == (replica, master));
        if fresh {
            self.wire_decoder = Some((generation, LinkDecoder::new(master, replica, crate::app::instruments::FRAMES_SHOWN)));
        }
        let (_, decoder) = self.wire_decoder.as_mut().expect("set just above");
        self.playground.wire_view(decoder)
    }

    /// After every action: the open task is checked when the learner did
    /// something (every few ticks while time just passes), and an
    /// embedding page hears what happened.
    pub(super) fn after_action(&mut self, by_learner: bool, tick: bool) {
        if let Some(guide) = self.guide.as_mut().filter(|g| g.open_task().is_some()) {
            self.ticks_unchecked += 1;
            if by_learner && (!tick || self.ticks_unchecked >= TICKS_PER_CHECK) {
                self.ticks_unchecked = 0;
                guide.check(&mut self.playground);
            }
        }
        if self.present.is_none() {
            self.history.record(&self.playground);
        }
        if bridge::is_framed() {
            self.tell_parent();
        }
    }

    fn tell_parent(&mut self) {
        if let Some(guide) = self.guide.as_mut() {
            for event in guide.take_events() {
                let (name, detail) = embed::guide_event_json(&event);
                bridge::emit(name, Some(detail));
            }
        }
        let sim = self.playground.sim();
        let written = sim.log_lines_written();
        if written < self.told_log_lines {
            // Another playground (a scenario loaded): its log is all new.
            self.told_log_lines = 0;
        }
        let new = usize::try_from(written - self.told_log_lines).unwrap_or(usize::MAX);
        let events = self.playground.events();
        for line in &events[events.len().saturating_sub(new)..] {
            bridge::emit("log", Some(embed::log_json(line)));
        }
        self.told_log_lines = written;
        let nodes = embed::nodes(&self.playground);
        for node in embed::role_changes(&self.told_nodes, &nodes) {
            bridge::emit("role-change", Some(embed::node_json(&node)));
        }
        self.told_nodes = nodes;
    }
}
