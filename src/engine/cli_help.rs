//! What redis-cli 7.0 offers while a command is typed, built the way it
//! builds them from the server's COMMAND DOCS: the grey hint of the
//! arguments still to type, Tab completion of command names, and the local
//! `help` command (`help SET`, `help @string`, `help`).

use std::sync::OnceLock;

use super::commands::is_implemented;
use super::command_table::table;
use super::resp::Frame;

/// One help entry: a command, a subcommand (`CONFIG GET`) or a group
/// (`@string`), as redis-cli keeps them, sorted by `full`.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpEntry {
    /// `SET`, `CONFIG GET`, `@string`.
    pub full: String,
    pub is_group: bool,
    /// The arguments in redis-cli's notation: `key value [NX|XX] ...`.
    pub params: String,
    pub summary: String,
    pub since: Option<String>,
    pub group: String,
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Simple(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

/// The value under `key` in a RESP2 map (a flat array of names and values).
fn field<'a>(map: &'a Frame, key: &str) -> Option<&'a Frame> {
    let Frame::Array(items) = map else { return None };
    items.chunks(2).find(|pair| pair.len() == 2 && text(&pair[0]) == key).map(|pair| &pair[1])
}

fn concat_arguments(arguments: &Frame, separator: &str) -> String {
    let Frame::Array(items) = arguments else { return String::new() };
    items.iter().map(argument).collect::<Vec<_>>().join(separator)
}

/// One argument in redis-cli's notation: `[...]` when optional, `x [x ...]`
/// when repeated, the token before its value, `a|b` for a choice.
fn argument(map: &Frame) -> String {
    let name = field(map, "name").map(text).unwrap_or_default();
    let kind = field(map, "type").map(text).unwrap_or_default();
    let token = field(map, "token").map(text).unwrap_or_default();
    let flags: Vec<String> = match field(map, "flags") {
        Some(Frame::Array(items)) => items.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    let repeat = match kind.as_str() {
        "oneof" => field(map, "arguments").map(|a| concat_arguments(a, "|")).unwrap_or_default(),
        "block" => field(map, "arguments").map(|a| concat_arguments(a, " ")).unwrap_or_default(),
        "pure-token" => String::new(),
        _ => name,
    };
    let token_part = if !token.is_empty() && kind != "pure-token" { format!("{token} ") } else { token };
    let mut out = String::new();
    if has("optional") {
        out.push('[');
    }
    out.push_str(&token_part);
    out.push_str(&repeat);
    if has("multiple") {
        out.push_str(" [");
        if has("multiple_token") {
            out.push_str(&token_part);
        }
        out.push_str(&repeat);
        out.push_str(" ...]");
    }
    if has("optional") {
        out.push(']');
    }
    out
}

fn command_entry(full: String, doc: &Frame) -> HelpEntry {
    HelpEntry {
        full,
        is_group: false,
        params: field(doc, "arguments").map(|a| concat_arguments(a, " ")).unwrap_or_default(),
        summary: field(doc, "summary").map(text).unwrap_or_default(),
        since: field(doc, "since").map(text),
        group: field(doc, "group").map(text).unwrap_or_default(),
    }
}

/// Every entry for the commands this engine implements, and their groups.
pub fn entries() -> &'static [HelpEntry] {
    static ENTRIES: OnceLock<Vec<HelpEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut out: Vec<HelpEntry> = Vec::new();
        for (name, doc) in &table().docs {
            if !is_implemented(name) && !has_implemented_subcommand(name) {
                continue;
            }
            out.push(command_entry(name.to_ascii_uppercase(), doc));
            if let Some(Frame::Array(subs)) = field(doc, "subcommands") {
                for pair in subs.chunks(2).filter(|p| p.len() == 2) {
                    let sub = text(&pair[0]);
                    if !is_implemented(&sub) {
                        continue;
                    }
                    let word = sub.split_once('|').map_or(sub.as_str(), |(_, w)| w).to_ascii_uppercase();
                    out.push(command_entry(format!("{} {word}", name.to_ascii_uppercase()), &pair[1]));
                }
            }
        }
        let mut groups: Vec<String> = out.iter().map(|e| e.group.clone()).filter(|g| !g.is_empty()).collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            out.push(HelpEntry {
                full: format!("@{group}"),
                is_group: true,
                params: String::new(),
                summary: String::new(),
                since: None,
                group,
            });
        }
        out.sort_by(|a, b| a.full.cmp(&b.full));
        out
    })
}

fn has_implemented_subcommand(container: &str) -> bool {
    table().commands.get(container).is_some_and(|c| c.subcommands.keys().any(|s| is_implemented(s)))
}

fn words(line: &str) -> Option<Vec<String>> {
    let args = super::splitargs::split_args(line.as_bytes()).ok()?;
    Some(args.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
}

/// The grey text redis-cli shows after what is typed: the arguments of the
/// longest matching command, less those already typed (up to the first
/// optional one), with a leading space when the line does not end in one.
pub fn hint(line: &str) -> Option<String> {
    let typed = words(line)?;
    if typed.is_empty() {
        return None;
    }
    let mut best: Option<(&HelpEntry, usize)> = None;
    for entry in entries().iter().filter(|e| !e.is_group) {
        let names: Vec<&str> = entry.full.split(' ').collect();
        let matches = names.len() <= typed.len() && names.iter().zip(&typed).all(|(n, t)| n.eq_ignore_ascii_case(t));
        if matches && best.is_none_or(|(_, len)| names.len() > len) {
            best = Some((entry, names.len()));
        }
    }
    let (entry, matched) = best?;
    let mut hint = entry.params.as_str();
    let mut to_remove = typed.len() - matched;
    while to_remove > 0 && !hint.is_empty() {
        if hint.starts_with('[') {
            break;
        }
        if hint.starts_with(' ') {
            to_remove -= 1;
        }
        hint = &hint[hint.chars().next().map_or(1, char::len_utf8)..];
    }
    let ends_in_space = line.ends_with(|c: char| c.is_ascii_whitespace());
    Some(if ends_in_space { hint.to_string() } else { format!(" {hint}") })
}

/// What Tab offers for the line: every entry whose name starts with it
/// (groups too after `help `), in order; each replaces the whole line.
pub fn completions(line: &str) -> Vec<String> {
    let (prefix, rest, with_groups) = match line.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("help ") => {
            let rest = line[5..].trim_start();
            (&line[..line.len() - rest.len()], rest, true)
        }
        _ => ("", line, false),
    };
    entries()
        .iter()
        .filter(|e| with_groups || !e.is_group)
        .filter(|e| e.full.len() >= rest.len() && e.full.as_bytes()[..rest.len()].eq_ignore_ascii_case(rest.as_bytes()))
        .map(|e| format!("{prefix}{}", e.full))
        .collect()
}

/// redis-cli's own `help` command, as the lines it prints (colours left
/// out): generic help, the entries matching the words given, or a group.
pub fn help(args: &[String]) -> Vec<String> {
    if args.is_empty() {
        return vec![
            "redis-cli 7.0.15".into(),
            "To get help about Redis commands type:".into(),
            "      \"help @<group>\" to get a list of commands in <group>".into(),
            "      \"help <command>\" for help on <command>".into(),
            "      \"help <tab>\" to get a list of possible help topics".into(),
            "      \"quit\" to exit".into(),
            String::new(),
            "To set redis-cli preferences:".into(),
            "      \":set hints\" enable online hints".into(),
            "      \":set nohints\" disable online hints".into(),
            "Set your preferences in ~/.redisclirc".into(),
        ];
    }
    let group = args[0].strip_prefix('@');
    let mut out = Vec::new();
    for entry in entries().iter().filter(|e| !e.is_group) {
        let shown = match group {
            Some(group) => entry.group.eq_ignore_ascii_case(group),
            None => {
                let names: Vec<&str> = entry.full.split(' ').collect();
                args.len() <= names.len() && args.iter().zip(&names).all(|(a, n)| a.eq_ignore_ascii_case(n))
            }
        };
        if shown {
            out.push(String::new());
            out.push(format!("  {} {}", entry.full, entry.params));
            out.push(format!("  summary: {}", entry.summary));
            if let Some(since) = &entry.since {
                out.push(format!("  since: {since}"));
            }
            if group.is_none() {
                out.push(format!("  group: {}", entry.group));
            }
        }
    }
    out.push(String::new());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected texts are what redis-cli 7.0.15 prints against a real server.
    #[test]
    fn hints_follow_what_is_typed() {
        let full = "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]";
        assert_eq!(hint("SET").as_deref(), Some(format!(" {full}").as_str()));
        assert_eq!(hint("set ").as_deref(), Some(full));
        assert_eq!(hint("SET k").as_deref(), Some(" value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"));
        assert_eq!(hint("SET k v ").as_deref(), Some("[NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"));
        assert_eq!(hint("config get ").as_deref(), Some("parameter [parameter ...]"));
        assert_eq!(hint("nosuch "), None);
        assert_eq!(hint(""), None);
        assert_eq!(hint("SET \"unbalanced"), None);
    }

    #[test]
    fn tab_completes_names_and_help_topics() {
        let found = completions("repl");
        assert_eq!(found, ["REPLCONF", "REPLICAOF"]);
        assert!(completions("config g").contains(&"CONFIG GET".to_string()));
        assert!(completions("help @str").contains(&"help @string".to_string()));
        assert!(!completions("@str").contains(&"@string".to_string()));
    }

    #[test]
    fn help_prints_like_redis_cli() {
        let lines = help(&["set".into()]);
        assert_eq!(
            lines,
            [
                "",
                "  SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
                "  summary: Set the string value of a key",
                "  since: 1.0.0",
                "  group: string",
                "",
            ]
        );
        assert_eq!(help(&["config".into(), "get".into()])[1], "  CONFIG GET parameter [parameter ...]");
        assert_eq!(help(&["nosuch".into()]), [""]);
        assert!(help(&["@string".into()]).contains(&"  GETDEL key".to_string()));
        assert_eq!(help(&[])[0], "redis-cli 7.0.15");
    }
}
