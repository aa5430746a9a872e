//! The topology graph: every server as a box (port, role, keys, offset,
//! state), every replica joined to its master by a line that shows the
//! link's state. Drawn as SVG from the playground's snapshot.

use yew::prelude::*;

use crate::sim::playground::{layout, NodeView};

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub nodes: Vec<NodeView>,
}

const SLOT_W: f64 = 150.0;
const ROW_H: f64 = 110.0;
const BOX_W: f64 = 124.0;
const BOX_H: f64 = 62.0;
const PROGRESS_W: f64 = 56.0;
const LABEL_ROOM: f64 = 40.0;

#[function_component(Topology)]
pub fn topology(props: &TopologyProps) -> Html {
    let places = layout(&props.nodes);
    let columns = places.iter().map(|(_, x, _)| *x).fold(0.0f64, f64::max) + 1.0;
    let rows = places.iter().map(|(_, _, d)| *d).max().unwrap_or(0) + 1;
    // Room on the right for the last column's edge labels.
    let width = (columns * SLOT_W).max(SLOT_W) + LABEL_ROOM;
    let height = rows as f64 * ROW_H;
    let centre = |port: u16| -> Option<(f64, f64)> {
        places.iter().find(|(p, _, _)| *p == port).map(|(_, x, d)| (x * SLOT_W + SLOT_W / 2.0, *d as f64 * ROW_H + 14.0 + BOX_H / 2.0))
    };
    let edges = props.nodes.iter().filter_map(|n| {
        let master = n.master?;
        let (x1, y1) = centre(n.port)?;
        let (x2, y2) = centre(master)?;
        let state = if n.up { n.link } else { "down" };
        let label = match state {
            // The replica may not have noticed yet; the network has.
            _ if n.cut => format!("✂ cut ({state})"),
            "online" => "online".to_string(),
            "sync" => "full sync…".to_string(),
            "handshake" => "handshake".to_string(),
            "connect" => "connecting".to_string(),
            other => other.to_string(),
        };
        // A replica drawn beside or above its master (a loop) still gets a line.
        let (ya, yb) = if y1 > y2 { (y1 - BOX_H / 2.0, y2 + BOX_H / 2.0) } else { (y1, y2) };
        let (mx, my) = ((x1 + x2) / 2.0 + 6.0, (ya + yb) / 2.0);
        // The snapshot's bytes as they arrive: a bar, and the figures in
        // words (fitted between the two boxes).
        let progress = n.sync_progress.filter(|_| n.up && !n.cut).map(|(arrived, total)| {
            let fraction = arrived as f64 / total.max(1) as f64;
            ((fraction * 100.0).floor() as u64, fraction, arrived, total)
        });
        let label = match progress {
            Some((percent, ..)) => format!("full sync {percent}%"),
            None => label,
        };
        let label_y = if progress.is_some() { my - 8.0 } else { my };
        let progress = progress.map(|(percent, fraction, arrived, total)| {
            let mb = |b: u64| format!("{:.1}", b as f64 / 1_000_000.0);
            html! {
                <g class="progress" data-progress={percent.to_string()}>
                    <title>{ format!("RDB transfer: {arrived} of {total} bytes") }</title>
                    <rect class="track" x={mx.to_string()} y={(my - 3.0).to_string()} width={PROGRESS_W.to_string()} height="5" rx="2.5" />
                    <rect class="done" x={mx.to_string()} y={(my - 3.0).to_string()} width={(PROGRESS_W * fraction).to_string()} height="5" rx="2.5" />
                    <text class="figures" x={mx.to_string()} y={(my + 12.0).to_string()}>
                        { format!("{} / {} MB", mb(arrived), mb(total)) }
                    </text>
                </g>
            }
        });
        Some(html! {
            <g class={classes!("edge", state, n.cut.then_some("cut"))} data-link={format!("{}-{}", n.port, master)}
               data-state={state} data-cut={n.cut.to_string()}>
                <line x1={x1.to_string()} y1={ya.to_string()} x2={x2.to_string()} y2={yb.to_string()} />
                <text x={mx.to_string()} y={label_y.to_string()}>{ label }</text>
                { for progress }
            </g>
        })
    });
    let boxes = props.nodes.iter().filter_map(|n| {
        let (cx, cy) = centre(n.port)?;
        let (x, y) = (cx - BOX_W / 2.0, cy - BOX_H / 2.0);
        let state = if !n.up { "down" } else if n.loading { "loading" } else { n.role };
        let keys = if n.keys == 1 { "1 key".to_string() } else { format!("{} keys", n.keys) };
        let detail = if n.up { format!("{keys} · offset {}", n.offset) } else { "not running".to_string() };
        Some(html! {
            <g class={classes!("server", state)} data-graph-node={n.port.to_string()}>
                <title>{ format!("Server {} ({state})", n.port) }</title>
                <rect x={x.to_string()} y={y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx="8" />
                <text class="port" x={cx.to_string()} y={(y + 22.0).to_string()}>{ n.port }</text>
                <text class="role" x={cx.to_string()} y={(y + 38.0).to_string()}>{ state.to_uppercase() }</text>
                <text class="detail" x={cx.to_string()} y={(y + 53.0).to_string()}>{ detail }</text>
            </g>
        })
    });
    html! {
        <figure class="topology" aria-label="Replication topology">
            <svg viewBox={format!("0 0 {width} {height}")} role="img"
                 style={format!("max-width: {}px", width)}>
                { for edges }
                { for boxes }
            </svg>
        </figure>
    }
}
