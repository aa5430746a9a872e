//! The web page (Yew, wasm only). One reducer-style state wraps the
//! playground; components render its snapshots and send it actions;
//! hooks hold the browser plumbing (timers).

mod bridge;
mod components;
mod frame_api;
mod hooks;
mod state;

/// Mounts the app on the page's body.
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
