//! The page's components: the app shell, a card per server (and per
//! Sentinel), its console,
//! the topology graph, the time controls, the event log, the data view and
//! the config file editor.

pub mod app;
mod config_editor;
mod data_panel;
mod console;
mod event_log;
mod guide_panel;
mod instruments;
mod node_card;
mod node_controls;
mod sentinel_card;
mod share_panel;
mod time_controls;
mod time_travel;
mod topology;
mod writes_panel;
