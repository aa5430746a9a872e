//! The topology graph: every server as a box (port, role, keys, offset,
//! state), every replica joined to its master by a line that shows the
//! link's state. Drawn as SVG from the playground's snapshot. A box can be
//! dragged (mouse, pen or touch) onto another to make it that server's
//! replica, or onto empty space to make it a master.

use yew::prelude::*;

use crate::app::layout::layout;
use crate::app::views::{link_word, Link, NodeView, SentinelView};
use crate::ui::hooks::{use_graph_drag, Drag, DropTarget};

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub nodes: Vec<NodeView>,
    /// Sentinels, drawn in a row above the servers with a line down to
    /// the master each watches.
    #[prop_or_default]
    pub sentinels: Vec<SentinelView>,
    /// A drop: the dragged server, and the one it was dropped on (`None`:
    /// empty space).
    pub on_reparent: Callback<(u16, Option<u16>)>,
    /// The server picked out from the event log.
    #[prop_or_default]
    pub highlighted: Option<u16>,
    /// A line was clicked: inspect that link (replica, master).
    #[prop_or_default]
    pub on_inspect: Callback<(u16, u16)>,
    /// The link the wire inspector shows.
    #[prop_or_default]
    pub inspected: Option<(u16, u16)>,
}

const SLOT_W: f64 = 150.0;
const ROW_H: f64 = 110.0;
const BOX_W: f64 = 138.0;
const BOX_H: f64 = 62.0;
const PROGRESS_W: f64 = 56.0;
const LABEL_ROOM: f64 = 40.0;
const GHOST_OFFSET: f64 = 22.0;
/// Below this many CSS pixels wide the boxes' text gets too small to read.
const MIN_READABLE_W: f64 = 560.0;
/// The Sentinels' row above the servers.
const SENTINEL_ROW_H: f64 = 78.0;
const SENTINEL_W: f64 = 146.0;
const SENTINEL_H: f64 = 40.0;

#[function_component(Topology)]
pub fn topology(props: &TopologyProps) -> Html {
    let svg_ref = use_node_ref();
    let places = layout(&props.nodes);
    let columns = places.iter().map(|(_, x, _)| *x).fold(0.0f64, f64::max) + 1.0;
    let rows = places.iter().map(|(_, _, d)| *d).max().unwrap_or(0) + 1;
    // Room on the right for the last column's edge labels.
    let sentinel_slots = props.sentinels.len() as f64;
    let width = (columns * SLOT_W).max(SLOT_W).max(sentinel_slots * SLOT_W) + LABEL_ROOM;
    // Sentinels watch from a row above the masters, so their lines cross no box.
    let top = if props.sentinels.is_empty() { 0.0 } else { SENTINEL_ROW_H };
    let height = top + rows as f64 * ROW_H;
    let drag = use_graph_drag(svg_ref.clone(), width, props.on_reparent.clone());
    let centre = |port: u16| -> Option<(f64, f64)> {
        places.iter().find(|(p, _, _)| *p == port).map(|(_, x, d)| (x * SLOT_W + SLOT_W / 2.0, top + *d as f64 * ROW_H + 14.0 + BOX_H / 2.0))
    };
    let edges = props.nodes.iter().filter_map(|n| {
        let master = n.master?;
        let inspected = props.inspected == Some((n.port, master));
        Some(edge(n, master, centre(n.port)?, centre(master)?, &props.on_inspect, inspected))
    });
    // Each Sentinel above the servers, centred as a row, with a dotted
    // line to the master it watches (it moves when Sentinel switches).
    let row_start = ((width - LABEL_ROOM) - sentinel_slots * SLOT_W).max(0.0) / 2.0;
    let sentinels = props.sentinels.iter().enumerate().map(|(i, s)| {
        let x = row_start + i as f64 * SLOT_W + (SLOT_W - SENTINEL_W) / 2.0;
        let master = s.watching.first().and_then(|w| centre(w.port));
        sentinel_badge(s, x, master, props.highlighted == Some(s.port))
    });
    let dragging = drag.dragging();
    let boxes = props.nodes.iter().filter_map(|n| {
        let (cx, cy) = centre(n.port)?;
        let on_pointer_down = drag.press(n.port);
        let dragged = dragging.is_some_and(|d| d.port == n.port);
        let drop_here = dragging.is_some_and(|d| d.port != n.port && d.over == DropTarget::Server(n.port));
        let classes = classes!(dragged.then_some("dragged"), drop_here.then_some("drop-target"), (props.highlighted == Some(n.port)).then_some("picked"));
        Some(server_box(n, (cx, cy), classes, on_pointer_down))
    });
    // The dragged server follows the pointer, with a line back to its place
    // and a caption saying what a drop here would do.
    let ghost = dragging.and_then(|d| Some(ghost(&d, centre(d.port)?)));
    let canvas_drop = dragging.is_some_and(|d| d.over == DropTarget::Canvas);
    html! {
        <figure class={classes!("topology", canvas_drop.then_some("drop-canvas"))}
                aria-label="Replication topology: drag a server onto another to make it that server's replica, onto empty space to make it a master">
            <svg ref={svg_ref.clone()} viewBox={format!("0 0 {width} {height}")} role="img"
                 // Never shrunk below a readable size: a phone scrolls it sideways.
                 style={format!("max-width: {width}px; min-width: {}px", width.min(MIN_READABLE_W))}
                 onpointermove={drag.on_move.clone()} onpointerup={drag.on_up.clone()} onpointercancel={drag.on_cancel.clone()}>
                { for sentinels }
                { for edges }
                { for boxes }
                { for ghost }
            </svg>
        </figure>
    }
}

/// A replica's line to its master: the link's state in words, its
/// latency and lag, a full sync's progress.
fn edge(n: &NodeView, master: u16, (x1, y1): (f64, f64), (x2, y2): (f64, f64), on_inspect: &Callback<(u16, u16)>, inspected: bool) -> Html {
    let link = if n.up { n.link } else { Link::Down };
    let state = link_word(link);
    let label = match link {
        // The replica may not have noticed yet; the network has.
        _ if n.cut => format!("✂ cut ({state})"),
        Link::Sync => "full sync…".to_string(),
        Link::Connect => "connecting".to_string(),
        other => link_word(other).to_string(),
    };
    // A replica drawn beside or above its master (a loop) still gets a line.
    let (ya, yb) = if y1 > y2 { (y1 - BOX_H / 2.0, y2 + BOX_H / 2.0) } else { (y1, y2) };
    // The words sit in the replica's own column, just above its box, so
    // that siblings' labels (two full syncs at once) never overlap; a
    // replica drawn beside or above its master keeps them mid-line.
    // They go on the side of the line away from the master, so that the
    // line never crosses them.
    let below = y1 > y2;
    let leftward = below && x2 > x1 + 1.0;
    let (mx, my) = if below {
        (if leftward { x1 - 6.0 } else { x1 + 6.0 }, ya - if n.sync_progress.is_some() { 22.0 } else { 9.0 })
    } else {
        ((x1 + x2) / 2.0 + 6.0, (ya + yb) / 2.0)
    };
    let anchor = if leftward { "end" } else { "start" };
    let bar_x = if leftward { mx - PROGRESS_W } else { mx };
    // The snapshot's bytes as they arrive: a bar, and the figures in
    // words (fitted between the two boxes).
    let progress = n.sync_progress.filter(|_| n.up && !n.cut).map(|(arrived, total)| {
        let fraction = arrived as f64 / total.max(1) as f64;
        ((fraction * 100.0).floor() as u64, fraction, arrived, total)
    });
    let label = match progress {
        Some((percent, ..)) => format!("full sync {percent}%"),
        None => {
            let mut label = label;
            if n.latency > 0 {
                label.push_str(&format!(" · {} ms", n.latency));
            }
            // INFO's lag, once it says something: a second or more.
            if let Some(lag) = n.lag.filter(|&l| l >= 1 && !n.cut) {
                label.push_str(&format!(" · lag {lag} s"));
            }
            label
        }
    };
    let label_y = if progress.is_some() { my - 8.0 } else { my };
    let progress = progress.map(|(percent, fraction, arrived, total)| {
        let mb = |b: u64| format!("{:.1}", b as f64 / 1_000_000.0);
        html! {
            <g class="progress" data-progress={percent.to_string()}>
                <title>{ format!("RDB transfer: {arrived} of {total} bytes") }</title>
                <rect class="track" x={bar_x.to_string()} y={(my - 3.0).to_string()} width={PROGRESS_W.to_string()} height="5" rx="2.5" />
                <rect class="done" x={bar_x.to_string()} y={(my - 3.0).to_string()} width={(PROGRESS_W * fraction).to_string()} height="5" rx="2.5" />
                <text class="figures" x={mx.to_string()} y={(my + 12.0).to_string()} text-anchor={anchor}>
                    { format!("{} / {} MB", mb(arrived), mb(total)) }
                </text>
            </g>
        }
    });
    let onclick = {
        let (on_inspect, replica) = (on_inspect.clone(), n.port);
        Callback::from(move |_: MouseEvent| on_inspect.emit((replica, master)))
    };
    html! {
        <g key={format!("{}-{}", n.port, master)}
           class={classes!("edge", state, n.cut.then_some("cut"), inspected.then_some("inspected"))} data-link={format!("{}-{}", n.port, master)}
           data-state={state} data-cut={n.cut.to_string()}>
            <title>{ format!("The link from {} to its master {master}: click to see its bytes", n.port) }</title>
            // A path whose `d` is a style, so that it glides with the boxes.
            <path class="link" style={format!("d: path('M {x1} {ya} L {x2} {yb}')")} />
            // A wider, invisible line to click.
            <path class="link-hit" data-inspect={format!("{}-{}", n.port, master)} {onclick}
                  style={format!("d: path('M {x1} {ya} L {x2} {yb}')")} />
            <text x={mx.to_string()} y={label_y.to_string()} text-anchor={anchor}>{ label }</text>
            { for progress }
        </g>
    }
}

/// A Sentinel in the row above the servers, with a dotted line to the
/// master it watches (it moves when Sentinel switches).
fn sentinel_badge(s: &SentinelView, x: f64, master: Option<(f64, f64)>, highlighted: bool) -> Html {
    let y = 14.0;
    let watch = s.watching.first();
    let status = match (s.up, watch) {
        (false, _) => "down".to_string(),
        (true, None) => "watching nothing".to_string(),
        (true, Some(w)) => match w.failover {
            Some(step) => format!("failover: {}", step.replace('_', " ")),
            None if s.cut => format!("✂ cut · {} {}", w.name, w.status),
            None => format!("{} {}", w.name, w.status),
        },
    };
    let state = match (s.up, watch) {
        (false, _) => "down",
        (true, Some(_)) if s.cut => "cut",
        (true, Some(w)) if w.failover.is_some() => "failover",
        (true, Some(w)) => w.status,
        (true, None) => "ok",
    };
    let line = watch.filter(|_| s.up).and_then(|w| {
        let (mx, my) = master?;
        let (sx, sy) = (x + SENTINEL_W / 2.0, y + SENTINEL_H);
        Some(html! {
            <path class="watch" data-watch-line={format!("{}-{}", s.port, w.port)}
                  style={format!("d: path('M {sx} {sy} L {mx} {}')", my - BOX_H / 2.0)} />
        })
    });
    html! {
        <g key={format!("sentinel-{}", s.port)}
           class={classes!("sentinel", state, highlighted.then_some("picked"))}
           data-graph-sentinel={s.port.to_string()} data-state={state}
           data-watching={watch.map(|w| w.port.to_string()).unwrap_or_default()}>
            <title>{ format!("Sentinel {} ({status})", s.port) }</title>
            { for line }
            <rect x={x.to_string()} y={y.to_string()} width={SENTINEL_W.to_string()} height={SENTINEL_H.to_string()} rx="20" />
            <text class="port" x={(x + SENTINEL_W / 2.0).to_string()} y={(y + 17.0).to_string()}>{ format!("Sentinel {}", s.port) }</text>
            <text class="detail" x={(x + SENTINEL_W / 2.0).to_string()} y={(y + 32.0).to_string()}>{ status }</text>
        </g>
    }
}

/// A server's box: port, role, keys and offset, its state in its style.
/// A count short enough for a box: 60425, 1.2M, 60.4k.
fn compact(n: i64) -> String {
    match n.abs() {
        0..=99_999 => n.to_string(),
        100_000..=999_999 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

fn server_box(n: &NodeView, (cx, cy): (f64, f64), extra: Classes, on_pointer_down: Callback<PointerEvent>) -> Html {
    let (x, y) = (cx - BOX_W / 2.0, cy - BOX_H / 2.0);
    let state = if !n.up { "down" } else if n.loading { "loading" } else { n.role.as_str() };
    let keys = if n.keys == 1 { "1 key".to_string() } else { format!("{} keys", compact(n.keys as i64)) };
    let detail = match (n.up, n.isolated) {
        (false, _) => "not running".to_string(),
        (true, true) => format!("✂ isolated · {keys}"),
        (true, false) => format!("{keys} · offset {}", compact(n.offset)),
    };
    html! {
        // Keyed: the same element stays with the same server, so a move glides.
        <g key={n.port.to_string()}
           class={classes!("server", state, n.isolated.then_some("isolated"), extra)}
           data-graph-node={n.port.to_string()} onpointerdown={on_pointer_down}>
            <title>{ format!("Server {} ({state})", n.port) }</title>
            // Drawn at the origin and moved into place, so that a move
            // (a promotion, a re-parenting) glides (see the stylesheet).
            <g class="box" style={format!("transform: translate({x}px, {y}px)")}>
                <rect x="0" y="0" width={BOX_W.to_string()} height={BOX_H.to_string()} rx="8" />
                <text class="port" x={(BOX_W / 2.0).to_string()} y="22">{ n.port }</text>
                <text class="role" x={(BOX_W / 2.0).to_string()} y="38">{ state.to_uppercase() }</text>
                <text class="detail" x={(BOX_W / 2.0).to_string()} y="53">{ detail }</text>
            </g>
        </g>
    }
}

/// The dragged server following the pointer, with a line back to its
/// place and a caption saying what a drop here would do.
fn ghost(d: &Drag, (cx, cy): (f64, f64)) -> Html {
    // Beside the pointer, so the box under it stays visible.
    let (gx, gy) = (d.at.0 + GHOST_OFFSET, d.at.1 + GHOST_OFFSET);
    let caption = match d.over {
        DropTarget::Server(p) if p == d.port => format!("{} stays as it is", d.port),
        DropTarget::Server(p) => format!("REPLICAOF 127.0.0.1 {p}"),
        DropTarget::Canvas => "REPLICAOF NO ONE".to_string(),
        DropTarget::Outside => "drop on the graph".to_string(),
    };
    html! {
        <g class="ghost" aria-hidden="true">
            <line x1={cx.to_string()} y1={cy.to_string()} x2={gx.to_string()} y2={gy.to_string()} />
            <rect x={(gx - BOX_W / 2.0).to_string()} y={(gy - BOX_H / 2.0).to_string()}
                  width={BOX_W.to_string()} height={BOX_H.to_string()} rx="8" />
            <text class="port" x={gx.to_string()} y={(gy - 4.0).to_string()}>{ d.port }</text>
            <text class="caption" x={gx.to_string()} y={(gy + 14.0).to_string()}>{ caption }</text>
        </g>
    }
}
