//! The data view: the keys of the server chosen, and for a replica, which
//! keys still differ from its master (marked in words as well as colour)
//! while a sync or the replication stream catches up.

use yew::prelude::*;

use crate::app::data_view::{DataView, KeyState, ROWS_SHOWN};
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct DataPanelProps {
    /// The servers that can be chosen.
    pub ports: Vec<u16>,
    pub chosen: Option<u16>,
    pub view: Option<DataView>,
    pub on_action: Callback<Action>,
}

fn state_label(state: KeyState) -> (&'static str, &'static str) {
    match state {
        KeyState::Same => ("same", "as on its master"),
        KeyState::Differs => ("differs", "another value than on its master"),
        KeyState::Missing => ("missing", "on its master, not here yet"),
        KeyState::Extra => ("extra", "here, not on its master"),
        KeyState::Unknown => ("", ""),
    }
}

#[function_component(DataPanel)]
pub fn data_panel(props: &DataPanelProps) -> Html {
    let choose = |port: Option<u16>| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowData(port)))
    };
    let body = match (&props.chosen, &props.view) {
        (None, _) => html! { <p class="empty">{ "Choose a server to see its keys." }</p> },
        (Some(port), None) => html! { <p class="empty">{ format!("{port} is not running.") }</p> },
        (Some(_), Some(view)) => {
            let heading = match (view.master, view.too_big) {
                (_, true) => format!("{} keys: too many to compare, a sample of {} shown", view.total, view.rows.len().min(ROWS_SHOWN)),
                (Some(master), false) if view.differing == 0 => format!("{} keys, all as on its master {master}", view.total),
                (Some(master), false) => format!("{} keys; {} still differ from its master {master}", view.total, view.differing),
                (None, false) => format!("{} keys", view.total),
            };
            html! {
                <>
                    <p class="data-summary" data-differing={view.differing.to_string()}>{ heading }</p>
                    if view.rows.is_empty() {
                        <p class="empty">{ "(empty)" }</p>
                    } else {
                        <table class="data-table">
                            <thead><tr>
                                <th scope="col">{ "key" }</th><th scope="col">{ "type" }</th>
                                <th scope="col">{ "value" }</th><th scope="col">{ "ttl" }</th>
                                if view.master.is_some() { <th scope="col">{ "vs master" }</th> }
                            </tr></thead>
                            <tbody>
                                { for view.rows.iter().map(|r| {
                                    let (word, title) = state_label(r.state);
                                    let key = if r.db == 0 { r.key.clone() } else { format!("{} (db {})", r.key, r.db) };
                                    html! {
                                        <tr class={classes!("data-row", (!word.is_empty()).then_some(word))} data-key={r.key.clone()}
                                            data-state={word}>
                                            <td class="data-key">{ key }</td>
                                            <td>{ r.kind }</td>
                                            <td class="data-value">{ &r.summary }</td>
                                            <td>{ r.ttl_ms.map(|ms| format!("{:.1} s", ms as f64 / 1000.0)).unwrap_or_default() }</td>
                                            if view.master.is_some() { <td title={title}>{ word }</td> }
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    }
                </>
            }
        }
    };
    html! {
        <section class="data-panel" aria-label="Data view">
            <div class="data-head">
                <h2>{ "Data" }</h2>
                <span class="data-choice" role="group" aria-label="Show the keys of">
                    { for props.ports.iter().map(|&port| html! {
                        <button data-show-data={port.to_string()} aria-pressed={(props.chosen == Some(port)).to_string()}
                                onclick={choose(if props.chosen == Some(port) { None } else { Some(port) })}>{ port }</button>
                    }) }
                </span>
            </div>
            { body }
        </section>
    }
}
