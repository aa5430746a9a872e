//! COMMAND and its subcommands: what the node really accepts, from the
//! command table recorded from a real Redis 7.0.15.

use super::{err, syntax_error, Ctx};
use crate::engine::resp::Frame;

/// The recorded entries of the commands this engine implements: COMMAND
/// describes what the node really accepts, not all of Redis.
fn implemented() -> impl Iterator<Item = &'static super::table::CommandInfo> {
    super::table::table().commands.values().filter(|c| super::is_implemented(&c.name))
}

/// A command or subcommand by its full name (`config|get`), if implemented.
fn implemented_by_name(name: &[u8]) -> Option<&'static super::table::CommandInfo> {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let table = &super::table::table().commands;
    let info = match name.split_once('|') {
        Some((container, _)) => table.get(container)?.subcommands.get(&name)?,
        None => table.get(&name)?,
    };
    (super::is_implemented(&info.name)).then_some(info)
}

pub fn command(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::Array(implemented().map(|c| c.reply.clone()).collect())
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS <command> <args...>: the keys a
/// command line names, found through the command's key specs.
pub fn command_getkeys(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    getkeys(args, false)
}

pub fn command_getkeysandflags(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    getkeys(args, true)
}

fn getkeys(args: &[Vec<u8>], with_flags: bool) -> Frame {
    let line = &args[2..];
    let info = match super::table::lookup(line) {
        Some(Ok(info)) if super::is_implemented(&info.name) => info,
        _ => return err("Invalid command specified"),
    };
    if !info.has_keys() {
        return err("The command has no key arguments");
    }
    let argc = line.len() as i64;
    if (info.arity > 0 && info.arity != argc) || argc < -info.arity {
        return err("Invalid number of arguments specified for command");
    }
    let keys: Option<Vec<(usize, Vec<String>)>> = if info.name == "set" {
        // SET's key spec has variable flags: GET makes it a read too.
        let get = line[3..].iter().any(|a| a.eq_ignore_ascii_case(b"get"));
        let flags: &[&str] = if get { &["RW", "access", "update"] } else { &["OW", "update"] };
        Some(vec![(1, flags.iter().map(|f| f.to_string()).collect())])
    } else if info.name == "sort" || info.name == "sort_ro" {
        // SORT's own key finder: the sorted key, then the last STORE's
        // (SORT_RO has none).
        let owned = |flags: &[&str]| flags.iter().map(|f| f.to_string()).collect();
        let mut keys = vec![(1, owned(&["RO", "access"]))];
        if info.name == "sort" {
            keys.extend(super::sort::store_key_position(line).map(|at| (at, owned(&["OW", "update"]))));
        }
        Some(keys)
    } else {
        info.key_positions(line).map(|keys| keys.into_iter().map(|(at, spec)| (at, spec.flags.clone())).collect())
    };
    match keys.filter(|keys| !keys.is_empty()) {
        Some(keys) => Frame::Array(
            keys.into_iter()
                .map(|(at, flags)| {
                    let key = Frame::Bulk(line[at].clone());
                    if with_flags {
                        Frame::Array(vec![key, Frame::Array(flags.into_iter().map(Frame::Simple).collect())])
                    } else {
                        key
                    }
                })
                .collect(),
        ),
        // Redis treats "no keys found" like arguments that do not fit.
        None if info.has_flag("no_mandatory_keys") => Frame::Array(Vec::new()),
        None => err("Invalid arguments specified for command"),
    }
}

pub fn command_count(_: &mut Ctx, _: &[Vec<u8>]) -> Frame {
    Frame::Integer(implemented().count() as i64)
}

pub fn command_info(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() == 2 {
        return Frame::Array(implemented().map(|c| c.reply.clone()).collect());
    }
    Frame::Array(args[2..].iter().map(|n| implemented_by_name(n).map_or(Frame::NullArray, |c| c.reply.clone())).collect())
}

pub fn command_docs(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let docs = &super::table::table().docs;
    let names: Vec<String> = if args.len() == 2 {
        implemented().map(|c| c.name.clone()).collect()
    } else {
        args[2..].iter().filter_map(|n| implemented_by_name(n)).map(|c| c.name.clone()).collect()
    };
    let mut out = Vec::new();
    for name in names {
        let doc = match name.split_once('|') {
            // Subcommand docs live inside their container's entry.
            Some((container, _)) => docs.get(container).and_then(|d| sub_doc(d, &name)),
            None => docs.get(&name).cloned(),
        };
        if let Some(doc) = doc {
            out.push(Frame::bulk(name));
            out.push(doc);
        }
    }
    Frame::Array(out)
}

/// The `subcommands` map of a docs entry, looked up by full name.
fn sub_doc(doc: &Frame, full: &str) -> Option<Frame> {
    let Frame::Array(fields) = doc else { return None };
    let at = fields.iter().position(|f| *f == Frame::bulk("subcommands"))?;
    let Frame::Array(subs) = fields.get(at + 1)? else { return None };
    subs.chunks(2).find(|p| p.len() == 2 && p[0] == Frame::bulk(full.as_bytes().to_vec())).map(|p| p[1].clone())
}

fn acl_categories(info: &super::table::CommandInfo) -> Vec<String> {
    match &info.reply {
        Frame::Array(fields) => match fields.get(6) {
            Some(Frame::Array(cats)) => cats
                .iter()
                .filter_map(|c| match c {
                    Frame::Simple(s) => Some(s.trim_start_matches('@').to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub fn command_list(_: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    enum Filter {
        None,
        Module,
        AclCat(String),
        Pattern(Vec<u8>),
    }
    let mut filter = Filter::None;
    let mut i = 2;
    while i < args.len() {
        if super::eq_ignore_case(&args[i], "filterby") && args.len() - 1 - i == 2 {
            let value = args[i + 2].clone();
            filter = if super::eq_ignore_case(&args[i + 1], "module") {
                Filter::Module
            } else if super::eq_ignore_case(&args[i + 1], "aclcat") {
                Filter::AclCat(String::from_utf8_lossy(&value).to_ascii_lowercase())
            } else if super::eq_ignore_case(&args[i + 1], "pattern") {
                Filter::Pattern(value)
            } else {
                return syntax_error();
            };
            i += 3;
        } else {
            return syntax_error();
        }
    }
    let mut names = Vec::new();
    for c in implemented() {
        for info in std::iter::once(c).chain(c.subcommands.values().filter(|s| super::is_implemented(&s.name))) {
            let keep = match &filter {
                Filter::None => true,
                Filter::Module => false,
                Filter::AclCat(cat) => acl_categories(info).iter().any(|c| c == cat),
                Filter::Pattern(p) => crate::engine::glob::matches(p, info.name.as_bytes(), true),
            };
            if keep {
                names.push(info.name.clone());
            }
        }
    }
    super::bulks(names)
}

