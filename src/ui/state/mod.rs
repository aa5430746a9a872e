//! The page's one state: the model (the playground, its guide when a
//! scenario was loaded) behind a shared cell, plus the snapshot the
//! components render. Every action produces a new state value so Yew
//! re-renders. `scenario` loads scenarios, moves the guide and tells an
//! embedding page what happened.

mod scenario;
mod time_travel;

use std::cell::RefCell;
use std::rc::Rc;

use yew::Reducible;

use crate::app::address::{Address, Source};
use crate::app::data_view::DataView;
use crate::app::guide::GuideView;
use crate::app::instruments::{PsyncView, WireView, WritesView};
use crate::app::metrics::LagChart;
use crate::app::reasoning::Reasoning;
use crate::app::playground::Playground;
use crate::app::views::{EventView, NodeView, SentinelView};
pub use scenario::{GuideStep, Model, Share};

pub enum Action {
    Run { port: u16, line: String },
    RemoveServer(u16),
    /// Ctrl-C in a console.
    Interrupt(u16),
    Crash(u16),
    DismissNotice,
    Restart(u16),
    /// A file chosen for a node's disk.
    UploadDump { port: u16, bytes: Vec<u8> },
    /// Something the page would not take, and why.
    Refused(String),
    /// Real time passed (milliseconds): virtual time follows at the
    /// chosen speed unless paused.
    Tick(i64),
    SetPaused(bool),
    SetSpeed(u32),
    /// Virtual time passes (milliseconds), paused or not.
    Step(i64),
    /// Virtual time passes until a server logs something (at most a minute).
    NextEvent,
    /// Virtual time passes until no server has work under way (at most ten minutes).
    RunUntilIdle,
    /// Pick out a server on the graph and its card (an event log line was
    /// chosen); the same server again, or none, clears it.
    Highlight(Option<u16>),
    /// Cut the network between two nodes, or heal it.
    ToggleCut(u16, u16),
    /// Cut a node off from every other one, or let it rejoin them.
    ToggleIsolation(u16),
    /// Give the link between two nodes a one-way delay (ms).
    SetLatency(u16, u16, i64),
    /// Make a server the replica of another (`None`: a master), as a drag
    /// on the graph or the card's "replica of" choice asks.
    Reparent(u16, Option<u16>),
    /// Open the config editor: a new server's, or a server's own.
    OpenEditor(EditorTarget),
    CloseEditor,
    /// The editor's text: start the new server, or save (and restart).
    SubmitConfig { text: String, restart: bool },
    /// Show the keys of a server in the data view (or none).
    ShowData(Option<u16>),
    /// A scenario's text: the cluster is replaced by it.
    LoadScenario(String),
    /// The scenario asked for could not be read (fetched, inflated).
    LoadFailed(String),
    /// Back, Next, Play, Restart, or a jump to a stop of the guide.
    Guide(GuideStep),
    /// A permalink was made (or the panel showing it closed).
    Shared(Option<Share>),
    /// Open the wire inspector on a link (replica, master), or close it.
    Inspect(Option<(u16, u16)>),
    /// Show an instrument's tab, or close the instruments.
    ShowInstruments(Option<Instrument>),
    /// Show the session as it was this many virtual ms after it began.
    Rewind(i64),
    /// Leave the past for the present.
    BackToPresent,
    /// Go on from the moment shown, as a new branch.
    Branch,
}

/// The time-travel bar: where the session is, what it shows, its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeTravel {
    /// Virtual ms from the session's start to its present.
    pub present_ms: i64,
    /// The moment shown, when it is in the past.
    pub viewing_ms: Option<i64>,
    /// The session's steps (no sleeps): when, and in words.
    pub steps: Rc<Vec<(i64, String)>>,
}

/// The instruments' tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument {
    Wire,
    Psync,
    Lag,
    Sentinel,
}

/// Whose config file the editor shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EditorTarget {
    New,
    /// A new Sentinel's sentinel.conf.
    NewSentinel,
    /// A server's redis.conf or a Sentinel's sentinel.conf.
    Existing(u16),
}

/// The config editor while it is open.
#[derive(Clone, PartialEq, Debug)]
pub struct Editor {
    pub target: EditorTarget,
    pub text: String,
    /// Why the last attempt was refused (redis-server's words).
    pub error: Option<String>,
}

/// "Run until idle" stops after this long without work under way...
const IDLE_QUIET_MS: i64 = 2_000;
/// ...or after this long at most.
const IDLE_LIMIT_MS: i64 = 600_000;

/// How many times faster than real time virtual time may run.
pub const SPEEDS: [u32; 4] = [1, 2, 10, 100];

/// The virtual clock as the page shows it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Clock {
    pub paused: bool,
    pub speed: u32,
    /// Virtual milliseconds since the page opened.
    pub elapsed_ms: i64,
}

#[derive(Clone)]
pub struct PageState {
    model: Rc<RefCell<Model>>,
    /// What the page's address asked for.
    pub address: Rc<Address>,
    pub nodes: Vec<NodeView>,
    pub sentinels: Vec<SentinelView>,
    pub events: Vec<EventView>,
    pub clock: Clock,
    /// A message for the user about the last action.
    pub notice: Option<String>,
    /// The server picked out from the event log.
    pub highlighted: Option<u16>,
    pub editor: Option<Editor>,
    /// The server whose keys the data view shows, and what it shows.
    pub data_port: Option<u16>,
    pub data: Option<DataView>,
    /// The loaded scenario's guide, when it narrates or sets tasks.
    pub guide: Option<GuideView>,
    /// A scenario is on its way (fetched, inflated).
    pub loading: bool,
    /// Why the scenario asked for could not be loaded.
    pub load_error: Option<String>,
    pub share: Option<Share>,
    /// The instruments' open tab, the link inspected, and what they show.
    pub instrument: Option<Instrument>,
    pub inspect: Option<(u16, u16)>,
    pub wire: Option<WireView>,
    pub psyncs: Vec<PsyncView>,
    pub charts: Vec<LagChart>,
    pub reasoning: Option<Reasoning>,
    pub time_travel: TimeTravel,
    /// The writing client's tally (the split-brain lab).
    pub writes: Option<WritesView>,
    /// Whether the cluster is kept in the browser (the plain page only).
    persistent: bool,
    /// What was last written to the browser's storage.
    saved: Rc<RefCell<Option<u64>>>,
}

/// Where the cluster is kept across page reloads.
const STORAGE_KEY: &str = "redis-playground/cluster";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

impl PartialEq for PageState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.nodes == other.nodes
            && self.sentinels == other.sentinels
            && self.clock == other.clock
            && self.events == other.events
            && self.notice == other.notice
            && self.highlighted == other.highlighted
            && self.editor == other.editor
            && self.data_port == other.data_port
            && self.data == other.data
            && self.guide == other.guide
            && self.loading == other.loading
            && self.load_error == other.load_error
            && self.share == other.share
            && self.instrument == other.instrument
            && self.inspect == other.inspect
            && self.wire == other.wire
            && self.psyncs == other.psyncs
            && self.charts == other.charts
            && self.reasoning == other.reasoning
            && self.time_travel == other.time_travel
            && self.writes == other.writes
    }
}

impl PageState {
    /// The page as its address asks: a built-in scenario loaded, one on its
    /// way (fetched or inflated by the app), or the plain page with the
    /// cluster kept in the browser (three fresh servers the first time).
    /// `seed` varies run ids between visits of the plain page.
    pub fn new(address: Address, seed: u64) -> PageState {
        let persistent = address.source == Source::None && !address.embed;
        let fresh = || Playground::new(seed, crate::scenario::START, &[6379, 6380, 6381]);
        let mut notice = None;
        let mut model = Model::new(fresh());
        match &address.source {
            Source::None if persistent => {
                let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
                match stored.map(|text| Playground::import_state(seed, crate::scenario::START, &text)) {
                    Some(Ok(p)) => model.playground = p,
                    Some(Err(e)) => notice = Some(format!("The saved cluster could not be restored ({e}); starting afresh.")),
                    None => {}
                }
            }
            Source::None => {}
            Source::Builtin(name) => model.load_builtin(name, address.lang),
            Source::File(_) | Source::Inline(_) | Source::FromParent => model.playground = Playground::new(seed, crate::scenario::START, &[]),
        }
        model.after_action(false, false);
        let loading = matches!(address.source, Source::File(_) | Source::Inline(_));
        let clock = Clock { paused: false, speed: 1, elapsed_ms: 0 };
        let state = PageState {
            nodes: Vec::new(),
            sentinels: Vec::new(),
            events: Vec::new(),
            guide: None,
            load_error: None,
            model: Rc::new(RefCell::new(model)),
            address: Rc::new(address),
            clock,
            notice,
            highlighted: None,
            editor: None,
            data_port: None,
            data: None,
            loading,
            share: None,
            instrument: None,
            inspect: None,
            wire: None,
            psyncs: Vec::new(),
            charts: Vec::new(),
            reasoning: None,
            time_travel: TimeTravel { present_ms: 0, viewing_ms: None, steps: Rc::default() },
            writes: None,
            persistent,
            saved: Rc::default(),
        };
        let change = Change::keeping(&state);
        let state = Rc::new(state).with(change);
        state.persist();
        Rc::unwrap_or_clone(state)
    }

    /// The model behind the page, for the embedding bridge's requests.
    pub fn model(&self) -> Rc<RefCell<Model>> {
        Rc::clone(&self.model)
    }

    /// Writes the cluster to the browser's storage when it changed.
    fn persist(&self) -> Option<String> {
        if !self.persistent {
            return None;
        }
        let model = self.model.borrow();
        if model.present.is_some() {
            // The past on show is not what a reload should bring back.
            return None;
        }
        let fingerprint = model.playground.state_fingerprint();
        if self.saved.borrow().as_ref() == Some(&fingerprint) {
            return None;
        }
        *self.saved.borrow_mut() = Some(fingerprint);
        let storage = storage()?;
        match storage.set_item(STORAGE_KEY, &model.playground.export_state()) {
            Ok(()) => None,
            Err(_) => Some("The cluster is too big to keep in this browser: it will not survive a reload.".into()),
        }
    }

    /// The node's dump file, for downloading.
    pub fn dump_file(&self, port: u16) -> Option<(String, Vec<u8>)> {
        self.model.borrow().playground.dump_file(port)
    }

    /// The session as a scenario, for a permalink.
    pub fn scenario_text(&self) -> String {
        self.model.borrow().playground.scenario_text()
    }
}

/// What an action changes besides the playground.
struct Change {
    notice: Option<String>,
    /// Whether the message shown before stays.
    keep_notice: bool,
    clock: Clock,
    highlighted: Option<u16>,
    editor: Option<Editor>,
    data_port: Option<u16>,
    loading: bool,
    share: Option<Share>,
    instrument: Option<Instrument>,
    inspect: Option<(u16, u16)>,
    /// Whether it was the learner's doing (a guided task is checked then).
    by_learner: bool,
}

impl Change {
    /// Nothing changed yet.
    fn keeping(state: &PageState) -> Change {
        Change {
            notice: None,
            keep_notice: true,
            clock: state.clock,
            highlighted: state.highlighted,
            editor: state.editor.clone(),
            data_port: state.data_port,
            loading: state.loading,
            share: state.share.clone(),
            instrument: state.instrument,
            inspect: state.inspect,
            by_learner: false,
        }
    }
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut change = Change::keeping(&self);
        {
            let mut model = self.model.borrow_mut();
            change.by_learner = is_learners(&action, change.clock.paused);
            let tick = matches!(action, Action::Tick(_));
            match action {
                Action::LoadScenario(text) => model.load(&text, &mut change),
                Action::LoadFailed(error) => model.load_failed(error, &mut change),
                Action::Guide(step) => model.guide_step(step),
                Action::Shared(share) => change.share = share,
                Action::Inspect(link) => {
                    change.inspect = link;
                    change.instrument = link.map(|_| Instrument::Wire).or(change.instrument.filter(|i| *i != Instrument::Wire));
                }
                Action::ShowInstruments(tab) => change.instrument = tab,
                Action::Rewind(ms) => match model.rewind(ms) {
                    Ok(()) => change.clock.paused = true,
                    Err(why) => change.notice = Some(why),
                },
                Action::BackToPresent => model.back_to_present(),
                Action::Branch => model.branch_here(),
                // Acting in the past (time running again included) goes on from there.
                action if model.present.is_some() && (change.by_learner || matches!(action, Action::SetPaused(false))) => {
                    model.branch_here();
                    apply(&mut model.playground, action, &mut change);
                }
                action => apply(&mut model.playground, action, &mut change),
            }
            model.after_action(change.by_learner, tick);
        }
        if let Some(problem) = self.persist() {
            change.notice = Some(problem);
        }
        self.with(change)
    }
}

/// Whether an action is the learner's: a guided task is checked after it
/// (time passing counts: a replica syncs while the learner watches).
fn is_learners(action: &Action, paused: bool) -> bool {
    match action {
        Action::Tick(_) => !paused,
        Action::DismissNotice
        | Action::SetPaused(_)
        | Action::SetSpeed(_)
        | Action::Highlight(_)
        | Action::OpenEditor(_)
        | Action::CloseEditor
        | Action::ShowData(_)
        | Action::LoadScenario(_)
        | Action::LoadFailed(_)
        | Action::Guide(_)
        | Action::Shared(_)
        | Action::Inspect(_)
        | Action::ShowInstruments(_)
        | Action::Rewind(_)
        | Action::BackToPresent
        | Action::Branch => false,
        _ => true,
    }
}

/// Carries out an action on the playground.
fn apply(playground: &mut Playground, action: Action, change: &mut Change) {
    match action {
        Action::Run { port, line } => playground.run(port, &line),
        Action::DismissNotice => change.keep_notice = false,
        Action::RemoveServer(port) => {
            if let Err(e) = playground.remove_server(port) {
                change.notice = Some(format!("Could not remove {port}: {e}"));
            }
        }
        Action::Tick(_) if change.clock.paused => {}
        Action::Tick(ms) => playground.advance(ms * change.clock.speed as i64),
        Action::Step(ms) => playground.advance(ms),
        Action::SetPaused(paused) => change.clock.paused = paused,
        Action::SetSpeed(speed) => change.clock.speed = speed,
        Action::ToggleCut(a, b) => playground.toggle_cut(a, b),
        Action::ToggleIsolation(port) => playground.toggle_isolation(port),
        Action::SetLatency(a, b, ms) => playground.set_latency(a, b, ms),
        Action::Reparent(port, target) => match playground.reparent(port, target) {
            Ok(message) => change.notice = message,
            Err(message) => change.notice = Some(message),
        },
        Action::RunUntilIdle => {
            if playground.advance_until_idle(IDLE_QUIET_MS, IDLE_LIMIT_MS) >= IDLE_LIMIT_MS {
                change.notice = Some("Still busy after ten minutes of virtual time.".into());
            }
        }
        Action::OpenEditor(target) => change.editor = Some(open_editor(playground, target)),
        Action::CloseEditor => change.editor = None,
        Action::SubmitConfig { text, restart } => submit_config(playground, text, restart, change),
        Action::ShowData(port) => change.data_port = port,
        Action::Highlight(port) => change.highlighted = if port == change.highlighted { None } else { port },
        Action::NextEvent => {
            if playground.advance_to_next_event(60_000) >= 60_000 {
                change.notice = Some("Nothing happened in the next minute of virtual time.".into());
            }
        }
        Action::Interrupt(port) => playground.interrupt(port),
        Action::Crash(port) => {
            if let Err(e) = playground.crash(port) {
                change.notice = Some(format!("Could not crash {port}: {e}"));
            }
        }
        Action::Restart(port) => {
            if let Err(e) = playground.restart(port) {
                change.notice = Some(format!("Could not restart {port}: {e}"));
            }
        }
        Action::UploadDump { port, bytes } => {
            change.notice = Some(match playground.upload_dump(port, bytes) {
                Ok(message) | Err(message) => message,
            });
        }
        Action::Refused(why) => change.notice = Some(why),
        Action::LoadScenario(_) | Action::LoadFailed(_) | Action::Guide(_) | Action::Shared(_) | Action::Inspect(_) | Action::ShowInstruments(_) | Action::Rewind(_) | Action::BackToPresent | Action::Branch => {}
    }
}

/// The editor opened on a new server's or Sentinel's file (the lesson's),
/// or on a node's own.
fn open_editor(playground: &Playground, target: EditorTarget) -> Editor {
    let text = match target {
        EditorTarget::New => {
            let port = playground.next_free_port().unwrap_or(6379);
            Playground::lesson_config(port).join("\n")
        }
        EditorTarget::NewSentinel => {
            let port = playground.next_sentinel_port();
            playground.lesson_sentinel_config(port).join("\n")
        }
        EditorTarget::Existing(port) => playground.config_of(port).unwrap_or_default().join("\n"),
    };
    Editor { target, text, error: None }
}

/// The editor's text: start the new node, or save the file (and restart
/// the node, as an admin would: SHUTDOWN through its console, then start).
fn submit_config(playground: &mut Playground, text: String, restart: bool, change: &mut Change) {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let target = change.editor.as_ref().map(|e| e.target);
    let outcome = match target {
        Some(EditorTarget::New) => playground.add_server_with_config(&lines).map(|port| Some(format!("Server {port} started from its config file."))),
        Some(EditorTarget::NewSentinel) => {
            playground.add_sentinel(&lines).map(|port| Some(format!("Sentinel {port} started from its sentinel.conf.")))
        }
        Some(EditorTarget::Existing(port)) => playground.edit_config(port, &lines).map(|()| {
            if !restart {
                return Some(format!("Saved: {port} reads it at its next start."));
            }
            if playground.is_running(port) {
                playground.run(port, "SHUTDOWN");
            }
            match playground.restart(port) {
                Ok(()) => Some(format!("{port} restarted with its new config file.")),
                Err(e) => Some(format!("Saved, but {port} did not start: {e}")),
            }
        }),
        None => Ok(None),
    };
    match outcome {
        Ok(message) => {
            change.editor = None;
            change.notice = message;
        }
        Err(error) => change.editor = Some(Editor { target: target.unwrap_or(EditorTarget::New), text, error: Some(error) }),
    }
}

impl PageState {
    /// The time-travel bar's view; its list of steps is rebuilt only when
    /// the session took another step.
    fn time_travel_view(&self, model: &Model) -> TimeTravel {
        let present = model.present.as_ref().unwrap_or(&model.playground);
        let start = present.session().start();
        let steps = present.session().steps();
        let count = steps.iter().filter(|(_, s)| !matches!(s, crate::session::Step::Sleep { .. })).count();
        let steps = if count == self.time_travel.steps.len() && model.present.is_none() == self.time_travel.viewing_ms.is_none() {
            Rc::clone(&self.time_travel.steps)
        } else {
            Rc::new(
                steps
                    .iter()
                    .filter(|(_, s)| !matches!(s, crate::session::Step::Sleep { .. }))
                    .map(|(at, s)| (at - start, s.to_string().chars().take(60).collect()))
                    .collect(),
            )
        };
        let viewing_ms = model.viewing_past().map(|_| model.playground.sim().now() - start);
        TimeTravel { present_ms: present.sim().now() - start, viewing_ms, steps }
    }

    /// The state after a change: the views read again from the playground,
    /// the same value when nothing the page shows changed (Yew then
    /// renders nothing).
    fn with(self: Rc<Self>, change: Change) -> Rc<Self> {
        let Change { notice, keep_notice, mut clock, highlighted, editor, data_port, loading, share, instrument, inspect, .. } = change;
        let mut model = self.model.borrow_mut();
        let wire = inspect.filter(|_| instrument == Some(Instrument::Wire)).map(|(replica, master)| model.wire_view(replica, master));
        let playground = &model.playground;
        let nodes = playground.nodes();
        let sentinels = playground.sentinels();
        let events = playground.events();
        clock.elapsed_ms = playground.sim().now() - playground.session().start();
        let notice = notice.or_else(|| if keep_notice { self.notice.clone() } else { None });
        let data_port = data_port.filter(|p| nodes.iter().any(|n| n.port == *p));
        let data = data_port.and_then(|p| playground.data_view(p));
        // A server that is gone cannot stay picked out.
        let highlighted = highlighted.filter(|p| nodes.iter().any(|n| n.port == *p) || sentinels.iter().any(|s| s.port == *p));
        let guide = model.guide.as_ref().filter(|g| g.is_guided()).map(|g| g.view());
        // The instruments read the trace only while they are open.
        let psyncs = if instrument == Some(Instrument::Psync) { playground.psync_views() } else { Vec::new() };
        let charts = if instrument == Some(Instrument::Lag) { playground.lag_charts() } else { Vec::new() };
        let reasoning = (instrument == Some(Instrument::Sentinel)).then(|| playground.sentinel_reasoning());
        let time_travel = self.time_travel_view(&model);
        let writes = playground.writes_view();
        let load_error = model.load_error.clone();
        drop(model);
        if nodes == self.nodes && sentinels == self.sentinels && notice == self.notice && clock == self.clock && events == self.events
            && highlighted == self.highlighted
            && editor == self.editor
            && data_port == self.data_port
            && data == self.data
            && guide == self.guide
            && loading == self.loading
            && load_error == self.load_error
            && share == self.share
            && instrument == self.instrument
            && inspect == self.inspect
            && wire == self.wire
            && psyncs == self.psyncs
            && charts == self.charts
            && reasoning == self.reasoning
            && time_travel == self.time_travel
            && writes == self.writes
        {
            return self;
        }
        Rc::new(PageState {
            model: Rc::clone(&self.model),
            address: Rc::clone(&self.address),
            nodes,
            sentinels,
            events,
            clock,
            notice,
            highlighted,
            editor,
            data_port,
            data,
            guide,
            loading,
            load_error,
            share,
            instrument,
            inspect,
            wire,
            psyncs,
            charts,
            reasoning,
            time_travel,
            writes,
            persistent: self.persistent,
            saved: Rc::clone(&self.saved),
        })
    }
}
