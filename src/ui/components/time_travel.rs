//! The time-travel bar (RaftScope's rewind, for a whole cluster): a
//! slider over the session's virtual time with its steps as ticks, a list
//! of the steps to jump to, and, while the past is on show, the way back
//! to the present or on from there as a new branch.

use yew::prelude::*;

use crate::app::views::format_elapsed;
use crate::ui::state::{Action, TimeTravel};

#[derive(Properties, PartialEq)]
pub struct TimeTravelBarProps {
    pub view: TimeTravel,
    pub on_action: Callback<Action>,
}

#[function_component(TimeTravelBar)]
pub fn time_travel_bar(props: &TimeTravelBarProps) -> Html {
    let view = &props.view;
    let shown = view.viewing_ms.unwrap_or(view.present_ms);
    let on_slide = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(ms) = input.value().parse::<f64>() {
                    on_action.emit(Action::Rewind(ms as i64));
                }
            }
        })
    };
    let on_jump = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Ok(ms) = select.value().parse::<i64>() {
                    on_action.emit(Action::Rewind(ms));
                }
            }
        })
    };
    let emit = |action: fn() -> Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action()))
    };
    html! {
        <div class={classes!("time-travel", view.viewing_ms.is_some().then_some("in-the-past"))} role="group" aria-label="Time travel"
             data-viewing={view.viewing_ms.map(|ms| ms.to_string())} data-present={view.present_ms.to_string()}>
            <label class="tt-slider">
                <span>{ "Rewind" }</span>
                <input type="range" min="0" max={view.present_ms.to_string()} step="100" value={shown.to_string()}
                       list="tt-steps" data-time-travel="slider" onchange={on_slide}
                       aria-label="The moment shown, in virtual time" />
                <datalist id="tt-steps">
                    { for view.steps.iter().map(|(at, _)| html! { <option value={at.to_string()} /> }) }
                </datalist>
            </label>
            <select data-time-travel="steps" onchange={on_jump} aria-label="Jump to the moment of a step">
                <option value="" selected=true disabled=true>{ "Jump to a step…" }</option>
                { for view.steps.iter().rev().take(300).map(|(at, text)| html! {
                    <option value={at.to_string()}>{ format!("{} · {text}", format_elapsed(*at)) }</option>
                }) }
            </select>
            if let Some(viewing) = view.viewing_ms {
                <span class="tt-where">{ format!("Showing {} of {}", format_elapsed(viewing), format_elapsed(view.present_ms)) }</span>
                <button data-time-travel="present" onclick={emit(|| Action::BackToPresent)}>{ "Back to the present" }</button>
                <button data-time-travel="branch" onclick={emit(|| Action::Branch)}
                        title="Go on from this moment: what came after it is let go">{ "Go on from here" }</button>
            }
        </div>
    }
}
