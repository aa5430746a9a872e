//! The app shell: header, the row of server cards, the add-server button,
//! the time controls, and the clock that moves virtual time along with
//! real time.

use yew::prelude::*;

use super::config_editor::ConfigEditor;
use super::data_panel::DataPanel;
use super::event_log::EventLog;
use super::node_card::NodeCard;
use super::sentinel_card::SentinelCard;
use super::time_controls::TimeControls;
use super::topology::Topology;
use crate::ui::hooks::use_interval;
use crate::ui::state::{Action, EditorTarget, PageState};

/// Virtual time advances in steps of this many milliseconds.
const TICK_MS: u32 = 100;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        let now = js_sys::Date::now() as i64;
        // The seed only varies run ids between visits; it is no clock.
        PageState::new(now as u64, now)
    });

    use_interval(dispatch(&state, |()| Action::Tick(TICK_MS as i64)), TICK_MS);
    let on_add = dispatch(&state, |_: MouseEvent| Action::OpenEditor(EditorTarget::New));
    let on_add_sentinel = dispatch(&state, |_: MouseEvent| Action::OpenEditor(EditorTarget::NewSentinel));
    let on_run = dispatch(&state, |(port, line): (u16, String)| Action::Run { port, line });
    let on_interrupt = dispatch(&state, Action::Interrupt);
    let on_node_action = dispatch(&state, |action: Action| action);
    let on_dismiss = dispatch(&state, |_: MouseEvent| Action::DismissNotice);
    let on_reparent = dispatch(&state, |(port, target): (u16, Option<u16>)| Action::Reparent(port, target));
    let on_remove = dispatch(&state, Action::RemoveServer);
    let on_download = {
        let state = state.clone();
        Callback::from(move |port: u16| {
            if let Some((name, bytes)) = state.dump_file(port) {
                crate::ui::hooks::download(&name, &bytes);
            }
        })
    };
    let on_pick = {
        let state = state.clone();
        Callback::from(move |port: u16| {
            state.dispatch(Action::Highlight(Some(port)));
            scroll_to_card(port);
        })
    };

    html! {
        <div class="app">
            <header class="topbar">
                <h1>{ "Redis replication playground" }</h1>
                <p class="tagline">{ "Virtual Redis 7.0 servers in your browser. Type commands as you would in redis-cli." }</p>
                <TimeControls paused={state.clock.paused} speed={state.clock.speed}
                              elapsed_ms={state.clock.elapsed_ms} on_action={on_node_action.clone()} />
                <button class="add-server" onclick={on_add}>{ "+ Add server" }</button>
                <button class="add-server add-sentinel" onclick={on_add_sentinel}
                        title="Start redis-sentinel from a sentinel.conf (the lesson's: sentinel monitor mymaster 127.0.0.1 <master> 1)">{ "+ Add Sentinel" }</button>
            </header>
            if let Some(notice) = &state.notice {
                <p class="notice" role="status">
                    { notice }
                    <button class="dismiss" aria-label="Dismiss this message" onclick={on_dismiss}>{ "×" }</button>
                </p>
            }
            if !state.nodes.is_empty() {
                <Topology nodes={state.nodes.clone()} sentinels={state.sentinels.clone()} on_reparent={on_reparent} highlighted={state.highlighted} />
            }
            <main class="nodes">
                { for state.nodes.iter().map(|node| html! {
                    <NodeCard key={node.port} node={node.clone()} on_run={on_run.clone()}
                              on_interrupt={on_interrupt.clone()} on_remove={on_remove.clone()}
                              on_action={on_node_action.clone()} on_download={on_download.clone()}
                              others={state.nodes.iter().map(|n| n.port).filter(|&p| p != node.port).collect::<Vec<_>>()}
                              highlighted={state.highlighted == Some(node.port)} />
                }) }
                if state.nodes.is_empty() {
                    <p class="empty">{ "No servers. Add one to start." }</p>
                }
                { for state.sentinels.iter().map(|s| html! {
                    <SentinelCard key={s.port} sentinel={s.clone()} on_run={on_run.clone()}
                                  highlighted={state.highlighted == Some(s.port)}
                                  on_interrupt={on_interrupt.clone()} on_remove={on_remove.clone()}
                                  on_action={on_node_action.clone()} />
                }) }
            </main>
            { editor_view(&state, &on_node_action) }
            <DataPanel ports={state.nodes.iter().map(|n| n.port).collect::<Vec<_>>()} chosen={state.data_port}
                       view={state.data.clone()} on_action={on_node_action.clone()} />
            <EventLog events={state.events.clone()} highlighted={state.highlighted} on_pick={on_pick} />
        </div>
    }
}

/// A callback that dispatches the action `make` builds from its argument.
fn dispatch<T: 'static>(state: &UseReducerHandle<PageState>, make: impl Fn(T) -> Action + 'static) -> Callback<T> {
    let state = state.clone();
    Callback::from(move |value: T| state.dispatch(make(value)))
}

/// Brings a server's card into view (an event log line was picked).
fn scroll_to_card(port: u16) {
    let card = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&format!("[data-node=\"{port}\"]")).ok().flatten());
    if let Some(card) = card {
        card.scroll_into_view();
    }
}

/// The config editor, while it is open.
fn editor_view(state: &PageState, on_action: &Callback<Action>) -> Html {
    let Some(editor) = &state.editor else { return Html::default() };
    let (sentinel, running) = match editor.target {
        EditorTarget::NewSentinel => (true, false),
        EditorTarget::New => (false, false),
        EditorTarget::Existing(port) => (
            state.sentinels.iter().any(|s| s.port == port),
            state.nodes.iter().any(|n| n.port == port && n.up) || state.sentinels.iter().any(|s| s.port == port && s.up),
        ),
    };
    html! {
        <ConfigEditor target={editor.target} {sentinel} text={editor.text.clone()} error={editor.error.clone()}
                      {running} on_action={on_action.clone()} />
    }
}
