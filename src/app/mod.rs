//! The page's model, without any web dependency: the playground the page
//! drives (a session and its consoles' screens), the views the UI
//! renders, the data view, the graph's layout and the save format for the
//! browser's storage. Tested natively; `ui/` only renders these views and
//! sends actions.

pub mod address;
pub mod builtins;
pub mod data_view;
pub mod embed;
pub mod guide;
pub mod history;
pub mod instruments;
pub mod layout;
pub mod metrics;
pub mod playground;
pub mod reasoning;
pub mod save;
pub mod views;
pub mod wire;

#[cfg(test)]
mod tests;
