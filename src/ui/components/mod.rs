//! The page's components: the app shell, a card per server, its console,
//! the topology graph and the time controls.

pub mod app;
mod console;
mod node_card;
mod time_controls;
mod topology;
