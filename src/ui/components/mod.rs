//! The page's components: the app shell, a card per server, its console,
//! the topology graph, the time controls and the event log.

pub mod app;
mod console;
mod event_log;
mod node_card;
mod time_controls;
mod topology;
