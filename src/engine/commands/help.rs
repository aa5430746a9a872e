//! The HELP subcommands (CLIENT HELP, CONFIG HELP, OBJECT HELP...): Redis
//! 7.0.15's own texts, recorded by scripts/record-command-table.py into
//! recorded/help.resp as pairs of container name and reply.

use std::sync::OnceLock;

use super::{err, Ctx};
use crate::engine::resp::{parse_frame, Frame};

const HELP_REPLIES: &[u8] = include_bytes!("recorded/help.resp");

fn replies() -> &'static [Frame] {
    static PARSED: OnceLock<Vec<Frame>> = OnceLock::new();
    PARSED.get_or_init(|| match parse_frame(HELP_REPLIES) {
        Ok(Some((Frame::Array(items), _))) => items,
        _ => Vec::new(),
    })
}

/// `CONTAINER HELP`: the recorded text of the container named first.
pub fn help(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let name = args[0].to_ascii_lowercase();
    replies()
        .chunks(2)
        .find(|pair| matches!(&pair[0], Frame::Bulk(n) if *n == name))
        .and_then(|pair| pair.get(1).cloned())
        .unwrap_or_else(|| err("no help recorded for this command"))
}
