//! `use_graph_drag`: dragging a server's box on the topology graph (mouse,
//! pen or touch) onto another box or onto empty space; a drop reports
//! the dragged server and where it landed.

use std::rc::Rc;

use yew::prelude::*;

/// Where a drag would drop at the moment.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum DropTarget {
    Server(u16),
    Canvas,
    Outside,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Drag {
    pub port: u16,
    pointer: i32,
    /// Where the pointer went down and where it is, in the SVG's units.
    pub from: (f64, f64),
    pub at: (f64, f64),
    pub over: DropTarget,
}

impl Drag {
    fn distance(&self, to: (f64, f64)) -> f64 {
        ((to.0 - self.from.0).powi(2) + (to.1 - self.from.1).powi(2)).sqrt()
    }
}

/// A press that moves less than this is a click, not a drag.
const DRAG_THRESHOLD: f64 = 6.0;

/// What is under a point of the page: a server box, the graph's empty
/// space, or something else.
fn target_at(client_x: i32, client_y: i32) -> DropTarget {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return DropTarget::Outside };
    let Some(element) = document.element_from_point(client_x as f32, client_y as f32) else { return DropTarget::Outside };
    if let Ok(Some(node)) = element.closest("[data-graph-node]") {
        if let Some(port) = node.get_attribute("data-graph-node").and_then(|p| p.parse().ok()) {
            return DropTarget::Server(port);
        }
    }
    match element.closest("figure.topology") {
        Ok(Some(_)) => DropTarget::Canvas,
        _ => DropTarget::Outside,
    }
}

/// What the graph binds: the SVG's pointer handlers, and a box's press.
pub struct GraphDrag {
    state: UseStateHandle<Option<Drag>>,
    svg_ref: NodeRef,
    to_svg: Rc<dyn Fn(i32, i32) -> (f64, f64)>,
    pub on_move: Callback<PointerEvent>,
    pub on_up: Callback<PointerEvent>,
    pub on_cancel: Callback<PointerEvent>,
}

impl GraphDrag {
    /// The drag under way, once it moved far enough to be one.
    pub fn dragging(&self) -> Option<Drag> {
        (*self.state).filter(|d| d.distance(d.at) >= DRAG_THRESHOLD)
    }

    /// A press on a server's box starts a drag.
    pub fn press(&self, port: u16) -> Callback<PointerEvent> {
        let (state, svg_ref, to_svg) = (self.state.clone(), self.svg_ref.clone(), self.to_svg.clone());
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            e.prevent_default();
            // The SVG follows the pointer until it is released, even
            // outside the graph.
            if let Some(svg) = svg_ref.cast::<web_sys::Element>() {
                let _ = svg.set_pointer_capture(e.pointer_id());
            }
            let at = to_svg(e.client_x(), e.client_y());
            state.set(Some(Drag { port, pointer: e.pointer_id(), from: at, at, over: DropTarget::Server(port) }));
        })
    }
}

/// `width` is the SVG's width in its own units (it is scaled to fit).
#[hook]
pub fn use_graph_drag(svg_ref: NodeRef, width: f64, on_drop: Callback<(u16, Option<u16>)>) -> GraphDrag {
    let state = use_state(|| None::<Drag>);
    // Client pixels to the SVG's own units.
    let to_svg: Rc<dyn Fn(i32, i32) -> (f64, f64)> = {
        let svg_ref = svg_ref.clone();
        Rc::new(move |client_x: i32, client_y: i32| -> (f64, f64) {
            let Some(svg) = svg_ref.cast::<web_sys::Element>() else { return (0.0, 0.0) };
            let rect = svg.get_bounding_client_rect();
            let scale = if rect.width() > 0.0 { width / rect.width() } else { 1.0 };
            ((client_x as f64 - rect.left()) * scale, (client_y as f64 - rect.top()) * scale)
        })
    };
    let on_move = {
        let (state, to_svg) = (state.clone(), to_svg.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(current) = *state else { return };
            if current.pointer != e.pointer_id() {
                return;
            }
            let at = to_svg(e.client_x(), e.client_y());
            state.set(Some(Drag { at, over: target_at(e.client_x(), e.client_y()), ..current }));
        })
    };
    let on_up = {
        let (state, to_svg) = (state.clone(), to_svg.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(current) = *state else { return };
            state.set(None);
            if current.distance(to_svg(e.client_x(), e.client_y())) < DRAG_THRESHOLD {
                return;
            }
            match target_at(e.client_x(), e.client_y()) {
                DropTarget::Server(port) => on_drop.emit((current.port, Some(port))),
                DropTarget::Canvas => on_drop.emit((current.port, None)),
                DropTarget::Outside => {}
            }
        })
    };
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |_: PointerEvent| state.set(None))
    };
    GraphDrag { state, svg_ref, to_svg, on_move, on_up, on_cancel }
}
