//! One server: its port, role and key count, a remove button, its console.

use yew::prelude::*;

use super::console::Console;
use super::node_controls::{CutToggle, IsolateToggle, Lifecycle};
use crate::app::views::NodeView;
use crate::ui::state::{Action, EditorTarget};

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub node: NodeView,
    pub on_run: Callback<(u16, String)>,
    pub on_interrupt: Callback<u16>,
    pub on_remove: Callback<u16>,
    /// Lifecycle and disk actions (crash, restart, upload).
    pub on_action: Callback<Action>,
    pub on_download: Callback<u16>,
    /// The other servers, which this one could replicate from.
    pub others: Vec<u16>,
    /// Picked out from the event log.
    #[prop_or_default]
    pub highlighted: bool,
}

/// The link delays a card offers (one way, in ms).
const LATENCIES: [i64; 5] = [0, 10, 50, 200, 1000];

#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let node = &props.node;
    let port = node.port;
    let on_remove = {
        let on_remove = props.on_remove.clone();
        Callback::from(move |_| on_remove.emit(port))
    };
    let keys = if !node.up {
        "not running".to_string()
    } else if node.keys == 1 {
        "1 key".to_string()
    } else {
        format!("{} keys", node.keys)
    };
    html! {
        <section class={classes!("node", (!node.up).then_some("is-down"), props.highlighted.then_some("picked"))}
                 data-node={port.to_string()} data-picked={props.highlighted.to_string()}
                 data-state={if !node.up { "down" } else if node.loading { "loading" } else { "up" }}
                 aria-label={format!("Redis server {port}")}>
            <header class="node-head">
                <h2 class="port">{ port }</h2>
                <span class={classes!("role", node.role.as_str())}>{ node.role.as_str() }</span>
                <span class="keys">{ keys }</span>
                if node.loading {
                    <span class="badge loading" title="Reading its dump: commands get LOADING until it is in">{ "loading…" }</span>
                }
                <button class="remove" title={format!("Remove server {port}")}
                        aria-label={format!("Remove server {port}")} onclick={on_remove}>{ "×" }</button>
            </header>
            <div class="node-actions" role="toolbar" aria-label={format!("Actions for server {port}")}>
                <Lifecycle {port} up={node.up} on_run={props.on_run.clone()} on_action={props.on_action.clone()}
                           titles={["SHUTDOWN: save (with save points set) and stop", "kill -9: stop at once, nothing saved",
                                    "Start again with its config file and its dump"]} />
                <IsolateToggle {port} isolated={node.isolated} on_action={props.on_action.clone()} />
                if let Some(master) = node.master.filter(|_| node.up) {
                    <CutToggle {port} {master} cut={node.cut} label="Cut link" on_action={props.on_action.clone()}
                               effect="nothing passes, both ends notice only after repl-timeout" />
                    { latency_choice(port, master, node.latency, &props.on_action) }
                }
                if node.up {
                    { replica_of_choice(port, node.master, &props.others, &props.on_action) }
                }
                <button data-config={port.to_string()} title="Edit this server's redis.conf (read at its next start)"
                        onclick={{
                            let on_action = props.on_action.clone();
                            Callback::from(move |_: MouseEvent| on_action.emit(Action::OpenEditor(EditorTarget::Existing(port))))
                        }}>{ "Config" }</button>
                { dump_buttons(port, node.has_dump, &props.on_download, &props.on_action) }
            </div>
            <Console port={port} view={node.console.clone()} on_run={props.on_run.clone()}
                     on_interrupt={props.on_interrupt.clone()} />
        </section>
    }
}

/// The one-way delay of the link to its master.
fn latency_choice(port: u16, master: u16, latency: i64, on_action: &Callback<Action>) -> Html {
    let onchange = {
        let on_action = on_action.clone();
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else { return };
            on_action.emit(Action::SetLatency(port, master, select.value().parse().unwrap_or(0)));
        })
    };
    html! {
        <label class="latency" title="One-way delay of the link to its master (loopback: none)">
            { "Latency" }
            <select data-latency={port.to_string()} aria-label={format!("Latency of the link from {port} to {master}")} {onchange}>
                { for LATENCIES.iter().map(|&ms| html! {
                    <option value={ms.to_string()} selected={latency == ms}>
                        { if ms == 0 { "none".to_string() } else { format!("{ms} ms") } }
                    </option>
                }) }
            </select>
        </label>
    }
}

/// The keyboard (and any pointer) path for what a drag on the graph does.
fn replica_of_choice(port: u16, master: Option<u16>, others: &[u16], on_action: &Callback<Action>) -> Html {
    let onchange = {
        let on_action = on_action.clone();
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else { return };
            on_action.emit(Action::Reparent(port, select.value().parse().ok()));
        })
    };
    html! {
        <label class="replica-of" title="REPLICAOF: which server this one copies (or none: a master)">
            { "Replica of" }
            <select {onchange} aria-label={format!("Make {port} a replica of")} data-replica-of={port.to_string()}>
                <option value="" selected={master.is_none()}>{ "none (master)" }</option>
                { for others.iter().map(|&other| html! {
                    <option value={other.to_string()} selected={master == Some(other)}>{ other }</option>
                }) }
            </select>
        </label>
    }
}

/// Downloading the server's dump, and uploading one for its next start.
fn dump_buttons(port: u16, has_dump: bool, on_download: &Callback<u16>, on_action: &Callback<Action>) -> Html {
    let on_download = {
        let on_download = on_download.clone();
        Callback::from(move |_: MouseEvent| on_download.emit(port))
    };
    let on_upload = {
        let on_action = on_action.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            input.set_value("");
            // Refused before a byte is read: a huge file would take the tab down.
            if let Some(refusal) = crate::app::playground::upload_refusal(file.size() as u64) {
                on_action.emit(Action::Refused(refusal));
                return;
            }
            let on_action = on_action.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    on_action.emit(Action::UploadDump { port, bytes });
                }
            });
        })
    };
    html! {
        <>
            <button onclick={on_download} disabled={!has_dump} aria-label="Download dump"
                    title="Download this server's dump file">{ "↓ dump" }</button>
            <label class="upload" title="Use an RDB file (from real Redis, say) as this server's dump; it loads at the next start">
                { "↑ dump" }
                <input type="file" accept=".rdb,application/octet-stream" onchange={on_upload}
                       aria-label={format!("Upload a dump for server {port}")} />
            </label>
        </>
    }
}
