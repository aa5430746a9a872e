//! Buttons a server's card and a Sentinel's card share: the process's
//! lifecycle (SHUTDOWN typed into its console, kill -9, start again),
//! cutting or healing the network to the master it follows or watches, and
//! a partition around the node.

use yew::prelude::*;

use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct LifecycleProps {
    pub port: u16,
    pub up: bool,
    /// What Shutdown, Crash and Restart do for this kind of node.
    pub titles: [&'static str; 3],
    pub on_run: Callback<(u16, String)>,
    pub on_action: Callback<Action>,
}

#[function_component(Lifecycle)]
pub fn lifecycle(props: &LifecycleProps) -> Html {
    let port = props.port;
    let action = |make: fn(u16) -> Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(make(port)))
    };
    // SHUTDOWN goes through the console, so it shows there as typed.
    let on_shutdown = {
        let on_run = props.on_run.clone();
        Callback::from(move |_: MouseEvent| on_run.emit((port, "SHUTDOWN".to_string())))
    };
    let [shutdown, crash, restart] = props.titles;
    html! {
        if props.up {
            <button onclick={on_shutdown} title={shutdown}>{ "Shutdown" }</button>
            <button onclick={action(Action::Crash)} title={crash}>{ "Crash" }</button>
        } else {
            <button class="primary" onclick={action(Action::Restart)} title={restart}>{ "Restart" }</button>
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct CutToggleProps {
    pub port: u16,
    pub master: u16,
    pub cut: bool,
    /// The button's words while the link is whole.
    pub label: &'static str,
    /// What a cut does, for its title.
    pub effect: &'static str,
    pub on_action: Callback<Action>,
}

#[function_component(CutToggle)]
pub fn cut_toggle(props: &CutToggleProps) -> Html {
    let (port, master) = (props.port, props.master);
    let on_click = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleCut(port, master)))
    };
    let title = if props.cut {
        format!("Let the network between {port} and {master} carry bytes again")
    } else {
        format!("Cut the network between {port} and {master}: {}", props.effect)
    };
    html! {
        <button data-cut={props.cut.to_string()} onclick={on_click} {title}>
            { if props.cut { "Heal link" } else { props.label } }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct IsolateToggleProps {
    pub port: u16,
    pub isolated: bool,
    pub on_action: Callback<Action>,
}

#[function_component(IsolateToggle)]
pub fn isolate_toggle(props: &IsolateToggleProps) -> Html {
    let port = props.port;
    let on_click = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleIsolation(port)))
    };
    let title = if props.isolated {
        format!("Heal the network between {port} and every other node")
    } else {
        format!("Cut {port} off from every other node (a partition): nothing passes either way")
    };
    html! {
        <button data-isolated={props.isolated.to_string()} onclick={on_click} {title}>
            { if props.isolated { "Rejoin" } else { "Isolate" } }
        </button>
    }
}
