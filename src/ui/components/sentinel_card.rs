//! One Sentinel: its port, what it watches and how it sees it (ok, sdown,
//! odown, the failover step), its lifecycle buttons and its console.

use yew::prelude::*;

use super::console::Console;
use super::node_controls::{CutToggle, IsolateToggle, Lifecycle};
use crate::app::views::SentinelView;
use crate::ui::state::{Action, EditorTarget};

#[derive(Properties, PartialEq)]
pub struct SentinelCardProps {
    pub sentinel: SentinelView,
    pub on_run: Callback<(u16, String)>,
    pub on_interrupt: Callback<u16>,
    pub on_remove: Callback<u16>,
    pub on_action: Callback<Action>,
    /// Picked out from the event log.
    #[prop_or_default]
    pub highlighted: bool,
}

#[function_component(SentinelCard)]
pub fn sentinel_card(props: &SentinelCardProps) -> Html {
    let s = &props.sentinel;
    let port = s.port;
    let on_remove = {
        let on_remove = props.on_remove.clone();
        Callback::from(move |_| on_remove.emit(port))
    };
    let watching = s.watching.iter().map(|w| {
        let status = match (w.status, w.failover) {
            (_, Some(step)) => format!("failover: {}", step.replace('_', " ")),
            ("ok", None) => "master ok".to_string(),
            ("sdown", None) => "master subjectively down".to_string(),
            (_, None) => "master objectively down".to_string(),
        };
        html! {
            <li data-watch={w.name.clone()} data-master={w.port.to_string()} data-status={w.status}>
                <strong>{ &w.name }</strong>{ format!(" → {}:{} · {status} · {} · {} · quorum {}",
                    w.host, w.port, count(w.replicas.len(), "replica"), count(w.sentinels, "Sentinel"), w.quorum) }
            </li>
        }
    });
    html! {
        <section class={classes!("node", "sentinel-node", (!s.up).then_some("is-down"), props.highlighted.then_some("picked"))}
                 data-node={port.to_string()} data-sentinel={port.to_string()} data-picked={props.highlighted.to_string()}
                 data-state={if s.up { "up" } else { "down" }} aria-label={format!("Redis Sentinel {port}")}>
            <header class="node-head">
                <h2 class="port">{ port }</h2>
                <span class="role sentinel">{ "sentinel" }</span>
                if !s.up {
                    <span class="keys">{ "not running" }</span>
                }
                <button class="remove" title={format!("Remove Sentinel {port}")}
                        aria-label={format!("Remove Sentinel {port}")} onclick={on_remove}>{ "×" }</button>
            </header>
            if s.up {
                <ul class="watching">{ for watching }</ul>
            }
            <div class="node-actions" role="toolbar" aria-label={format!("Actions for Sentinel {port}")}>
                <Lifecycle {port} up={s.up} on_run={props.on_run.clone()} on_action={props.on_action.clone()}
                           titles={["SHUTDOWN: the Sentinel stops", "kill -9: stop at once",
                                    "Start again with its sentinel.conf (as Sentinel last rewrote it)"]} />
                <IsolateToggle {port} isolated={s.isolated} on_action={props.on_action.clone()} />
                if let Some(master) = s.watching.first().map(|w| w.port).filter(|_| s.up) {
                    <CutToggle {port} {master} cut={s.cut} label="Cut from master" on_action={props.on_action.clone()}
                               effect="the Sentinel stops hearing its master" />
                }
                <button data-config={port.to_string()} title="Edit this Sentinel's sentinel.conf (read at its next start)"
                        onclick={{
                            let on_action = props.on_action.clone();
                            Callback::from(move |_: MouseEvent| on_action.emit(Action::OpenEditor(EditorTarget::Existing(port))))
                        }}>{ "Config" }</button>
            </div>
            <Console port={port} view={s.console.clone()} on_run={props.on_run.clone()}
                     on_interrupt={props.on_interrupt.clone()} />
        </section>
    }
}

/// `no replicas`, `1 replica`, `3 replicas`.
fn count(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}s"),
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}
