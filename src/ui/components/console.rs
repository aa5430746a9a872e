//! A console that behaves like redis-cli: the prompt, Enter runs the line,
//! Up/Down walk the history, the arguments still to type show greyed
//! after the cursor, Tab completes command names (again: the next one),
//! output scrolls to the newest line.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::engine::cli_help;
use crate::app::views::{ConsoleView, Line, LineKind};
use crate::ui::hooks::{use_line_editor, LineEditor};

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub port: u16,
    pub view: ConsoleView,
    pub on_run: Callback<(u16, String)>,
    pub on_interrupt: Callback<u16>,
}

#[function_component(Console)]
pub fn console(props: &ConsoleProps) -> Html {
    let output_ref = use_node_ref();
    let port = props.port;
    let view = &props.view;
    let editor = use_line_editor(port, view.history.clone(), view.waiting, props.on_run.clone(), props.on_interrupt.clone());
    {
        let output_ref = output_ref.clone();
        use_effect_with(view.lines.len(), move |_| {
            if let Some(el) = output_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let focus_input = {
        let input_ref = editor.input_ref.clone();
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
    let hint = if view.waiting { None } else { cli_help::hint(&editor.typed) };
    let LineEditor { input_ref, typed, onkeydown, oninput } = editor;
    html! {
        <div class="console" data-console={port.to_string()} onclick={focus_input}>
            <div class="output" data-output="" ref={output_ref} role="log" aria-live="polite"
                 aria-label={format!("Output of {port}")}>
                { for view.lines.iter().map(output_line) }
            </div>
            <div class="input-row">
                if view.waiting {
                    <span class="waiting">{ "waiting… Ctrl-C stops" }</span>
                } else {
                    <span class="prompt" aria-hidden="true">{ &view.prompt }</span>
                }
                <span class="command-wrap">
                    <input ref={input_ref} type="text" class="command" spellcheck="false" autocomplete="off"
                           autocapitalize="off" aria-label={format!("Command for server {port}")}
                           aria-describedby={format!("hint-{port}")} {onkeydown} {oninput} />
                    // The typed text, invisible, pushes the hint to just after it.
                    <span class="hint" aria-hidden="true">
                        <span class="typed">{ crate::app::views::shown(&typed).into_owned() }</span>
                        <span class="rest" data-hint={port.to_string()}>{ hint.clone().unwrap_or_default() }</span>
                    </span>
                    <span class="visually-hidden" id={format!("hint-{port}")}>{ hint.map(|h| format!("Arguments: {}", h.trim())).unwrap_or_default() }</span>
                </span>
            </div>
        </div>
    }
}

fn output_line(line: &Line) -> Html {
    let class = match line.kind {
        LineKind::Input => "line input",
        LineKind::Output => "line",
        LineKind::Error => "line error",
    };
    html! { <div class={class}>{ crate::app::views::shown(&line.text).into_owned() }</div> }
}
