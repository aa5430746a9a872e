//! The event log: what the servers wrote to their logs (handshakes,
//! syncs, lost links, promotions), newest at the bottom, stamped with
//! virtual time the way Redis stamps its log file. Lines can be narrowed
//! to one server.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::app::views::EventView;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub events: Vec<EventView>,
    /// The server picked out, if any.
    pub highlighted: Option<u16>,
    /// A line was chosen: pick out its server.
    pub on_pick: Callback<u16>,
}

#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let list = use_node_ref();
    // Which server's lines to show (all when none): a view choice only.
    let only = use_state(|| None::<u16>);
    let mut ports: Vec<u16> = props.events.iter().map(|e| e.port).collect();
    ports.sort_unstable();
    ports.dedup();
    let shown: Vec<&EventView> = props.events.iter().filter(|e| only.is_none_or(|p| p == e.port)).collect();
    let choose = |choice: Option<u16>| {
        let only = only.clone();
        Callback::from(move |_: MouseEvent| only.set(choice))
    };
    // Follow the newest line, as `tail -f` would.
    {
        let list = list.clone();
        use_effect_with(props.events.last().cloned(), move |_| {
            if let Some(element) = list.cast::<HtmlElement>() {
                element.set_scroll_top(element.scroll_height());
            }
        });
    }
    html! {
        <section class="event-log" aria-label="Event log">
            <div class="event-log-head">
                <h2>{ "Event log" }</h2>
                if ports.len() > 1 {
                    <span class="event-filter" role="group" aria-label="Show the lines of">
                        <button data-filter="all" aria-pressed={only.is_none().to_string()} onclick={choose(None)}>{ "all" }</button>
                        { for ports.iter().map(|&port| html! {
                            <button data-filter={port.to_string()} aria-pressed={(*only == Some(port)).to_string()}
                                    onclick={choose(Some(port))}>{ port }</button>
                        }) }
                    </span>
                }
            </div>
            if props.events.is_empty() {
                <p class="empty">{ "Nothing logged yet. Point a server at another with REPLICAOF to see the handshake." }</p>
            } else {
                <ol ref={list} data-event-log="">
                    { for shown.iter().map(|e| {
                        let pick = {
                            let on_pick = props.on_pick.clone();
                            let port = e.port;
                            Callback::from(move |_: MouseEvent| on_pick.emit(port))
                        };
                        let picked = props.highlighted == Some(e.port);
                        html! {
                            <li class={classes!("event", (e.level == '#').then_some("warning"), picked.then_some("picked"))}
                                data-port={e.port.to_string()}>
                                <button class="event-line" onclick={pick} aria-pressed={picked.to_string()}
                                        title={format!("Pick out server {} on the graph and its card", e.port)}>
                                    <span class="event-port">{ e.port }</span>
                                    <span class="event-stamp">{ &e.stamp }</span>
                                    <span class="event-role">{ format!("{} {}", e.role, e.level) }</span>
                                    <span class="event-text">{ &e.text }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}
