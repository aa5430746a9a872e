//! A scenario played on the page: its steps run on the playground, its
//! narration (`say`) and exercises (`task`) are the stops a learner moves
//! through. A task waits for the learner: the guide checks its
//! expectations after each of their actions (on copies of the nodes, so
//! nothing shows in their consoles) and goes on once they hold. Back and
//! jumping to a stop replay the scenario from its seed, taking the
//! solutions of the tasks before it, so every stop looks the same however
//! it was reached.

use std::collections::BTreeMap;

use super::playground::{Playground, PAGE_OPTIONS};
use crate::scenario::{self, Expectation, Item, Line, ScenarioError};
use crate::session::{Session, Step};

/// The seed of a scenario that names none (the runner's too).
const DEFAULT_SEED: u64 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    Say,
    Task,
}

impl StopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StopKind::Say => "say",
            StopKind::Task => "task",
        }
    }
}

/// Where a reached task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for the learner.
    Open,
    /// The learner did it: its expectations held.
    Done,
    /// The guide took its solution (Next, Back or a jump passed it).
    Shown,
}

/// A stop as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopView {
    pub kind: StopKind,
    pub text: String,
    pub reached: bool,
    /// A task's state once reached.
    pub task: Option<TaskState>,
}

/// What the guide did, for the page to tell an embedding page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuideEvent {
    /// A stop was reached (0-based among the stops).
    Reached { index: usize, kind: StopKind, text: String },
    TaskDone { index: usize, text: String },
}

/// The guide as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideView {
    pub stops: Vec<StopView>,
    /// The stop shown last.
    pub current: Option<usize>,
    /// The task waiting for the learner.
    pub open: Option<usize>,
    pub finished: bool,
    /// Steps that failed, as `line N: why`.
    pub problems: Vec<String>,
    /// The open task's solution, in the scenario's words (a hint).
    pub hint: Vec<String>,
}

/// A step of the scenario that failed on the page: where, and why.
pub type Problem = ScenarioError;

pub struct Guide {
    lines: Vec<Line>,
    seed: u64,
    /// Steps are taken as written (a permalink).
    exact: bool,
    /// Each stop's index in `lines`.
    stops: Vec<usize>,
    /// The index in `lines` of the next item to take.
    next: usize,
    /// How many stops were reached.
    reached: usize,
    /// The open task (a stop index), waiting for the learner.
    open: Option<usize>,
    /// The solutions that follow are taken: the guide passes the task itself.
    solving: bool,
    tasks: BTreeMap<usize, TaskState>,
    events: Vec<GuideEvent>,
    problems: Vec<Problem>,
}

/// Why the guide stops taking items.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StopAt {
    /// At an open task (Play, loading).
    OpenTask,
    /// Right after the next stop (Next).
    NextStop,
}

impl Guide {
    /// Reads a scenario and runs it on a fresh playground up to its first
    /// task (all of it when it sets none). Nothing runs when its text has
    /// a mistake: the error says on which line.
    pub fn load(source: &str) -> Result<(Guide, Playground), ScenarioError> {
        let lines = scenario::parse(source)?;
        let (mut seed, mut exact) = (DEFAULT_SEED, false);
        let mut stepped = false;
        for line in &lines {
            match &line.item {
                Item::Seed(_) | Item::Exact if stepped => {
                    return Err(ScenarioError { line: line.line, message: format!("'{}' comes before any other step", line.text) })
                }
                Item::Seed(s) => seed = *s,
                Item::Exact => exact = true,
                Item::Step(_) | Item::Solve(_) => stepped = true,
                _ => {}
            }
        }
        let stops = lines.iter().enumerate().filter(|(_, l)| matches!(l.item, Item::Say(_) | Item::Task(_))).map(|(i, _)| i).collect();
        let mut guide = Guide {
            lines,
            seed,
            exact,
            stops,
            next: 0,
            reached: 0,
            open: None,
            solving: false,
            tasks: BTreeMap::new(),
            events: Vec::new(),
            problems: Vec::new(),
        };
        let mut playground = guide.fresh_playground();
        guide.take_until(&mut playground, StopAt::OpenTask, None);
        Ok((guide, playground))
    }

    fn fresh_playground(&self) -> Playground {
        Playground::empty(Session::new(self.seed, scenario::START, PAGE_OPTIONS))
    }

    /// Whether the scenario narrates or sets tasks (the page then shows
    /// the guide's panel and controls).
    pub fn is_guided(&self) -> bool {
        !self.stops.is_empty()
    }

    /// Whether its steps are taken as written (a permalink).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Every stop, reached or not.
    pub fn stops(&self) -> Vec<StopView> {
        self.stops
            .iter()
            .enumerate()
            .map(|(index, &at)| {
                let (kind, text) = match &self.lines[at].item {
                    Item::Task(text) => (StopKind::Task, text.clone()),
                    Item::Say(text) => (StopKind::Say, text.clone()),
                    _ => unreachable!("stops are say and task items"),
                };
                StopView { kind, text, reached: index < self.reached, task: self.tasks.get(&index).copied() }
            })
            .collect()
    }

    pub fn view(&self) -> GuideView {
        GuideView {
            stops: self.stops(),
            current: self.current(),
            open: self.open,
            finished: self.finished(),
            problems: self.problems.iter().map(ToString::to_string).collect(),
            hint: self.open.map(|task| self.solution(task).iter().map(ToString::to_string).collect()).unwrap_or_default(),
        }
    }

    /// The stop shown last (0-based), if any was reached.
    pub fn current(&self) -> Option<usize> {
        self.reached.checked_sub(1)
    }

    /// The task waiting for the learner.
    pub fn open_task(&self) -> Option<usize> {
        self.open
    }

    /// Whether every item was taken.
    pub fn finished(&self) -> bool {
        self.next >= self.lines.len() && self.open.is_none()
    }

    /// Steps of the scenario that failed on the page.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// What happened since the last call.
    pub fn take_events(&mut self) -> Vec<GuideEvent> {
        std::mem::take(&mut self.events)
    }

    /// Play: on until a task waits for the learner, or the end.
    pub fn play(&mut self, playground: &mut Playground) {
        if self.open.is_none() {
            self.take_until(playground, StopAt::OpenTask, None);
        }
    }

    /// Next: on to the next stop. An open task is passed by taking its
    /// solution ("show me").
    pub fn next(&mut self, playground: &mut Playground) {
        if let Some(task) = self.open.take() {
            self.tasks.insert(task, TaskState::Shown);
            self.solving = true;
        }
        self.take_until(playground, StopAt::NextStop, None);
    }

    /// Back: the scenario replayed from its seed to the stop before this one.
    pub fn back(&mut self) -> Option<Playground> {
        let current = self.current()?;
        Some(self.jump(current.saturating_sub(1)))
    }

    /// The scenario from the start again, up to its first task.
    pub fn restart(&mut self) -> Playground {
        self.rewind();
        let mut playground = self.fresh_playground();
        self.take_until(&mut playground, StopAt::OpenTask, None);
        playground
    }

    /// The scenario replayed from its seed up to stop `index` (clamped),
    /// the tasks before it solved by the guide.
    pub fn jump(&mut self, index: usize) -> Playground {
        self.rewind();
        let mut playground = self.fresh_playground();
        if let Some(&target) = self.stops.get(index.min(self.stops.len().saturating_sub(1))) {
            self.take_until(&mut playground, StopAt::NextStop, Some(target));
        }
        playground
    }

    /// Back to before the first item; what the learner did stays recorded.
    fn rewind(&mut self) {
        self.next = 0;
        self.reached = 0;
        self.open = None;
        self.solving = false;
        self.problems.clear();
    }

    /// After a learner's action: when the open task's expectations all
    /// hold, it is done and the scenario plays on. Returns whether it was.
    pub fn check(&mut self, playground: &mut Playground) -> bool {
        let Some(task) = self.open else { return false };
        let expectations = self.expectations_of(task);
        if expectations.is_empty() {
            // A task with no checks waits for Next.
            return false;
        }
        let session = playground.session();
        if !expectations.iter().all(|e| session.probe(e.port, &e.command).and_then(|printed| e.verdict(&printed)).is_ok()) {
            return false;
        }
        self.open = None;
        self.tasks.insert(task, TaskState::Done);
        self.events.push(GuideEvent::TaskDone { index: task, text: self.stop_text(task) });
        self.take_until(playground, StopAt::OpenTask, None);
        true
    }

    /// The expectations after a task, up to the next stop.
    fn expectations_of(&self, task: usize) -> Vec<Expectation> {
        let from = self.stops[task];
        let to = self.stops.get(task + 1).copied().unwrap_or(self.lines.len());
        self.lines[from..to]
            .iter()
            .filter_map(|l| match &l.item {
                Item::Expect(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// The steps that solve a task (what Next takes for the learner).
    pub fn solution(&self, task: usize) -> Vec<Step> {
        let Some(&from) = self.stops.get(task) else { return Vec::new() };
        let to = self.stops.get(task + 1).copied().unwrap_or(self.lines.len());
        self.lines[from..to]
            .iter()
            .filter_map(|l| match &l.item {
                Item::Solve(step) => Some(step.clone()),
                _ => None,
            })
            .collect()
    }

    fn stop_text(&self, index: usize) -> String {
        match &self.lines[self.stops[index]].item {
            Item::Say(text) | Item::Task(text) => text.clone(),
            _ => String::new(),
        }
    }

    /// Takes items until `until` (or, replaying, until the item at
    /// `target` was taken: tasks before it are solved by the guide).
    fn take_until(&mut self, playground: &mut Playground, until: StopAt, target: Option<usize>) {
        while self.next < self.lines.len() && self.open.is_none() {
            let at = self.next;
            self.next += 1;
            let reached_stop = self.take(playground, at, target.is_some_and(|t| at < t));
            if target.map_or(reached_stop && until == StopAt::NextStop, |t| at >= t) {
                break;
            }
        }
    }

    /// Takes one item; returns whether it was a stop. `replaying`: a task
    /// here is passed with its solution.
    fn take(&mut self, playground: &mut Playground, at: usize, replaying: bool) -> bool {
        let line = &self.lines[at];
        let outcome = match &line.item {
            Item::Seed(_) | Item::Exact | Item::Expect(_) => Ok(()),
            Item::Step(step) => self.perform(playground, step, at),
            Item::Solve(step) if self.solving => self.perform(playground, step, at),
            Item::Solve(_) => Ok(()),
            Item::Say(text) | Item::Task(text) => {
                let index = self.reached;
                self.reached += 1;
                let kind = if matches!(line.item, Item::Task(_)) { StopKind::Task } else { StopKind::Say };
                self.events.push(GuideEvent::Reached { index, kind, text: text.clone() });
                if kind == StopKind::Task {
                    self.solving = replaying;
                    if replaying {
                        self.tasks.entry(index).or_insert(TaskState::Shown);
                    } else {
                        self.open = Some(index);
                        self.tasks.insert(index, TaskState::Open);
                    }
                }
                return true;
            }
        };
        if let Err(message) = outcome {
            self.problems.push(ScenarioError { line: self.lines[at].line, message });
        }
        false
    }

    fn perform(&self, playground: &mut Playground, step: &Step, at: usize) -> Result<(), String> {
        if self.exact {
            return playground.apply(step.clone()).map(|_| ());
        }
        let connect_follows = |port: u16| {
            let next = self.lines.get(at + 1).map(|l| &l.item);
            matches!(next, Some(Item::Step(Step::Connect { port: p }) | Item::Solve(Step::Connect { port: p })) if *p == port)
        };
        match step {
            Step::Server { port, .. } | Step::Sentinel { port, .. } => playground.start_node(step, connect_follows(*port)).map(|_| ()),
            _ => scenario::perform(playground, step).map(|_| ()),
        }
    }
}
