//! The page's one state: the playground (simulator and consoles) behind a
//! shared cell, plus the snapshot the components render. Every action
//! produces a new state value so Yew re-renders.

use std::cell::RefCell;
use std::rc::Rc;

use yew::Reducible;

use crate::sim::playground::{NodeView, Playground};

pub enum Action {
    Run { port: u16, line: String },
    AddServer,
    RemoveServer(u16),
    /// Ctrl-C in a console.
    Interrupt(u16),
    /// Virtual time passes (milliseconds).
    Tick(i64),
}

#[derive(Clone)]
pub struct PageState {
    playground: Rc<RefCell<Playground>>,
    pub nodes: Vec<NodeView>,
    /// A message for the user about the last action, if it failed.
    pub notice: Option<String>,
}

impl PartialEq for PageState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.playground, &other.playground) && self.nodes == other.nodes && self.notice == other.notice
    }
}

impl PageState {
    pub fn new(seed: u64, start_ms: i64) -> PageState {
        let playground = Playground::new(seed, start_ms, &[6379, 6380, 6381]);
        let nodes = playground.nodes();
        PageState { playground: Rc::new(RefCell::new(playground)), nodes, notice: None }
    }
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut notice = None;
        {
            let mut playground = self.playground.borrow_mut();
            match action {
                Action::Run { port, line } => playground.run(port, &line),
                Action::AddServer => {
                    if let Err(e) = playground.add_server() {
                        notice = Some(format!("Could not add a server: {e}"));
                    }
                }
                Action::RemoveServer(port) => {
                    if let Err(e) = playground.remove_server(port) {
                        notice = Some(format!("Could not remove {port}: {e}"));
                    }
                }
                Action::Tick(ms) => playground.advance(ms),
                Action::Interrupt(port) => playground.interrupt(port),
            }
        }
        let nodes = self.playground.borrow().nodes();
        if nodes == self.nodes && notice.is_none() && self.notice.is_none() {
            return self;
        }
        Rc::new(PageState { playground: Rc::clone(&self.playground), nodes, notice })
    }
}
