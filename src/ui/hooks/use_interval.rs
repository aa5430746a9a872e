//! `use_interval`: calls back every `period_ms` while the component lives.

use gloo_timers::callback::Interval;
use yew::prelude::*;

#[hook]
pub fn use_interval(callback: Callback<()>, period_ms: u32) {
    use_effect_with(period_ms, move |&period| {
        let interval = Interval::new(period, move || callback.emit(()));
        // Dropping the interval cancels it when the component goes away.
        move || drop(interval)
    });
}
