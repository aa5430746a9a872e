//! The event log: what the servers wrote to their logs (handshakes,
//! syncs, lost links, promotions), newest at the bottom, stamped with
//! virtual time the way Redis stamps its log file.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::sim::playground::EventView;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub events: Vec<EventView>,
}

#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let list = use_node_ref();
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
            <h2>{ "Event log" }</h2>
            if props.events.is_empty() {
                <p class="empty">{ "Nothing logged yet. Point a server at another with REPLICAOF to see the handshake." }</p>
            } else {
                <ol ref={list} data-event-log="">
                    { for props.events.iter().map(|e| html! {
                        <li class={classes!("event", (e.level == '#').then_some("warning"))} data-port={e.port.to_string()}>
                            <span class="event-port">{ e.port }</span>
                            <span class="event-stamp">{ &e.stamp }</span>
                            <span class="event-role">{ format!("{} {}", e.role, e.level) }</span>
                            <span class="event-text">{ &e.text }</span>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}
