//! One server: its port, role and key count, a remove button, its console.

use yew::prelude::*;

use super::console::Console;
use crate::sim::playground::NodeView;

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub node: NodeView,
    pub on_run: Callback<(u16, String)>,
    pub on_interrupt: Callback<u16>,
    pub on_remove: Callback<u16>,
}

#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let node = &props.node;
    let port = node.port;
    let on_remove = {
        let on_remove = props.on_remove.clone();
        Callback::from(move |_| on_remove.emit(port))
    };
    let keys = if node.keys == 1 { "1 key".to_string() } else { format!("{} keys", node.keys) };
    html! {
        <section class="node" data-node={port.to_string()} aria-label={format!("Redis server {port}")}>
            <header class="node-head">
                <h2 class="port">{ port }</h2>
                <span class={classes!("role", node.role)}>{ node.role }</span>
                <span class="keys">{ keys }</span>
                <button class="remove" title={format!("Remove server {port}")}
                        aria-label={format!("Remove server {port}")} onclick={on_remove}>{ "×" }</button>
            </header>
            <Console port={port} view={node.console.clone()} on_run={props.on_run.clone()}
                     on_interrupt={props.on_interrupt.clone()} />
        </section>
    }
}
