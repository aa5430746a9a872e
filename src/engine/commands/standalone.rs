//! What a standalone Redis without modules answers to the commands of
//! cluster mode and of modules: CLUSTER and its subcommands, ASKING,
//! READONLY and READWRITE refuse with Redis's cluster-disabled error;
//! MODULE LIST is empty and MODULE LOAD / LOADEX / UNLOAD are refused as
//! `enable-module-command no` refuses them. Also LOLWUT's plain form.

use super::{err, int_arg, Ctx};
use crate::engine::resp::Frame;

pub fn cluster_disabled(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    err("This instance has cluster support disabled")
}

pub fn module_list(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::Array(Vec::new())
}

pub fn module_refused(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    err("MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
}

/// LOLWUT [VERSION n [args]]: Redis 7.0 has no artwork of its own, so
/// without VERSION 5 or 6 it answers with its version line (the version is
/// read as a C unsigned int, hence the truncation).
pub fn lolwut(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut version = 0u32;
    let mut rest: &[Vec<u8>] = &[];
    if args.len() >= 3 && args[1].eq_ignore_ascii_case(b"version") {
        version = match int_arg(&args[2]) {
            Ok(v) => v as u32,
            Err(e) => return e,
        };
        rest = &args[3..];
    }
    match version {
        5 => super::lolwut::schotter(ctx.rng, rest),
        6 => super::lolwut::skyline(ctx.rng, rest),
        _ => Frame::Bulk(format!("Redis ver. {}\n", crate::engine::info::REDIS_VERSION).into_bytes()),
    }
}
