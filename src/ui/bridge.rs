//! The page's browser plumbing in `www/bridge.js`: permalink compression,
//! capped fetches, the clipboard, a timer, and the frame's side of the
//! embedding protocol (`frame_api.rs` answers its requests).

use wasm_bindgen::prelude::*;

use crate::scenario::MAX_SCENARIO_BYTES;

#[wasm_bindgen(module = "/www/bridge.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn deflate_base64url(text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn inflate_base64url(data: &str, max_bytes: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn fetch_text(url: &str, max_bytes: u32) -> Result<JsValue, JsValue>;
    async fn copy_text(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = sleep)]
    async fn sleep_js(ms: u32);
    #[wasm_bindgen(js_name = install_bridge)]
    fn install_bridge_js(handler: &Closure<dyn FnMut(String, js_sys::Array) -> js_sys::Promise>);
    #[wasm_bindgen(js_name = emit)]
    fn emit_js(name: &str, detail_json: Option<String>);
    #[wasm_bindgen(js_name = is_framed)]
    fn is_framed_js() -> bool;
}

/// Whether the page runs in a frame (an embedding page may be listening).
pub fn is_framed() -> bool {
    thread_local!(static FRAMED: bool = is_framed_js());
    FRAMED.with(|f| *f)
}

/// An event for the embedding page (sent once it said hello).
pub fn emit(name: &str, detail_json: Option<String>) {
    emit_js(name, detail_json);
}

fn message(error: JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| error.as_string()).unwrap_or_else(|| "unknown error".into())
}

/// A permalink's text, compressed and encoded for a URL's fragment.
pub async fn deflate(text: &str) -> Result<String, String> {
    deflate_base64url(text).await.map(|v| v.as_string().unwrap_or_default()).map_err(message)
}

/// A permalink's text back from its fragment (at most the scenario cap).
pub async fn inflate(data: &str) -> Result<String, String> {
    if data.len() > crate::app::address::MAX_INLINE_CHARS {
        return Err(format!("the link's scenario is longer than {} KiB", crate::app::address::MAX_INLINE_CHARS / 1024));
    }
    inflate_base64url(data, MAX_SCENARIO_BYTES as u32).await.map(|v| v.as_string().unwrap_or_default()).map_err(message)
}

/// A scenario file beside the page (at most the scenario cap).
pub async fn fetch(url: &str) -> Result<String, String> {
    fetch_text(url, MAX_SCENARIO_BYTES as u32).await.map(|v| v.as_string().unwrap_or_default()).map_err(message)
}

pub async fn copy(text: &str) -> bool {
    copy_text(text).await.as_bool().unwrap_or(false)
}

/// Waits `ms` of real time.
pub async fn sleep(ms: u32) {
    sleep_js(ms).await;
}

/// Hands the embedding protocol's requests to `handler` (kept for the
/// page's life).
pub fn install_bridge(handler: Closure<dyn FnMut(String, js_sys::Array) -> js_sys::Promise>) {
    install_bridge_js(&handler);
    handler.forget();
}
