//! The config file editor: a new server's `redis.conf` or a new Sentinel's
//! `sentinel.conf` (prefilled with the lesson's), or an existing node's,
//! as its next start will read it. Errors are redis-server's (or
//! redis-sentinel's) own, shown under the text.

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::ui::state::{Action, EditorTarget};

#[derive(Properties, PartialEq)]
pub struct ConfigEditorProps {
    pub target: EditorTarget,
    pub text: String,
    pub error: Option<String>,
    /// Whether the server is running (then "save" waits for a restart).
    pub running: bool,
    /// The file is a Sentinel's sentinel.conf.
    #[prop_or_default]
    pub sentinel: bool,
    pub on_action: Callback<Action>,
}

#[function_component(ConfigEditor)]
pub fn config_editor(props: &ConfigEditorProps) -> Html {
    let area = use_node_ref();
    {
        let area = area.clone();
        use_effect_with((), move |_| {
            if let Some(area) = area.cast::<HtmlTextAreaElement>() {
                let _ = area.focus();
            }
        });
    }
    // The text as the user edits it (a controlled field, so a re-render
    // of the page, which the clock causes often, never undoes typing).
    let draft = use_state(|| props.text.clone());
    let on_input = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<HtmlTextAreaElement>() {
                draft.set(area.value());
            }
        })
    };
    let submit = |restart: bool| {
        let area = area.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            // The field itself is the truth (input events may still be queued).
            if let Some(area) = area.cast::<HtmlTextAreaElement>() {
                on_action.emit(Action::SubmitConfig { text: area.value(), restart });
            }
        })
    };
    let cancel = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::CloseEditor))
    };
    let on_key = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                on_action.emit(Action::CloseEditor);
            }
        })
    };
    let (title, hint) = title_and_hint(props.target, props.sentinel, props.running);
    html! {
        <div class="editor-backdrop">
            <div class="editor" role="dialog" aria-modal="true" aria-labelledby="editor-title" onkeydown={on_key}
                 data-editor={match props.target {
                     EditorTarget::New => "new".to_string(),
                     EditorTarget::NewSentinel => "new-sentinel".to_string(),
                     EditorTarget::Existing(p) => p.to_string(),
                 }}>
                <h2 id="editor-title">{ title }</h2>
                <p class="editor-hint">{ hint }</p>
                <textarea ref={area.clone()} spellcheck="false" rows="10" aria-label="Config file"
                          value={(*draft).clone()} oninput={on_input} />
                if let Some(error) = &props.error {
                    <pre class="editor-error" role="alert">{ error }</pre>
                }
                <div class="editor-buttons">
                    { submit_buttons(props.target, props.running, submit) }
                    <button data-editor-action="cancel" onclick={cancel}>{ "Cancel" }</button>
                </div>
            </div>
        </div>
    }
}

/// The editor's heading, and what it says about when the file is read.
fn title_and_hint(target: EditorTarget, sentinel: bool, running: bool) -> (String, String) {
    let (node, file) = if sentinel { ("Sentinel", "sentinel.conf") } else { ("server", "redis.conf") };
    match target {
        EditorTarget::New => (
            "A new server".to_string(),
            "Its redis.conf. The server starts on the port it names.".to_string(),
        ),
        EditorTarget::NewSentinel => (
            "A new Sentinel".to_string(),
            "Its sentinel.conf: what it monitors (name, address, quorum) and how fast it acts. It starts on the port it names."
                .to_string(),
        ),
        EditorTarget::Existing(port) => (
            format!("{file} of {port}"),
            if running && sentinel {
                "Read when the Sentinel starts; while it runs it rewrites this file itself whenever its state changes, so use Save and restart.".to_string()
            } else if running {
                format!("Read when the {node} starts: save, then restart it for the changes to apply.")
            } else {
                format!("Read when the {node} starts.")
            },
        ),
    }
}

/// Start (a new node), or save (and restart) an existing one's file.
fn submit_buttons(target: EditorTarget, running: bool, submit: impl Fn(bool) -> Callback<MouseEvent>) -> Html {
    match target {
        EditorTarget::New => html! {
            <button class="primary" data-editor-action="start" onclick={submit(false)}>{ "Start server" }</button>
        },
        EditorTarget::NewSentinel => html! {
            <button class="primary" data-editor-action="start" onclick={submit(false)}>{ "Start Sentinel" }</button>
        },
        EditorTarget::Existing(_) => html! {
            <>
                <button class="primary" data-editor-action="restart" onclick={submit(true)}>
                    { if running { "Save and restart" } else { "Save and start" } }
                </button>
                <button data-editor-action="save" onclick={submit(false)}>{ "Save" }</button>
            </>
        },
    }
}
