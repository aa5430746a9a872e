//! `use_line_editor`: the input line of a console as redis-cli's
//! linenoise edits it: Enter runs it, Up/Down walk the history, Tab
//! completes command names (again: the next one), Ctrl-C stops a
//! blocked command.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::engine::cli_help;

/// What the console binds to its input.
pub struct LineEditor {
    pub input_ref: NodeRef,
    /// The line as typed, for the argument hint.
    pub typed: UseStateHandle<String>,
    pub onkeydown: Callback<KeyboardEvent>,
    pub oninput: Callback<InputEvent>,
}

/// Where the editor is between keys.
#[derive(Default)]
struct State {
    /// Position while walking the history: None is the line being typed.
    history_pos: Option<usize>,
    /// What was typed before walking up, restored when walking back down.
    draft: String,
    /// Tab cycling: the line before the first Tab, and the completion shown.
    completing: Option<(String, usize)>,
}

#[hook]
pub fn use_line_editor(port: u16, history: Rc<Vec<String>>, waiting: bool, on_run: Callback<(u16, String)>, on_interrupt: Callback<u16>) -> LineEditor {
    let input_ref = use_node_ref();
    let typed = use_state(String::new);
    let state = use_mut_ref(State::default);
    let onkeydown = {
        let input_ref = input_ref.clone();
        let typed = typed.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(input) = input_ref.cast::<HtmlInputElement>() else { return };
            if e.ctrl_key() && e.key().eq_ignore_ascii_case("c") && waiting {
                e.prevent_default();
                on_interrupt.emit(port);
                return;
            }
            let set_line = |line: &str| {
                input.set_value(line);
                typed.set(line.to_string());
            };
            let key = e.key();
            if key != "Tab" {
                state.borrow_mut().completing = None;
            }
            match key.as_str() {
                // On an empty line Tab moves focus on as usual, so keyboard
                // users are never trapped in a console.
                "Tab" if !e.shift_key() && (state.borrow().completing.is_some() || !input.value().is_empty()) => {
                    // Tab completes in place; with nothing to complete it
                    // stays in the console rather than moving focus.
                    e.prevent_default();
                    complete(&state, &input.value(), set_line);
                }
                "Enter" => {
                    e.prevent_default();
                    let line = input.value();
                    set_line("");
                    state.borrow_mut().history_pos = None;
                    on_run.emit((port, line));
                }
                "ArrowUp" => {
                    e.prevent_default();
                    walk_up(&state, &history, &input.value(), set_line);
                }
                "ArrowDown" => {
                    e.prevent_default();
                    walk_down(&state, &history, set_line);
                }
                _ => {}
            }
        })
    };
    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                typed.set(input.value());
            }
        })
    };
    LineEditor { input_ref, typed, onkeydown, oninput }
}

/// Tab: the next command name the line could be; after the last one, the
/// line as it was typed (as linenoise does).
fn complete(state: &Rc<RefCell<State>>, line: &str, set_line: impl Fn(&str)) {
    let mut state = state.borrow_mut();
    let original = state.completing.as_ref().map_or_else(|| line.to_string(), |(o, _)| o.clone());
    let choices = cli_help::completions(&original);
    if choices.is_empty() {
        return;
    }
    let next = state.completing.as_ref().map_or(0, |(_, i)| i + 1);
    if next >= choices.len() {
        set_line(&original);
        state.completing = None;
    } else {
        set_line(&choices[next]);
        state.completing = Some((original, next));
    }
}

/// Up: the previous line of the history (what was being typed is kept).
fn walk_up(state: &Rc<RefCell<State>>, history: &[String], line: &str, set_line: impl Fn(&str)) {
    if history.is_empty() {
        return;
    }
    let mut state = state.borrow_mut();
    let next = match state.history_pos {
        None => {
            state.draft = line.to_string();
            history.len() - 1
        }
        Some(p) => p.saturating_sub(1),
    };
    state.history_pos = Some(next);
    set_line(&history[next]);
}

/// Down: the next line of the history, then what was being typed.
fn walk_down(state: &Rc<RefCell<State>>, history: &[String], set_line: impl Fn(&str)) {
    let mut state = state.borrow_mut();
    match state.history_pos {
        Some(p) if p + 1 < history.len() => {
            state.history_pos = Some(p + 1);
            set_line(&history[p + 1]);
        }
        Some(_) => {
            state.history_pos = None;
            set_line(&state.draft.clone());
        }
        None => {}
    }
}
