//! A console that behaves like redis-cli: the prompt, Enter runs the line,
//! Up/Down walk the history, the arguments still to type show greyed
//! after the cursor, Tab completes command names (again: the next one),
//! output scrolls to the newest line.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::engine::cli_help;
use crate::app::views::{ConsoleView, LineKind};

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub port: u16,
    pub view: ConsoleView,
    pub on_run: Callback<(u16, String)>,
    pub on_interrupt: Callback<u16>,
}

#[function_component(Console)]
pub fn console(props: &ConsoleProps) -> Html {
    let input_ref = use_node_ref();
    let output_ref = use_node_ref();
    // Position while walking the history: None is the line being typed.
    let history_pos = use_mut_ref(|| None::<usize>);
    // What was typed before walking up, restored when walking back down.
    let draft = use_mut_ref(String::new);
    // The line as typed, for the hint.
    let typed = use_state(String::new);
    // Tab cycling: the line before the first Tab, and the completion shown.
    let completing = use_mut_ref(|| None::<(String, usize)>);

    {
        let output_ref = output_ref.clone();
        use_effect_with(props.view.lines.len(), move |_| {
            if let Some(el) = output_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let onkeydown = {
        let input_ref = input_ref.clone();
        let history = props.view.history.clone();
        let on_run = props.on_run.clone();
        let on_interrupt = props.on_interrupt.clone();
        let waiting = props.view.waiting;
        let port = props.port;
        let typed = typed.clone();
        let completing = completing.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(input) = input_ref.cast::<HtmlInputElement>() else { return };
            if e.ctrl_key() && e.key().eq_ignore_ascii_case("c") && waiting {
                e.prevent_default();
                on_interrupt.emit(port);
                return;
            }
            if e.key() != "Tab" {
                *completing.borrow_mut() = None;
            }
            let set_line = |line: &str| {
                input.set_value(line);
                typed.set(line.to_string());
            };
            match e.key().as_str() {
                // On an empty line Tab moves focus on as usual, so keyboard
                // users are never trapped in a console.
                "Tab" if !e.shift_key() && (completing.borrow().is_some() || !input.value().is_empty()) => {
                    // Tab completes in place; with nothing to complete it
                    // stays in the console rather than moving focus.
                    e.prevent_default();
                    let mut state = completing.borrow_mut();
                    let original = state.as_ref().map_or_else(|| input.value(), |(o, _)| o.clone());
                    let choices = cli_help::completions(&original);
                    if choices.is_empty() {
                        return;
                    }
                    // After the last one, the line as it was typed (as linenoise does).
                    let next = state.as_ref().map_or(0, |(_, i)| i + 1);
                    if next >= choices.len() {
                        set_line(&original);
                        *state = None;
                    } else {
                        set_line(&choices[next]);
                        *state = Some((original, next));
                    }
                }
                "Enter" => {
                    e.prevent_default();
                    let line = input.value();
                    set_line("");
                    *history_pos.borrow_mut() = None;
                    on_run.emit((port, line));
                }
                "ArrowUp" => {
                    e.prevent_default();
                    if history.is_empty() {
                        return;
                    }
                    let mut pos = history_pos.borrow_mut();
                    let next = match *pos {
                        None => {
                            *draft.borrow_mut() = input.value();
                            history.len() - 1
                        }
                        Some(p) => p.saturating_sub(1),
                    };
                    *pos = Some(next);
                    set_line(&history[next]);
                }
                "ArrowDown" => {
                    e.prevent_default();
                    let mut pos = history_pos.borrow_mut();
                    match *pos {
                        Some(p) if p + 1 < history.len() => {
                            *pos = Some(p + 1);
                            set_line(&history[p + 1]);
                        }
                        Some(_) => {
                            *pos = None;
                            set_line(&draft.borrow());
                        }
                        None => {}
                    }
                }
                _ => {}
            }
        })
    };

    let focus_input = {
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            // Clicking the console focuses the line, unless text is being selected to copy.
            let selecting = web_sys::window()
                .and_then(|w| w.get_selection().ok().flatten())
                .is_some_and(|s| !s.is_collapsed());
            if !selecting {
                if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
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
    let hint = if props.view.waiting { None } else { cli_help::hint(&typed) };

    let port = props.port;
    html! {
        <div class="console" data-console={port.to_string()} onclick={focus_input}>
            <div class="output" data-output="" ref={output_ref} role="log" aria-live="polite"
                 aria-label={format!("Output of {port}")}>
                { for props.view.lines.iter().map(|line| {
                    let class = match line.kind {
                        LineKind::Input => "line input",
                        LineKind::Output => "line",
                        LineKind::Error => "line error",
                    };
                    html! { <div class={class}>{ &line.text }</div> }
                }) }
            </div>
            <div class="input-row">
                if props.view.waiting {
                    <span class="waiting">{ "waiting… Ctrl-C stops" }</span>
                } else {
                    <span class="prompt" aria-hidden="true">{ &props.view.prompt }</span>
                }
                <span class="command-wrap">
                    <input ref={input_ref} type="text" class="command" spellcheck="false" autocomplete="off"
                           autocapitalize="off" aria-label={format!("Command for server {port}")}
                           aria-describedby={format!("hint-{port}")} {onkeydown} {oninput} />
                    // The typed text, invisible, pushes the hint to just after it.
                    <span class="hint" aria-hidden="true">
                        <span class="typed">{ (*typed).clone() }</span>
                        <span class="rest" data-hint={port.to_string()}>{ hint.clone().unwrap_or_default() }</span>
                    </span>
                    <span class="visually-hidden" id={format!("hint-{port}")}>{ hint.map(|h| format!("Arguments: {}", h.trim())).unwrap_or_default() }</span>
                </span>
            </div>
        </div>
    }
}
