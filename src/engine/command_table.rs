//! Redis 7.0.15's command table as real Redis reports it (recorded by
//! scripts/record-command-table.py): names, arity, flags, key positions and
//! the COMMAND DOCS entries. Arity errors, COMMAND and the console's hints
//! all read from here, so they agree with real Redis by construction.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::engine::resp::{parse_frame, Frame};
use crate::engine::fnv::FixedHashMap;

const COMMAND_REPLY: &[u8] = include_bytes!("commands/recorded/command.resp");
const DOCS_REPLY: &[u8] = include_bytes!("commands/recorded/command_docs.resp");

#[derive(Debug)]
pub struct CommandInfo {
    /// Lower case; subcommands are `container|sub`.
    pub name: String,
    pub arity: i64,
    pub flags: Vec<String>,
    write: bool,
    readonly: bool,
    pub first_key: i64,
    pub last_key: i64,
    pub key_step: i64,
    /// The entry exactly as COMMAND INFO returns it.
    pub reply: Frame,
    /// Where the keys are among the arguments (COMMAND GETKEYS).
    pub key_specs: Vec<KeySpec>,
    /// Its ACL categories, without the `@`.
    pub acl_categories: Vec<String>,
    pub subcommands: BTreeMap<String, CommandInfo>,
}

/// One of Redis 7's key specifications: where a run of keys begins and how
/// far it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySpec {
    /// RW, access, update... as COMMAND INFO and GETKEYSANDFLAGS show them.
    pub flags: Vec<String>,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BeginSearch {
    Index(i64),
    /// After the argument equal to `keyword`, searching from `startfrom`
    /// (negative: backwards from the end).
    Keyword { keyword: String, startfrom: i64 },
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FindKeys {
    /// `lastkey` relative to the first key (negative: from the end),
    /// every `keystep`; `limit` divides what is left.
    Range { lastkey: i64, keystep: i64, limit: i64 },
    /// The number of keys is an argument `keynumidx` after the start.
    Keynum { keynumidx: i64, firstkey: i64, keystep: i64 },
    Unknown,
}

/// A RESP2 map (a flat array of names and values) as pairs.
fn map_field<'a>(frame: &'a Frame, name: &str) -> Option<&'a Frame> {
    let Frame::Array(items) = frame else { return None };
    items.chunks(2).find(|pair| pair.len() == 2 && text(&pair[0]) == name).map(|pair| &pair[1])
}

fn parse_key_spec(frame: &Frame) -> Option<KeySpec> {
    let flags = match map_field(frame, "flags")? {
        Frame::Array(items) => items.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let begin = map_field(frame, "begin_search")?;
    let begin_spec = map_field(begin, "spec")?;
    let begin = match text(map_field(begin, "type")?).as_str() {
        "index" => BeginSearch::Index(int(map_field(begin_spec, "index")?)),
        "keyword" => BeginSearch::Keyword {
            keyword: text(map_field(begin_spec, "keyword")?),
            startfrom: int(map_field(begin_spec, "startfrom")?),
        },
        _ => BeginSearch::Unknown,
    };
    let find = map_field(frame, "find_keys")?;
    let find_spec = map_field(find, "spec")?;
    let find = match text(map_field(find, "type")?).as_str() {
        "range" => FindKeys::Range {
            lastkey: int(map_field(find_spec, "lastkey")?),
            keystep: int(map_field(find_spec, "keystep")?),
            limit: int(map_field(find_spec, "limit")?),
        },
        "keynum" => FindKeys::Keynum {
            keynumidx: int(map_field(find_spec, "keynumidx")?),
            firstkey: int(map_field(find_spec, "firstkey")?),
            keystep: int(map_field(find_spec, "keystep")?),
        },
        _ => FindKeys::Unknown,
    };
    Some(KeySpec { flags, begin, find })
}

impl CommandInfo {
    /// Whether any key spec names a real key (Redis's doesCommandHaveKeys
    /// for commands without a key-finding function of their own).
    pub fn has_keys(&self) -> bool {
        self.key_specs.iter().any(|spec| !spec.flags.iter().any(|f| f == "not_key"))
    }

    /// The positions of the keys among `args` (the command name at 0) and
    /// the spec each comes from, following the key specs as Redis does;
    /// `None` when the arguments do not fit them.
    pub fn key_positions(&self, args: &[Vec<u8>]) -> Option<Vec<(usize, &KeySpec)>> {
        let argc = args.len() as i64;
        let mut keys = Vec::new();
        for spec in self.key_specs.iter().filter(|s| !s.flags.iter().any(|f| f == "not_key")) {
            let first = match &spec.begin {
                BeginSearch::Index(pos) => *pos,
                BeginSearch::Keyword { keyword, startfrom } => {
                    // As Redis scans: forwards up to the next-to-last
                    // argument, or backwards down to the second one.
                    let is_keyword = |i: &i64| args[*i as usize].eq_ignore_ascii_case(keyword.as_bytes());
                    let found = if *startfrom > 0 {
                        (*startfrom..argc - 1).find(is_keyword)
                    } else {
                        let start = argc + startfrom;
                        if start < argc { (2..=start).rev().find(is_keyword) } else { None }
                    };
                    match found {
                        Some(i) => i + 1,
                        None => continue,
                    }
                }
                BeginSearch::Unknown => return None,
            };
            let (first, last, step) = match &spec.find {
                FindKeys::Range { lastkey, keystep, limit } => {
                    let last = if *lastkey >= 0 {
                        first + lastkey
                    } else if *limit == 0 {
                        argc + lastkey
                    } else {
                        first + ((argc - first) / limit + lastkey)
                    };
                    (first, last, *keystep)
                }
                FindKeys::Keynum { keynumidx, firstkey, keystep } => {
                    let at = first + keynumidx;
                    if *keynumidx >= argc || at >= argc || at < 0 {
                        return None;
                    }
                    let count = crate::engine::numfmt::parse_i64(&args[at as usize]).filter(|n| *n >= 0)?;
                    let first = first + firstkey;
                    (first, first.saturating_add(count) - 1, *keystep)
                }
                FindKeys::Unknown => return None,
            };
            if last >= argc || last < first || first >= argc || step <= 0 {
                return None;
            }
            let mut i = first;
            while i <= last {
                keys.push((i as usize, spec));
                i += step;
            }
            // A spec Redis marks incomplete (MIGRATE's KEYS, the only
            // one) sends it to the command's own key finder.
            if spec.flags.iter().any(|f| f == "incomplete") {
                return self.own_key_positions(args);
            }
        }
        Some(keys)
    }

    /// MIGRATE's key finder (Redis's migrateGetKeys): the key argument,
    /// or what follows KEYS when the key argument is empty (none when it
    /// is not: the command itself then refuses).
    fn own_key_positions(&self, args: &[Vec<u8>]) -> Option<Vec<(usize, &KeySpec)>> {
        let spec = self.key_specs.first().filter(|_| self.name == "migrate")?;
        let (mut first, mut count) = (3, 1);
        let mut i = 6;
        while i < args.len() {
            let arg = &args[i];
            if arg.eq_ignore_ascii_case(b"keys") {
                if args[3].is_empty() {
                    (first, count) = (i + 1, args.len() - i - 1);
                } else {
                    count = 0;
                }
                break;
            }
            i += if arg.eq_ignore_ascii_case(b"auth") { 2 } else if arg.eq_ignore_ascii_case(b"auth2") { 3 } else { 1 };
        }
        Some((first..first + count).map(|at| (at, spec)).collect())
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        // Asked of every command: answered without scanning the names.
        match flag {
            "write" => self.write,
            "readonly" => self.readonly,
            _ => self.flags.iter().any(|f| f == flag),
        }
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
    let key_specs = match fields.get(8)? {
        Frame::Array(items) => items.iter().filter_map(parse_key_spec).collect(),
        _ => Vec::new(),
    };
    let flags: Vec<String> = flags;
    let acl_categories = match fields.get(6)? {
        Frame::Array(items) => items.iter().map(|c| text(c).trim_start_matches('@').to_string()).collect(),
        _ => Vec::new(),
    };
    Some(CommandInfo {
        acl_categories,
        write: flags.iter().any(|f| f == "write"),
        readonly: flags.iter().any(|f| f == "readonly"),
        key_specs,
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
    /// By name, in name order (a hash table: every command looks itself up).
    pub commands: FixedHashMap<String, CommandInfo>,
    pub docs: BTreeMap<String, Frame>,
}

/// The recorded files are part of the build; should they ever fail to
/// parse, the table is empty and every command answers "unknown command"
/// rather than the page dying.
fn load() -> Table {
    let commands = match parse_frame(COMMAND_REPLY) {
        Ok(Some((Frame::Array(entries), _))) => {
            let by_name: BTreeMap<String, CommandInfo> = entries.iter().filter_map(parse_entry).map(|c| (c.name.clone(), c)).collect();
            by_name.into_iter().collect()
        }
        _ => FixedHashMap::default(),
    };
    let docs = match parse_frame(DOCS_REPLY) {
        Ok(Some((Frame::Array(items), _))) => {
            items.chunks(2).filter(|p| p.len() == 2).map(|p| (text(&p[0]), p[1].clone())).collect()
        }
        _ => BTreeMap::new(),
    };
    Table { commands, docs }
}

/// Every command and subcommand, containers before their subcommands, in
/// name order (ACL works on all of them).
pub fn all_commands() -> impl Iterator<Item = &'static CommandInfo> {
    table().commands.values().flat_map(|c| std::iter::once(c).chain(c.subcommands.values()))
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
    let raw = args.first()?;
    // Names are short: lower-cased on the stack, as this runs for every command.
    let mut buffer = [0u8; 32];
    let base = if raw.len() <= buffer.len() {
        buffer[..raw.len()].copy_from_slice(raw);
        buffer[..raw.len()].make_ascii_lowercase();
        table().commands.get(std::str::from_utf8(&buffer[..raw.len()]).ok()?)?
    } else {
        table().commands.get(&String::from_utf8_lossy(raw).to_ascii_lowercase())?
    };
    let name = &base.name;
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
