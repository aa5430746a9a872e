//! The split-brain lab's panel: the writing client's tally (acknowledged,
//! refused and why), the newest writes, and the acknowledged writes the
//! master now lacks: lost, though the client was told OK.

use yew::prelude::*;

use crate::app::instruments::WritesView;
use crate::session::writer::runs;

#[derive(Properties, PartialEq)]
pub struct WritesPanelProps {
    pub view: WritesView,
}

#[function_component(WritesPanel)]
pub fn writes_panel(props: &WritesPanelProps) -> Html {
    let v = &props.view;
    let refused = v.refused.iter().map(|(word, n)| format!("{n} {word}")).collect::<Vec<_>>().join(", ");
    let master = v.master.map_or("no master".to_string(), |m| format!("the master now, {m}"));
    html! {
        <section class="writes" aria-label="Writes" data-writer={v.port.to_string()} data-acknowledged={v.acknowledged.to_string()}
                 data-lost={v.lost.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")}>
            <p class="writes-head">
                <strong>{ format!("Writes to {} every {} ms", v.port, v.every) }</strong>
                { format!(": {} acknowledged", v.acknowledged) }
                if !refused.is_empty() {
                    { format!(", refused: {refused}") }
                }
            </p>
            <ol class="writes-recent" aria-label="The newest writes">
                { for v.recent.iter().map(|(seq, error)| html! {
                    <li class={classes!(if error.is_some() { "refused" } else { "ok" })} title={error.clone().unwrap_or_else(|| "OK".into())}>
                        { format!("w:{seq}") }
                    </li>
                }) }
            </ol>
            if v.lost.is_empty() {
                <p class="writes-lost none">{ format!("Every acknowledged write is on {master}.") }</p>
            } else {
                <p class="writes-lost" role="status">
                    <strong>{ format!("Lost: {} acknowledged writes are not on {master}: ", v.lost.len()) }</strong>
                    <code>{ runs(&v.lost) }</code>
                </p>
            }
        </section>
    }
}
