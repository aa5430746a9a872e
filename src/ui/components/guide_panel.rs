//! The guide of a loaded scenario: its narration and tasks as far as it
//! got (the open task marked, done ones ticked), Back / Next / Play /
//! Restart, a list of every stop to jump to, where it stands, a hint for
//! the open task, and the scenario's steps that failed. Scenario text is
//! only ever shown as text.

use web_sys::{HtmlElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::guide::{GuideView, StopKind, TaskState};
use crate::ui::state::GuideStep;

/// The panel's words in one language.
struct Words {
    title: &'static str,
    back: &'static str,
    next: &'static str,
    skip: &'static str,
    play: &'static str,
    restart: &'static str,
    jump: &'static str,
    task: &'static str,
    done: &'static str,
    shown: &'static str,
    hint: &'static str,
    finished: &'static str,
    problems: &'static str,
}

const EN: Words = Words {
    title: "Guide",
    back: "◀ Back",
    next: "Next ▶",
    skip: "Do this task for me and go on",
    play: "Play",
    restart: "Restart",
    jump: "Jump to",
    task: "Your turn",
    done: "done",
    shown: "shown",
    hint: "Hint",
    finished: "The end of this scenario: the cluster is yours.",
    problems: "Steps of this scenario that failed here:",
};

const ZH: Words = Words {
    title: "导览",
    back: "◀ 上一步",
    next: "下一步 ▶",
    skip: "替我完成这个练习并继续",
    play: "播放",
    restart: "重新开始",
    jump: "跳到",
    task: "轮到你了",
    done: "完成",
    shown: "已演示",
    hint: "提示",
    finished: "场景结束：集群交给你了。",
    problems: "本场景中执行失败的步骤：",
};

fn words(lang: &str) -> &'static Words {
    if lang == "zh" {
        &ZH
    } else {
        &EN
    }
}

#[derive(Properties, PartialEq)]
pub struct GuidePanelProps {
    pub view: GuideView,
    pub lang: &'static str,
    pub on_step: Callback<GuideStep>,
}

#[function_component(GuidePanel)]
pub fn guide_panel(props: &GuidePanelProps) -> Html {
    let w = words(props.lang);
    let view = &props.view;
    let list = use_node_ref();
    {
        // The newest stop in sight.
        let list = list.clone();
        use_effect_with((view.current, view.stops.iter().filter(|s| s.reached).count()), move |_| {
            if let Some(element) = list.cast::<HtmlElement>() {
                element.set_scroll_top(element.scroll_height());
            }
        });
    }
    let step = |s: GuideStep| {
        let on_step = props.on_step.clone();
        Callback::from(move |_: MouseEvent| on_step.emit(s))
    };
    let on_jump = {
        let on_step = props.on_step.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(index) = select.value().parse::<usize>() {
                    on_step.emit(GuideStep::Jump(index));
                }
            }
        })
    };
    let total = view.stops.len();
    let position = view.current.map_or(0, |c| c + 1);
    html! {
        <section class="guide" aria-label={w.title} data-open-task={view.open.map(|t| t.to_string())} data-finished={view.finished.to_string()}>
            <div class="guide-controls" role="group" aria-label={w.title}>
                <button data-guide="back" onclick={step(GuideStep::Back)} disabled={view.current.is_none_or(|c| c == 0)}>{ w.back }</button>
                <button data-guide="next" onclick={step(GuideStep::Next)} disabled={view.finished}
                        title={view.open.map(|_| w.skip)}>{ w.next }</button>
                <button data-guide="play" onclick={step(GuideStep::Play)} disabled={view.open.is_some() || view.finished}>{ w.play }</button>
                <button data-guide="restart" onclick={step(GuideStep::Restart)}>{ w.restart }</button>
                <span class="guide-position" data-position={position.to_string()}>{ format!("{position} / {total}") }</span>
                <label class="guide-jump">
                    { w.jump }
                    <select data-guide="jump" onchange={on_jump}>
                        { for view.stops.iter().enumerate().map(|(i, stop)| html! {
                            <option value={i.to_string()} selected={view.current == Some(i)}>
                                { format!("{}. {}{}", i + 1, if stop.kind == StopKind::Task { "✎ " } else { "" }, short(&stop.text)) }
                            </option>
                        }) }
                    </select>
                </label>
            </div>
            <ol class="guide-stops" ref={list}>
                { for view.stops.iter().enumerate().filter(|(_, s)| s.reached).map(|(i, stop)| {
                    let state = stop.task.map(|t| match t {
                        TaskState::Open => "open",
                        TaskState::Done => "done",
                        TaskState::Shown => "shown",
                    });
                    let class = classes!("stop", stop.kind.as_str(), state, (view.current == Some(i)).then_some("current"));
                    html! {
                        <li {class} data-stop={i.to_string()} data-kind={stop.kind.as_str()} data-task={state}>
                            if stop.kind == StopKind::Task {
                                <span class="stop-badge">{ match stop.task {
                                    Some(TaskState::Done) => format!("✓ {}", w.done),
                                    Some(TaskState::Shown) => w.shown.to_string(),
                                    _ => w.task.to_string(),
                                } }</span>
                            }
                            <span class="stop-text">{ &stop.text }</span>
                        </li>
                    }
                }) }
            </ol>
            if view.open.is_some() && !view.hint.is_empty() {
                <details class="guide-hint">
                    <summary>{ w.hint }</summary>
                    <pre>{ view.hint.join("\n") }</pre>
                </details>
            }
            if view.finished {
                <p class="guide-finished">{ w.finished }</p>
            }
            if !view.problems.is_empty() {
                <div class="guide-problems" role="alert">
                    <p>{ w.problems }</p>
                    <ul>{ for view.problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                </div>
            }
        </section>
    }
}

/// The first words of a stop, for the jump list.
fn short(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(48).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
