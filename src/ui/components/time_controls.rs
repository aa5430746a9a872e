//! The virtual clock's controls: how much virtual time has passed, pause
//! and play, a few speeds, steps of a fixed duration and a step to the next
//! logged event (which work while paused, to walk through a sync or a
//! timeout one step at a time).

use yew::prelude::*;

use crate::app::views::format_elapsed;
use crate::ui::state::{Action, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct TimeControlsProps {
    pub paused: bool,
    pub speed: u32,
    /// Virtual milliseconds since the page opened.
    pub elapsed_ms: i64,
    pub on_action: Callback<Action>,
}

#[function_component(TimeControls)]
pub fn time_controls(props: &TimeControlsProps) -> Html {
    let emit = |action: fn() -> Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action()))
    };
    let toggle = {
        let on_action = props.on_action.clone();
        let paused = props.paused;
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SetPaused(!paused)))
    };
    let (toggle_label, toggle_title) =
        if props.paused { ("▶ Play", "Let virtual time run again") } else { ("Pause", "Stop virtual time: nothing happens until you play or step") };
    html! {
        <div class="time-controls" role="group" aria-label="Virtual time">
            <span class="clock" data-clock={props.elapsed_ms.to_string()} data-paused={props.paused.to_string()}
                  title="Virtual time since the page opened">
                <span class="clock-label">{ if props.paused { "paused at" } else { "virtual time" } }</span>
                { format_elapsed(props.elapsed_ms) }
            </span>
            <button data-time="toggle" title={toggle_title} onclick={toggle}>{ toggle_label }</button>
            <button data-time="next-event" title="Let virtual time run until a server logs its next line (at most a minute)"
                    onclick={emit(|| Action::NextEvent)}>{ "Next event" }</button>
            <button data-time="until-idle" title="Let virtual time run until no sync, load or save is under way (pings go on)"
                    onclick={emit(|| Action::RunUntilIdle)}>{ "Run until idle" }</button>
            <button data-time="step-1s" title="Let one second of virtual time pass" onclick={emit(|| Action::Step(1_000))}>{ "+1 s" }</button>
            <button data-time="step-10s" title="Let ten seconds of virtual time pass" onclick={emit(|| Action::Step(10_000))}>{ "+10 s" }</button>
            <span class="speeds" role="group" aria-label="Speed">
                { for SPEEDS.iter().map(|&speed| {
                    let on_action = props.on_action.clone();
                    let onclick = Callback::from(move |_: MouseEvent| on_action.emit(Action::SetSpeed(speed)));
                    html! {
                        <button data-speed={speed.to_string()} aria-pressed={(speed == props.speed).to_string()}
                                title={format!("Virtual time runs {speed} times as fast as real time")} {onclick}>
                            { format!("{speed}×") }
                        </button>
                    }
                }) }
            </span>
        </div>
    }
}
