//! The app shell: header, the row of server cards, the add-server button,
//! the time controls, the guide of a loaded scenario, sharing, and the
//! clock that moves virtual time along with real time. Embedded
//! (`?embed`), it shows only the panels asked for.

use yew::prelude::*;

use super::config_editor::ConfigEditor;
use super::data_panel::DataPanel;
use super::event_log::EventLog;
use super::guide_panel::GuidePanel;
use super::instruments::Instruments;
use super::node_card::NodeCard;
use super::sentinel_card::SentinelCard;
use super::share_panel::SharePanel;
use super::time_controls::TimeControls;
use super::time_travel::TimeTravelBar;
use super::topology::Topology;
use super::writes_panel::WritesPanel;
use crate::app::address::{self, Address, Source};
use crate::ui::bridge;
use crate::ui::hooks::use_interval;
use crate::ui::state::{Action, EditorTarget, Instrument, PageState, Share};

/// A permalink longer than this is offered as a file instead.
const MAX_LINK_BYTES: usize = 8 * 1024;

/// Virtual time advances in steps of this many milliseconds.
const TICK_MS: u32 = 100;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        // The seed only varies run ids between visits; it is no clock.
        PageState::new(page_address(), js_sys::Date::now() as u64)
    });
    {
        let state = state.clone();
        use_effect_with((), move |()| start(&state));
    }

    use_interval(dispatch(&state, |()| Action::Tick(TICK_MS as i64)), TICK_MS);
    let on_add = dispatch(&state, |_: MouseEvent| Action::OpenEditor(EditorTarget::New));
    let on_add_sentinel = dispatch(&state, |_: MouseEvent| Action::OpenEditor(EditorTarget::NewSentinel));
    let on_node_action = dispatch(&state, |action: Action| action);
    let on_dismiss = dispatch(&state, |_: MouseEvent| Action::DismissNotice);
    let on_reparent = dispatch(&state, |(port, target): (u16, Option<u16>)| Action::Reparent(port, target));
    let on_download = {
        let state = state.clone();
        Callback::from(move |port: u16| {
            if let Some((name, bytes)) = state.dump_file(port) {
                crate::ui::hooks::download(&name, &bytes);
            }
        })
    };
    let on_guide = dispatch(&state, Action::Guide);
    let on_share = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| share(&state))
    };
    let on_pick = {
        let state = state.clone();
        Callback::from(move |port: u16| {
            state.dispatch(Action::Highlight(Some(port)));
            scroll_to_card(port);
        })
    };

    let embed = state.address.embed;
    let panels = state.address.panels;
    let graph = panels.graph && !state.nodes.is_empty();
    html! {
        <div class={classes!("app", embed.then_some("embedded"))} data-loading={state.loading.to_string()}>
            <header class="topbar">
                if !embed {
                    <h1>{ "Redis replication playground" }</h1>
                    <p class="tagline">{ "Virtual Redis 7.0 servers in your browser. Type commands as you would in redis-cli." }</p>
                }
                <TimeControls paused={state.clock.paused} speed={state.clock.speed}
                              elapsed_ms={state.clock.elapsed_ms} on_action={on_node_action.clone()} />
                if panels.consoles {
                    <button class="add-server" onclick={on_add}>{ "+ Add server" }</button>
                    <button class="add-server add-sentinel" onclick={on_add_sentinel}
                            title="Start redis-sentinel from a sentinel.conf (the lesson's: sentinel monitor mymaster 127.0.0.1 <master> 1)">{ "+ Add Sentinel" }</button>
                }
                <button class="share" data-instruments="open" onclick={dispatch(&state, |_: MouseEvent| Action::ShowInstruments(Some(Instrument::Psync)))}
                        title="See inside replication: the bytes on a link, why each resync was partial or full">{ "Instruments" }</button>
                <button class="share" data-share="make" onclick={on_share}
                        title="A link that replays this session: its seed and every step taken">{ "Share" }</button>
            </header>
            <TimeTravelBar view={state.time_travel.clone()} on_action={on_node_action.clone()} />
            { share_view(&state) }
            if state.loading {
                <p class="loading" role="status">{ "Loading the scenario…" }</p>
            }
            if let Some(error) = &state.load_error {
                <p class="load-error" role="alert">{ error }</p>
            }
            if let Some(notice) = &state.notice {
                <p class="notice" role="status">
                    { notice }
                    <button class="dismiss" aria-label="Dismiss this message" onclick={on_dismiss}>{ "×" }</button>
                </p>
            }
            if let Some(guide) = &state.guide {
                <GuidePanel view={guide.clone()} lang={state.address.lang} on_step={on_guide} />
            }
            if let Some(writes) = &state.writes {
                <WritesPanel view={writes.clone()} />
            }
            if graph {
                <Topology nodes={state.nodes.clone()} sentinels={state.sentinels.clone()} on_reparent={on_reparent} highlighted={state.highlighted}
                          on_inspect={dispatch(&state, |link| Action::Inspect(Some(link)))} inspected={state.inspect} />
            }
            if let Some(tab) = state.instrument {
                <Instruments {tab} wire={state.wire.clone()} psyncs={state.psyncs.clone()} charts={state.charts.clone()} reasoning={state.reasoning.clone()} on_action={on_node_action.clone()} />
            }
            if panels.consoles {
                { node_cards(&state, &on_node_action, &on_download) }
            }
            { editor_view(&state, &on_node_action) }
            if panels.data {
                <DataPanel ports={state.nodes.iter().map(|n| n.port).collect::<Vec<_>>()} chosen={state.data_port}
                           view={state.data.clone()} on_action={on_node_action.clone()} />
            }
            if panels.log {
                <EventLog events={state.events.clone()} highlighted={state.highlighted} on_pick={on_pick} />
            }
        </div>
    }
}

/// The permalink just made, or the file to download instead.
fn share_view(state: &UseReducerHandle<PageState>) -> Html {
    let Some(share) = &state.share else { return Html::default() };
    let on_copy = Callback::from(|url: String| {
        wasm_bindgen_futures::spawn_local(async move {
            bridge::copy(&url).await;
        })
    });
    let on_download = Callback::from(|text: String| crate::ui::hooks::download("session.scn", text.as_bytes()));
    let on_close = dispatch(state, |()| Action::Shared(None));
    html! { <SharePanel share={share.clone()} {on_copy} {on_download} {on_close} /> }
}

/// A card per server and per Sentinel, with its console.
fn node_cards(state: &PageState, on_action: &Callback<Action>, on_download: &Callback<u16>) -> Html {
    let on_run = on_action.reform(|(port, line): (u16, String)| Action::Run { port, line });
    let on_interrupt = on_action.reform(Action::Interrupt);
    let on_remove = on_action.reform(Action::RemoveServer);
    let on_node_action = on_action.clone();
    html! {
        <main class="nodes">
            { for state.nodes.iter().map(|node| html! {
                <NodeCard key={node.port} node={node.clone()} on_run={on_run.clone()}
                          on_interrupt={on_interrupt.clone()} on_remove={on_remove.clone()}
                          on_action={on_node_action.clone()} on_download={on_download.clone()}
                          others={state.nodes.iter().map(|n| n.port).filter(|&p| p != node.port).collect::<Vec<_>>()}
                          highlighted={state.highlighted == Some(node.port)} />
            }) }
            if state.nodes.is_empty() && !state.loading {
                <p class="empty">{ "No servers. Add one to start." }</p>
            }
            { for state.sentinels.iter().map(|s| html! {
                <SentinelCard key={s.port} sentinel={s.clone()} on_run={on_run.clone()}
                              highlighted={state.highlighted == Some(s.port)}
                              on_interrupt={on_interrupt.clone()} on_remove={on_remove.clone()}
                              on_action={on_node_action.clone()} />
            }) }
        </main>
    }
}

/// What the page's address asks for.
fn page_address() -> Address {
    let location = web_sys::window().map(|w| w.location());
    let search = location.as_ref().and_then(|l| l.search().ok()).unwrap_or_default();
    let hash = location.as_ref().and_then(|l| l.hash().ok()).unwrap_or_default();
    address::parse(&search, &hash)
}

/// Once, at mount: the embedding bridge, the scenario the address asks
/// for when it must be fetched or inflated, a permalink opened later in
/// the same page (only its fragment changes), and `ready` once the page
/// takes commands.
fn start(state: &UseReducerHandle<PageState>) {
    if bridge::is_framed() {
        crate::ui::frame_api::install(state, state.dispatcher());
    }
    let dispatcher = state.dispatcher();
    let source = state.address.source.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = match source {
            Source::File(url) if !address::is_fetchable_url(&url) => Some(Err(format!("{url} is not a relative or http(s) address"))),
            Source::File(url) => Some(bridge::fetch(&url).await),
            Source::Inline(data) => Some(bridge::inflate(&data).await),
            _ => None,
        };
        match loaded {
            Some(Ok(text)) => dispatcher.dispatch(Action::LoadScenario(text)),
            Some(Err(error)) => dispatcher.dispatch(Action::LoadFailed(error)),
            None => {}
        }
        bridge::emit("ready", None);
    });
    let dispatcher = state.dispatcher();
    let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let address = page_address();
        if let Source::Inline(data) = address.source {
            let dispatcher = dispatcher.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::inflate(&data).await {
                    Ok(text) => dispatcher.dispatch(Action::LoadScenario(text)),
                    Err(error) => dispatcher.dispatch(Action::LoadFailed(error)),
                }
            });
        }
    });
    if let Some(window) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ = window.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    }
    on_hash.forget();
}

/// Makes the session's permalink (or, too long for a link, offers its file).
fn share(state: &UseReducerHandle<PageState>) {
    let text = state.scenario_text();
    let lang = state.address.lang;
    let dispatcher = state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        let data = match bridge::deflate(&text).await {
            Ok(data) => data,
            Err(_) => {
                dispatcher.dispatch(Action::Shared(Some(Share::TooLong { link_bytes: 0, text })));
                return;
            }
        };
        let location = web_sys::window().map(|w| w.location());
        let page = location.as_ref().and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))).unwrap_or_default();
        let query = if lang == "zh" { "?lang=zh" } else { "" };
        let link = format!("{page}{query}#scenario={data}");
        let share = if link.len() > MAX_LINK_BYTES { Share::TooLong { link_bytes: link.len(), text } } else { Share::Link(link) };
        dispatcher.dispatch(Action::Shared(Some(share)));
    });
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
