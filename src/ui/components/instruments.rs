//! The instruments under the graph: the wire inspector (a link's frames,
//! decoded and raw, with their offsets; filtered by kind; following live or
//! held still; the frames that carried the command typed last marked) and
//! the PSYNC explainer (each (re)connection's verdict, and why).

use std::collections::BTreeSet;
use std::rc::Rc;

use yew::prelude::*;

use crate::app::instruments::{FrameView, PsyncView, WireView};
use crate::app::metrics::LagChart;
use crate::app::reasoning::Reasoning;
use crate::app::views::format_elapsed;
use crate::app::wire::{Direction, FrameKind};
use crate::ui::state::{Action, Instrument};

#[derive(Properties, PartialEq)]
pub struct InstrumentsProps {
    pub tab: Instrument,
    pub wire: Option<WireView>,
    pub psyncs: Vec<PsyncView>,
    pub charts: Vec<LagChart>,
    pub reasoning: Option<Reasoning>,
    pub on_action: Callback<Action>,
}

#[function_component(Instruments)]
pub fn instruments(props: &InstrumentsProps) -> Html {
    let show = |tab: Instrument| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowInstruments(Some(tab))))
    };
    let close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowInstruments(None)))
    };
    let body = match props.tab {
        Instrument::Wire => match &props.wire {
            Some(wire) => html! { <WireInspector wire={wire.clone()} /> },
            None => html! { <p class="empty">{ "Click a line on the graph to see the bytes on that link." }</p> },
        },
        Instrument::Psync => html! { <PsyncExplainer psyncs={props.psyncs.clone()} /> },
        Instrument::Lag => lag_charts(&props.charts),
        Instrument::Sentinel => sentinel_reasoning(props.reasoning.as_ref()),
    };
    html! {
        <section class="instruments" aria-label="Instruments" data-instrument={match props.tab { Instrument::Wire => "wire", Instrument::Psync => "psync", Instrument::Lag => "lag", Instrument::Sentinel => "sentinel" }}>
            <div class="instrument-tabs" role="tablist">
                <button role="tab" data-tab="wire" aria-selected={(props.tab == Instrument::Wire).to_string()} onclick={show(Instrument::Wire)}>{ "Wire" }</button>
                <button role="tab" data-tab="psync" aria-selected={(props.tab == Instrument::Psync).to_string()} onclick={show(Instrument::Psync)}>{ "PSYNC" }</button>
                <button role="tab" data-tab="lag" aria-selected={(props.tab == Instrument::Lag).to_string()} onclick={show(Instrument::Lag)}>{ "Lag" }</button>
                <button role="tab" data-tab="sentinel" aria-selected={(props.tab == Instrument::Sentinel).to_string()} onclick={show(Instrument::Sentinel)}>{ "Sentinel" }</button>
                <button class="dismiss" aria-label="Close the instruments" onclick={close}>{ "×" }</button>
            </div>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct WireInspectorProps {
    wire: WireView,
}

#[function_component(WireInspector)]
fn wire_inspector(props: &WireInspectorProps) -> Html {
    let wire = &props.wire;
    // Held still: the frames as they were when the learner paused.
    let held = use_state(|| None::<Rc<Vec<FrameView>>>);
    let hidden = use_state(|| BTreeSet::from([FrameKind::KeepAlive]));
    let opened = use_state(|| None::<usize>);
    let list = use_node_ref();
    let frames = held.as_ref().cloned().unwrap_or_else(|| Rc::clone(&wire.frames));
    {
        // Following live, the newest frame stays in sight.
        let list = list.clone();
        let following = held.is_none();
        use_effect_with((wire.frames.len(), wire.total, following), move |(_, _, following)| {
            if let (true, Some(element)) = (*following, list.cast::<web_sys::HtmlElement>()) {
                element.set_scroll_top(element.scroll_height());
            }
        });
    }
    let toggle_hold = {
        let (held, current) = (held.clone(), Rc::clone(&wire.frames));
        Callback::from(move |_: MouseEvent| held.set(if held.is_some() { None } else { Some(Rc::clone(&current)) }))
    };
    let find_typed = {
        let list = list.clone();
        Callback::from(move |_: MouseEvent| {
            let element = list.cast::<web_sys::Element>().and_then(|l| l.query_selector("[data-carries-typed=\"true\"]").ok().flatten());
            if let Some(row) = element {
                row.scroll_into_view();
            }
        })
    };
    let filters = FrameKind::ALL.iter().map(|&kind| {
        let hidden = hidden.clone();
        let shown = !hidden.contains(&kind);
        let onchange = Callback::from(move |_: Event| {
            let mut set = (*hidden).clone();
            if !set.remove(&kind) {
                set.insert(kind);
            }
            hidden.set(set);
        });
        html! {
            <label class="wire-filter">
                <input type="checkbox" checked={shown} data-filter={kind.as_str()} {onchange} />
                { kind.as_str() }
            </label>
        }
    });
    let rows = frames.iter().filter(|f| !hidden.contains(&f.kind)).map(|f| {
        let i = f.number;
        let open = *opened == Some(i);
        let onclick = {
            let opened = opened.clone();
            Callback::from(move |_: MouseEvent| opened.set(if open { None } else { Some(i) }))
        };
        let (arrow, towards) = match f.direction {
            Direction::ToMaster => ("→", format!("to {}", wire.master)),
            Direction::ToReplica => ("←", format!("to {}", wire.replica)),
        };
        html! {
            <li key={f.number} class={classes!("frame", f.kind.as_str(), f.carries_typed.then_some("typed"))} data-kind={f.kind.as_str()}
                data-carries-typed={f.carries_typed.to_string()}
                data-offsets={f.offsets.map(|(a, b)| format!("{a}-{b}"))} {onclick}>
                <span class="frame-time">{ format_elapsed(f.elapsed_ms) }</span>
                <span class="frame-dir" title={towards}>{ arrow }</span>
                <span class="frame-kind">{ f.kind.as_str() }</span>
                <span class="frame-text">{ &f.text }</span>
                <span class="frame-offsets">{ match f.offsets {
                    Some((before, after)) => format!("{before} → {after}"),
                    None => format!("{} B", f.len),
                } }</span>
                if open {
                    <code class="frame-raw">{ if f.kind == FrameKind::Rdb { format!("{} … ({} bytes in all)", f.raw, f.len) } else { f.raw.clone() } }</code>
                }
            </li>
        }
    });
    html! {
        <div class="wire" data-link={format!("{}-{}", wire.replica, wire.master)}>
            <div class="wire-head">
                <strong>{ format!("{} → {}: the replica's link to its master", wire.replica, wire.master) }</strong>
                <button data-wire="hold" aria-pressed={held.is_some().to_string()} onclick={toggle_hold}>
                    { if held.is_some() { "Follow live" } else { "Hold still" } }
                </button>
                if wire.typed.is_some() {
                    <button data-wire="find-typed" onclick={find_typed} title={wire.typed.clone()}>{ "Find the command typed last" }</button>
                }
                <span class="wire-count">{ format!("{} of {} frames", frames.len(), wire.total) }</span>
            </div>
            <div class="wire-filters">{ for filters }</div>
            <ol class="wire-frames" ref={list}>
                { for rows }
                if let Some((arrived, total)) = wire.arriving {
                    <li class="frame rdb arriving" data-kind="rdb-arriving">
                        <span class="frame-time"></span>
                        <span class="frame-dir">{ "←" }</span>
                        <span class="frame-kind">{ "rdb" }</span>
                        <span class="frame-text">{ match total {
                            Some(total) => format!("RDB snapshot arriving: {arrived} of {total} bytes ({}%)", arrived * 100 / total.max(1)),
                            None => format!("RDB snapshot arriving: {arrived} bytes so far (diskless: its size shows at its end)"),
                        } }</span>
                        <span class="frame-offsets"></span>
                    </li>
                }
            </ol>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PsyncExplainerProps {
    psyncs: Vec<PsyncView>,
}

#[function_component(PsyncExplainer)]
fn psync_explainer(props: &PsyncExplainerProps) -> Html {
    if props.psyncs.is_empty() {
        return html! { <p class="empty">{ "No replica has asked a master to sync yet." }</p> };
    }
    html! {
        <ol class="psync-cards">
            { for props.psyncs.iter().map(|p| html! {
                <li class={classes!("psync-card", p.verdict.to_ascii_lowercase())} data-verdict={p.verdict}
                    data-replica={p.replica.to_string()} data-master={p.master.to_string()}>
                    <p class="psync-head">
                        <span class="psync-verdict">{ p.verdict }</span>
                        { format!(" {} → {} at {}", p.replica, p.master, format_elapsed(p.elapsed_ms)) }
                    </p>
                    <ul>{ for p.explanation.iter().map(|line| html! { <li>{ line }</li> }) }</ul>
                </li>
            }) }
        </ol>
    }
}

const CHART_W: f64 = 600.0;
const CHART_H: f64 = 64.0;

/// Each replica's bytes behind its master and its lag over the last
/// minutes of virtual time, with cuts, heals, syncs and promotions marked.
fn lag_charts(charts: &[LagChart]) -> Html {
    if charts.is_empty() {
        return html! { <p class="empty">{ "No replica yet: make a server the replica of another to chart its lag." }</p> };
    }
    html! {
        <div class="lag-charts">
            { for charts.iter().map(lag_chart) }
        </div>
    }
}

fn lag_chart(chart: &LagChart) -> Html {
    let span = (chart.to - chart.from).max(1) as f64;
    let x = |at: i64| (at - chart.from) as f64 / span * CHART_W;
    let most_behind = chart.samples.iter().filter_map(|s| s.behind).max().unwrap_or(0).max(1) as f64;
    let most_lag = chart.samples.iter().filter_map(|s| s.lag).max().unwrap_or(0).max(1) as f64;
    let line = |value: &dyn Fn(&crate::app::metrics::Sample) -> Option<f64>| {
        chart
            .samples
            .iter()
            .filter_map(|s| value(s).map(|v| format!("{:.1},{:.1}", x(s.at), CHART_H - 4.0 - v * (CHART_H - 14.0))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let behind = line(&|s| s.behind.map(|b| b as f64 / most_behind));
    let lag = line(&|s| s.lag.map(|l| l as f64 / most_lag));
    let last = chart.samples.last();
    html! {
        <figure class="lag-chart" data-replica={chart.port.to_string()}
                data-behind={last.and_then(|s| s.behind).map(|b| b.to_string())} data-marks={chart.marks.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>().join(",")}>
            <figcaption>
                <strong>{ chart.port }</strong>
                { format!(" behind its master: {} bytes now (at most {} in view) · lag {} s",
                    last.and_then(|s| s.behind).map_or("?".into(), |b| b.to_string()), most_behind as i64,
                    last.and_then(|s| s.lag).map_or("?".into(), |l| l.to_string())) }
                <span class="lag-window">{ format!("{} – {}", format_elapsed(chart.from), format_elapsed(chart.to)) }</span>
            </figcaption>
            <svg viewBox={format!("0 0 {CHART_W} {CHART_H}")} preserveAspectRatio="none" role="img"
                 aria-label={format!("{} bytes behind and lag over time", chart.port)}>
                { for chart.marks.iter().map(|m| html! {
                    <g class={classes!("mark", m.kind.as_str().replace(' ', "-"))}>
                        <title>{ format!("{} at {}", m.kind.as_str(), format_elapsed(m.at)) }</title>
                        <line x1={x(m.at).to_string()} x2={x(m.at).to_string()} y1="0" y2={CHART_H.to_string()} />
                    </g>
                }) }
                <polyline class="behind" points={behind} />
                <polyline class="lag" points={lag} />
            </svg>
            <p class="lag-legend">
                <span class="key behind">{ "bytes behind" }</span>
                <span class="key lag">{ "lag (s)" }</span>
                { for chart.marks.iter().rev().take(4).map(|m| html! { <span class="key mark">{ format!("{} {}", m.kind.as_str(), format_elapsed(m.at)) }</span> }) }
            </p>
        </figure>
    }
}

/// Each Sentinel's timeline side by side, and the ranking of the replicas
/// the leader weighed.
fn sentinel_reasoning(reasoning: Option<&Reasoning>) -> Html {
    let Some(reasoning) = reasoning.filter(|r| !r.timelines.is_empty()) else {
        return html! { <p class="empty">{ "No Sentinel yet: add one to see how it reasons." }</p> };
    };
    let ranking = reasoning.ranking.as_ref().map(|view| {
        let r = &view.ranking;
        html! {
            <div class="ranking" data-sentinel={view.sentinel.to_string()}>
                <p>{ format!("Sentinel {} chose the replica to promote for {} (epoch {}) at {}: priority first (lowest wins, 0 never), then the largest replication offset, then the smallest run id.",
                    view.sentinel, r.master, r.epoch, format_elapsed(view.elapsed_ms)) }</p>
                <table>
                    <thead><tr><th>{ "rank" }</th><th>{ "replica" }</th><th>{ "priority" }</th><th>{ "offset" }</th><th>{ "run id" }</th><th>{ "left out because" }</th></tr></thead>
                    <tbody>
                        { for r.candidates.iter().map(|c| html! {
                            <tr class={classes!(c.rank.is_some_and(|n| n == 1).then_some("chosen"), c.excluded.is_some().then_some("excluded"))}
                                data-port={c.port.to_string()} data-rank={c.rank.map(|n| n.to_string())}
                                data-excluded={c.excluded.map(|e| e.as_str())}>
                                <td>{ c.rank.map_or("–".to_string(), |n| n.to_string()) }</td>
                                <td>{ &c.name }</td>
                                <td>{ c.priority }</td>
                                <td>{ c.offset }</td>
                                <td class="runid">{ c.run_id.as_deref().map(|id| id.chars().take(12).collect::<String>()).unwrap_or_default() }</td>
                                <td>{ c.excluded.map(|e| e.as_str()).unwrap_or("") }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    });
    html! {
        <div class="reasoning">
            { for ranking }
            <div class="timelines">
                { for reasoning.timelines.iter().map(|t| html! {
                    <section class="timeline" data-sentinel={t.sentinel.to_string()}>
                        <h3>{ format!("Sentinel {}", t.sentinel) }</h3>
                        <ol>
                            { for t.moments.iter().map(|m| html! {
                                <li class={classes!("moment", m.kind.trim_start_matches(['+', '-']).to_string())} data-kind={m.kind.clone()}>
                                    <span class="moment-time">{ format_elapsed(m.elapsed_ms) }</span>
                                    <span class="moment-kind">{ &m.kind }</span>
                                    <span class="moment-text">{ &m.text }</span>
                                </li>
                            }) }
                        </ol>
                    </section>
                }) }
            </div>
        </div>
    }
}
