//! Virtual time. The engine never reads a clock: every caller passes the
//! virtual Unix time in milliseconds that the simulator keeps.

/// Virtual Unix time in milliseconds.
pub type Millis = i64;
