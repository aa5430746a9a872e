//! Browser plumbing as hooks.

mod download;
mod use_graph_drag;
mod use_interval;
mod use_line_editor;

pub use download::download;
pub use use_graph_drag::{use_graph_drag, Drag, DropTarget};
pub use use_interval::use_interval;
pub use use_line_editor::{use_line_editor, LineEditor};
