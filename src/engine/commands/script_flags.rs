//! What a script or function declares it may do: the `#!lua flags=...`
//! line of a script, a function's registered flags, and whether a call of
//! EVAL, EVALSHA or FCALL may write (which CLIENT PAUSE WRITE holds). Kept
//! apart from `scripting` so that the dispatcher can ask without running
//! scripts.

use super::table::CommandInfo;
use crate::engine::server::Server;

/// What a script's shebang (`#!lua flags=no-writes,allow-oom`) or a
/// function's registration declares.
#[derive(Default, Clone, Copy)]
pub(crate) struct Flags {
    /// Flags were declared: not EVAL's compatibility mode.
    pub declared: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
}

impl Flags {
    pub(crate) fn of_function(flags: &[&str]) -> Flags {
        Flags { declared: true, no_writes: flags.contains(&"no-writes"), allow_oom: flags.contains(&"allow-oom") }
    }
}

/// A script's flags from its first line (none without `#!`), or Redis's
/// error for the line.
pub(crate) fn shebang_flags(body: &[u8]) -> Result<Flags, String> {
    if !body.starts_with(b"#!") {
        return Ok(Flags::default());
    }
    let line_end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..line_end]);
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = Flags { declared: true, ..Flags::default() };
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            }
        }
    }
    Ok(flags)
}

/// Whether a script or function call may write (Redis's may_replicate
/// on EVAL, EVALSHA and FCALL, unless the script or function says
/// no-writes): CLIENT PAUSE WRITE holds such calls.
pub(crate) fn may_write(server: &Server, info: &CommandInfo, args: &[Vec<u8>]) -> bool {
    let declared_read_only = |body: &[u8]| shebang_flags(body).is_ok_and(|f| f.no_writes);
    match info.name.as_str() {
        "eval" => args.get(1).is_none_or(|body| !declared_read_only(body)),
        "evalsha" => args
            .get(1)
            .and_then(|sha| server.scripts.get(&String::from_utf8_lossy(sha).to_ascii_lowercase()))
            .is_none_or(|body| !declared_read_only(body)),
        "fcall" => args
            .get(1)
            .and_then(|name| crate::engine::server::functions::find(&server.libraries, &String::from_utf8_lossy(name)))
            .is_none_or(|(_, f)| !f.no_writes()),
        _ => false,
    }
}
