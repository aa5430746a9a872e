//! The frame's answers to an embedding page's requests (`load`, `run`,
//! `snapshot`, `next`, `restart`), on the page's state; `bridge.rs` carries
//! them to and from the parent window.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use yew::UseReducerDispatcher;

use super::bridge::{install_bridge, sleep};
use super::state::{Action, GuideStep, Model, PageState};
use crate::app::embed;
use crate::app::views::LineKind;
use crate::scenario::MAX_SCENARIO_BYTES;

/// A blocked command's answer is awaited for at most this long (real ms).
const RUN_WAIT_LIMIT_MS: u32 = 120_000;

/// Answers the embedding page's requests for as long as the page lives.
pub fn install(state: &PageState, dispatcher: UseReducerDispatcher<PageState>) {
    let model = state.model();
    let handler = Closure::<dyn FnMut(String, js_sys::Array) -> js_sys::Promise>::new(move |op: String, args: js_sys::Array| {
        let model = Rc::clone(&model);
        let dispatcher = dispatcher.clone();
        wasm_bindgen_futures::future_to_promise(async move { answer(&op, &args, &model, &dispatcher).await.map_err(|e| JsValue::from(js_sys::Error::new(&e))) })
    });
    install_bridge(handler);
}

async fn answer(op: &str, args: &js_sys::Array, model: &Rc<RefCell<Model>>, dispatcher: &UseReducerDispatcher<PageState>) -> Result<JsValue, String> {
    let text = |i: u32| args.get(i).as_string().ok_or_else(|| format!("'{op}' takes text as argument {}", i + 1));
    match op {
        "load" => {
            let scenario = text(0)?;
            if scenario.len() > MAX_SCENARIO_BYTES {
                return Err(format!("a scenario may be at most {} KiB", MAX_SCENARIO_BYTES / 1024));
            }
            dispatcher.dispatch(Action::LoadScenario(scenario));
            let model = model.borrow();
            match &model.load_error {
                Some(error) => Err(error.clone()),
                None => Ok(position(&model)),
            }
        }
        "run" => {
            let port = args.get(0).as_f64().filter(|p| p.fract() == 0.0 && (1.0..=65535.0).contains(p)).ok_or("'run' takes a port (1-65535) first")? as u16;
            let line = text(1)?;
            if line.contains(['\n', '\r']) {
                // A console takes one line at a time, as redis-cli's prompt does.
                return Err("'run' takes one line: send each command on its own".into());
            }
            run(model, dispatcher, port, &line).await
        }
        "snapshot" => parse_json(&embed::snapshot_json(&model.borrow().playground)),
        "next" | "restart" => {
            if model.borrow().guide.is_none() {
                return Err(format!("'{op}' needs a scenario: load one first"));
            }
            dispatcher.dispatch(Action::Guide(if op == "next" { GuideStep::Next } else { GuideStep::Restart }));
            Ok(position(&model.borrow()))
        }
        _ => Err(format!("unknown request '{op}' (load, run, snapshot, next, restart)")),
    }
}

/// Types a line into a console; the reply as the console printed it,
/// once a blocked command got its answer.
async fn run(model: &Rc<RefCell<Model>>, dispatcher: &UseReducerDispatcher<PageState>, port: u16, line: &str) -> Result<JsValue, String> {
    let mark = {
        let model = model.borrow();
        if model.playground.session().console(port).is_none() {
            return Err(format!("there is no node on port {port} here"));
        }
        model.playground.printed_count(port)
    };
    dispatcher.dispatch(Action::Run { port, line: line.to_string() });
    let mut waited = 0;
    while waited < RUN_WAIT_LIMIT_MS && model.borrow().playground.session().console(port).is_some_and(|c| c.is_blocked()) {
        sleep(50).await;
        waited += 50;
    }
    let model = model.borrow();
    let printed = model.playground.printed_since(port, mark);
    let reply: Vec<&str> = printed.iter().skip_while(|l| l.kind != LineKind::Input).skip(1).map(|l| l.text.as_str()).collect();
    Ok(JsValue::from_str(&reply.join("\n")))
}

/// Where the guide stands: `{ index, open, finished }`, or null.
fn position(model: &Model) -> JsValue {
    let Some(guide) = model.guide.as_ref() else { return JsValue::NULL };
    let json = format!(
        "{{\"index\":{},\"open\":{},\"finished\":{}}}",
        guide.current().map_or("null".into(), |i| i.to_string()),
        guide.open_task().map_or("null".into(), |i| i.to_string()),
        guide.finished()
    );
    parse_json(&json).unwrap_or(JsValue::NULL)
}

fn parse_json(json: &str) -> Result<JsValue, String> {
    js_sys::JSON::parse(json).map_err(|_| "internal error: bad JSON".to_string())
}
