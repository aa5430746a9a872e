//! Redis 7.0.15's command table as real Redis reports it (recorded by
//! scripts/record-command-table.py): names, arity, flags, key positions and
//! the COMMAND DOCS entries. Arity errors, COMMAND and the console's hints
//! all read from here, so they agree with real Redis by construction.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::engine::resp::{parse_frame, Frame};

const COMMAND_REPLY: &[u8] = include_bytes!("recorded/command.resp");
const DOCS_REPLY: &[u8] = include_bytes!("recorded/command_docs.resp");

#[derive(Debug)]
pub struct CommandInfo {
    /// Lower case; subcommands are `container|sub`.
    pub name: String,
    pub arity: i64,
    pub flags: Vec<String>,
    pub first_key: i64,
    pub last_key: i64,
    pub key_step: i64,
    /// The entry exactly as COMMAND INFO returns it.
    pub reply: Frame,
    pub subcommands: BTreeMap<String, CommandInfo>,
}

impl CommandInfo {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Simple(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn int(frame: &Frame) -> i64 {
    match frame {
        Frame::Integer(n) => *n,
        _ => 0,
    }
}

fn parse_entry(frame: &Frame) -> Option<CommandInfo> {
    let Frame::Array(fields) = frame else { return None };
    let name = text(fields.first()?);
    let flags = match fields.get(2)? {
        Frame::Array(items) => items.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let subcommands = match fields.get(9)? {
        Frame::Array(items) => items.iter().filter_map(parse_entry).map(|c| (c.name.clone(), c)).collect(),
        _ => BTreeMap::new(),
    };
    Some(CommandInfo {
        name,
        arity: int(fields.get(1)?),
        flags,
        first_key: int(fields.get(3)?),
        last_key: int(fields.get(4)?),
        key_step: int(fields.get(5)?),
        reply: frame.clone(),
        subcommands,
    })
}

pub struct Table {
    pub commands: BTreeMap<String, CommandInfo>,
    pub docs: BTreeMap<String, Frame>,
}

/// The recorded files are part of the build; should they ever fail to
/// parse, the table is empty and every command answers "unknown command"
/// rather than the page dying.
fn load() -> Table {
    let commands = match parse_frame(COMMAND_REPLY) {
        Ok(Some((Frame::Array(entries), _))) => {
            entries.iter().filter_map(parse_entry).map(|c| (c.name.clone(), c)).collect()
        }
        _ => BTreeMap::new(),
    };
    let docs = match parse_frame(DOCS_REPLY) {
        Ok(Some((Frame::Array(items), _))) => {
            items.chunks(2).filter(|p| p.len() == 2).map(|p| (text(&p[0]), p[1].clone())).collect()
        }
        _ => BTreeMap::new(),
    };
    Table { commands, docs }
}

pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(load)
}

/// Looks a command up the way Redis does: a container command (CONFIG,
/// CLIENT, OBJECT...) with an argument resolves to its subcommand. Returns
/// the container itself when there is no argument, and `Err(container)`
/// when the subcommand does not exist.
pub fn lookup(args: &[Vec<u8>]) -> Option<Result<&'static CommandInfo, &'static CommandInfo>> {
    let name = String::from_utf8_lossy(args.first()?).to_ascii_lowercase();
    let base = table().commands.get(&name)?;
    if base.subcommands.is_empty() || args.len() == 1 {
        return Some(Ok(base));
    }
    let sub = format!("{name}|{}", String::from_utf8_lossy(&args[1]).to_ascii_lowercase());
    Some(base.subcommands.get(&sub).ok_or(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_table_loads() {
        let t = table();
        assert_eq!(t.commands.len(), 240);
        assert_eq!(t.commands["get"].arity, 2);
        assert_eq!(t.commands["set"].arity, -3);
        assert!(t.commands["get"].has_flag("readonly"));
        assert_eq!(t.commands["config"].subcommands["config|get"].arity, -3);
        assert!(t.docs.contains_key("get"));
    }

    #[test]
    fn container_lookup() {
        let args = |s: &[&str]| s.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(lookup(&args(&["CONFIG", "GET", "x"])).unwrap().unwrap().name, "config|get");
        assert_eq!(lookup(&args(&["config"])).unwrap().unwrap().name, "config");
        assert_eq!(lookup(&args(&["config", "nope"])).unwrap().unwrap_err().name, "config");
        assert!(lookup(&args(&["nosuch"])).is_none());
    }
}
