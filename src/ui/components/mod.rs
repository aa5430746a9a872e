//! The page's components: the app shell, a card per server, its console.

pub mod app;
mod console;
mod node_card;
mod topology;
