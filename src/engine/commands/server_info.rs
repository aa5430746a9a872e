//! MEMORY USAGE: the size a key takes, estimated the way INFO's memory
//! figures are (see info.rs).

use super::{int_arg, syntax_error, Ctx};
use crate::engine::value::value_size;
use crate::engine::resp::Frame;

pub fn memory_usage(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut j = 3;
    while j < args.len() {
        if super::eq_ignore_case(&args[j], "samples") && j + 1 < args.len() {
            if let Err(e) = int_arg(&args[j + 1]) {
                return e;
            }
            j += 2;
        } else {
            return syntax_error();
        }
    }
    let now = ctx.now;
    match ctx.db().peek(&args[2], now) {
        None => Frame::Null,
        Some(e) => Frame::Integer((args[2].len() as u64 + 56 + value_size(&e.value)) as i64),
    }
}
