//! ACL users as Redis 7.0 keeps them: each user has flags (on/off, nopass,
//! payload sanitizing), password hashes (SHA-256 hex) and selectors, the
//! first one the root: which commands (one bit per command and
//! subcommand, set by name or by category, plus the bit `+@all` sets for
//! commands to come), which first arguments of an otherwise refused
//! command, which keys (read, write or both) and which pub/sub channels.
//! A command runs when one selector allows all of it. The rules read back
//! (ACL LIST, GETUSER) are computed the way Redis computes them: `+@all`
//! or `-@all`, then the categories that fit best, then single commands.
//! The log of refusals (ACL LOG) groups similar events as Redis does.
//! Users written down (`user` lines, the ACL file) are in acl_file.rs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::engine::command_table::{all_commands, CommandInfo};
use crate::engine::sha256::sha256_hex;
use crate::engine::time::Millis;

/// The categories, in the order Redis lists and tries them.
pub const CATEGORIES: [&str; 21] = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin",
    "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
];

/// User flags, in the order ACL LIST and GETUSER show them.
const FLAG_NAMES: [&str; 5] = ["on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"];
const ON: u8 = 1;
const OFF: u8 = 1 << 1;
const NOPASS: u8 = 1 << 2;
const SKIP_SANITIZE: u8 = 1 << 3;
const SANITIZE: u8 = 1 << 4;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

impl KeyPattern {
    fn describe(&self) -> String {
        let prefix = match (self.read, self.write) {
            (true, true) => "~",
            (true, false) => "%R~",
            _ => "%W~",
        };
        format!("{prefix}{}", String::from_utf8_lossy(&self.pattern))
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Selector {
    pub allkeys: bool,
    pub allchannels: bool,
    /// Every command without looking at the bits (cleared by any removal).
    pub allcommands: bool,
    /// The reserved bit `+@all` sets: commands added later are allowed.
    pub future: bool,
    pub allowed: BTreeSet<&'static str>,
    pub firstargs: BTreeMap<&'static str, Vec<String>>,
    pub keys: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

/// Why a rule was refused (Redis's errno in ACLSetUser).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RuleError {
    Syntax,
    UnknownCommand,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

fn command(name: &str) -> Option<&'static CommandInfo> {
    let name = name.to_ascii_lowercase();
    match name.split_once('|') {
        None => crate::engine::command_table::table().commands.get(&name),
        Some((container, _)) => crate::engine::command_table::table().commands.get(container)?.subcommands.get(&name),
    }
}

pub(crate) fn has_spaces(text: &[u8]) -> bool {
    text.iter().any(|&b| b.is_ascii_whitespace() || b == 0)
}

impl Selector {
    fn new(pubsub_all: bool) -> Selector {
        Selector { allchannels: pubsub_all, ..Selector::default() }
    }

    fn set_bit(&mut self, name: &'static str, allow: bool) {
        if allow {
            self.allowed.insert(name);
        } else {
            self.allowed.remove(name);
            self.allcommands = false;
        }
    }

    /// A command and, for a container, its subcommands.
    fn change(&mut self, cmd: &'static CommandInfo, allow: bool) {
        self.set_bit(&cmd.name, allow);
        self.firstargs.remove(cmd.name.as_str());
        for sub in cmd.subcommands.values() {
            self.set_bit(&sub.name, allow);
        }
    }

    fn change_category(&mut self, category: &str, allow: bool) -> bool {
        if !CATEGORIES.contains(&category) {
            return false;
        }
        for cmd in all_commands() {
            if cmd.acl_categories.iter().any(|c| c == category) {
                self.change(cmd, allow);
            }
        }
        true
    }

    fn everything(&mut self, allow: bool) {
        self.allowed = if allow { all_commands().map(|c| c.name.as_str()).collect() } else { BTreeSet::new() };
        self.future = allow;
        self.allcommands = allow;
        self.firstargs.clear();
    }

    /// One rule on keys, channels or commands.
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let text = String::from_utf8_lossy(op).to_string();
        let lower = text.to_ascii_lowercase();
        match lower.as_str() {
            "allkeys" | "~*" => {
                self.allkeys = true;
                self.keys.clear();
            }
            "resetkeys" => {
                self.allkeys = false;
                self.keys.clear();
            }
            "allchannels" | "&*" => {
                self.allchannels = true;
                self.channels.clear();
            }
            "resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
            }
            "allcommands" | "+@all" => self.everything(true),
            "nocommands" | "-@all" => self.everything(false),
            _ if op.first() == Some(&b'~') || op.first() == Some(&b'%') => {
                if self.allkeys {
                    return Err(RuleError::KeyAfterAll);
                }
                let (mut read, mut write, mut offset) = (true, true, 1);
                if op[0] == b'%' {
                    read = false;
                    write = false;
                    loop {
                        match op.get(offset).map(u8::to_ascii_uppercase) {
                            Some(b'R') if !read => read = true,
                            Some(b'W') if !write => write = true,
                            Some(b'~') => {
                                offset += 1;
                                break;
                            }
                            None => break,
                            _ => return Err(RuleError::Syntax),
                        }
                        offset += 1;
                    }
                }
                let pattern = op[offset.min(op.len())..].to_vec();
                if has_spaces(&pattern) {
                    return Err(RuleError::Syntax);
                }
                match self.keys.iter_mut().find(|k| k.pattern == pattern) {
                    Some(existing) => {
                        existing.read |= read;
                        existing.write |= write;
                    }
                    None => self.keys.push(KeyPattern { pattern, read, write }),
                }
            }
            _ if op.first() == Some(&b'&') => {
                if self.allchannels {
                    return Err(RuleError::ChannelAfterAll);
                }
                let pattern = op[1..].to_vec();
                if has_spaces(&pattern) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.contains(&pattern) {
                    self.channels.push(pattern);
                }
            }
            _ if (lower.starts_with('+') || lower.starts_with('-')) && lower[1..].starts_with('@') => {
                if !self.change_category(&lower[2..], lower.starts_with('+')) {
                    return Err(RuleError::UnknownCommand);
                }
            }
            _ if lower.starts_with('+') => {
                let name = &lower[1..];
                match name.rsplit_once('|') {
                    None => self.change(command(name).ok_or(RuleError::UnknownCommand)?, true),
                    Some((base, sub)) => {
                        let cmd = command(base).ok_or(RuleError::UnknownCommand)?;
                        if base.contains('|') {
                            return Err(RuleError::FirstArgOfSubcommand);
                        }
                        if sub.is_empty() {
                            return Err(RuleError::Syntax);
                        }
                        if cmd.subcommands.is_empty() {
                            let allowed = self.firstargs.entry(cmd.name.as_str()).or_default();
                            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                                allowed.push(text[1 + base.len() + 1..].to_string());
                            }
                        } else {
                            self.change(command(name).ok_or(RuleError::UnknownCommand)?, true);
                        }
                    }
                }
            }
            _ if lower.starts_with('-') => self.change(command(&lower[1..]).ok_or(RuleError::UnknownCommand)?, false),
            _ => return Err(RuleError::Syntax),
        }
        Ok(())
    }

    /// How many commands of `category` this selector allows and refuses.
    fn count(&self, category: &str) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for cmd in all_commands().filter(|c| c.acl_categories.iter().any(|x| x == category)) {
            if self.allowed.contains(cmd.name.as_str()) {
                on += 1;
            } else {
                off += 1;
            }
        }
        (on, off)
    }

    /// The command rules that rebuild this selector's bits, as
    /// ACLDescribeSelectorCommandRules finds them.
    pub fn describe_commands(&self) -> String {
        let additive = !self.future;
        let mut rules = vec![if additive { "-@all".to_string() } else { "+@all".to_string() }];
        let mut fake = Selector::default();
        fake.everything(!additive);
        let mut temp = Selector { allowed: self.allowed.clone(), ..Selector::default() };
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (j, category) in CATEGORIES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count(category);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(j) = best else { break };
            fake.change_category(CATEGORIES[j], additive);
            temp.change_category(CATEGORIES[j], !additive);
            rules.push(format!("{}@{}", if additive { '+' } else { '-' }, CATEGORIES[j]));
            applied[j] = true;
        }
        for top in crate::engine::command_table::table().commands.values() {
            for cmd in std::iter::once(top).chain(top.subcommands.values()) {
                let user_bit = self.allowed.contains(cmd.name.as_str());
                if user_bit != fake.allowed.contains(cmd.name.as_str()) {
                    rules.push(format!("{}{}", if user_bit { '+' } else { '-' }, cmd.name));
                    fake.change(cmd, user_bit);
                }
                if !user_bit {
                    for arg in self.firstargs.get(cmd.name.as_str()).into_iter().flatten() {
                        rules.push(format!("+{}|{arg}", cmd.name));
                    }
                }
            }
        }
        rules.join(" ")
    }

    fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        self.keys.iter().map(KeyPattern::describe).collect::<Vec<_>>().join(" ")
    }

    fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        self.channels.iter().map(|c| format!("&{}", String::from_utf8_lossy(c))).collect::<Vec<_>>().join(" ")
    }

    /// Keys, channels, then commands, as ACL LIST shows a selector.
    fn describe(&self) -> String {
        let mut out = String::new();
        if self.allkeys {
            out.push_str("~* ");
        } else {
            for k in &self.keys {
                out.push_str(&k.describe());
                out.push(' ');
            }
        }
        if self.allchannels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            for c in &self.channels {
                out.push('&');
                out.push_str(&String::from_utf8_lossy(c));
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands());
        out
    }

    /// GETUSER's three fields of a selector.
    pub fn fields(&self) -> [(&'static str, String); 3] {
        [("commands", self.describe_commands()), ("keys", self.describe_keys()), ("channels", self.describe_channels())]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub name: Vec<u8>,
    flags: u8,
    /// SHA-256 hex of each password.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
}

impl User {
    pub(crate) fn new(name: &[u8], pubsub_all: bool) -> User {
        User { name: name.to_vec(), flags: OFF, passwords: Vec::new(), selectors: vec![Selector::new(pubsub_all)] }
    }

    pub fn enabled(&self) -> bool {
        self.flags & ON != 0
    }

    pub fn nopass(&self) -> bool {
        self.flags & NOPASS != 0
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        FLAG_NAMES.iter().enumerate().filter(|(i, _)| self.flags & (1 << i) != 0).map(|(_, n)| *n).collect()
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// One ACL SETUSER rule.
    pub fn apply(&mut self, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let lower = String::from_utf8_lossy(op).to_ascii_lowercase();
        let hash_of = |rest: &[u8]| -> Result<String, RuleError> {
            if rest.len() != 64 || !rest.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
                return Err(RuleError::BadHash);
            }
            Ok(String::from_utf8_lossy(rest).into_owned())
        };
        match lower.as_str() {
            "on" => self.flags = (self.flags | ON) & !OFF,
            "off" => self.flags = (self.flags | OFF) & !ON,
            "skip-sanitize-payload" => self.flags = (self.flags | SKIP_SANITIZE) & !SANITIZE,
            "sanitize-payload" => self.flags = (self.flags | SANITIZE) & !SKIP_SANITIZE,
            "nopass" => {
                self.flags |= NOPASS;
                self.passwords.clear();
            }
            "resetpass" => {
                self.flags &= !NOPASS;
                self.passwords.clear();
            }
            "clearselectors" => self.selectors.truncate(1),
            "reset" => {
                self.apply(b"resetpass", pubsub_all)?;
                self.apply(b"resetkeys", pubsub_all)?;
                self.apply(b"resetchannels", pubsub_all)?;
                if pubsub_all {
                    self.apply(b"allchannels", pubsub_all)?;
                }
                self.apply(b"off", pubsub_all)?;
                self.apply(b"sanitize-payload", pubsub_all)?;
                self.apply(b"clearselectors", pubsub_all)?;
                self.apply(b"-@all", pubsub_all)?;
            }
            _ => match op[0] {
                b'>' | b'#' => {
                    let hash = if op[0] == b'>' { sha256_hex(&op[1..]) } else { hash_of(&op[1..])? };
                    if !self.passwords.contains(&hash) {
                        self.passwords.push(hash);
                    }
                    self.flags &= !NOPASS;
                }
                b'<' | b'!' => {
                    let hash = if op[0] == b'<' { sha256_hex(&op[1..]) } else { hash_of(&op[1..])? };
                    let at = self.passwords.iter().position(|p| *p == hash).ok_or(RuleError::NoSuchPassword)?;
                    self.passwords.remove(at);
                }
                b'(' if op.last() == Some(&b')') => {
                    let inner = &op[1..op.len() - 1];
                    let mut selector = Selector::new(pubsub_all);
                    let words = crate::engine::splitargs::split_args(inner).map_err(|_| RuleError::Syntax)?;
                    for word in words {
                        selector.apply(&word)?;
                    }
                    self.selectors.push(selector);
                }
                _ => self.selectors[0].apply(op)?,
            },
        }
        Ok(())
    }

    /// The user as ACL LIST shows it, after `user NAME `.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for name in self.flag_names() {
            out.push_str(name);
            out.push(' ');
        }
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        for (i, s) in self.selectors.iter().enumerate() {
            if i == 0 {
                out.push_str(&s.describe());
            } else {
                out.push_str(&format!(" ({})", s.describe()));
            }
        }
        out
    }

    fn password_ok(&self, given: &[u8]) -> bool {
        self.nopass() || self.passwords.contains(&sha256_hex(given))
    }
}

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Denied {
    fn reason(self) -> &'static str {
        match self {
            Denied::Command => "command",
            Denied::Key => "key",
            Denied::Channel => "channel",
            Denied::Auth => "auth",
        }
    }
}

/// The channels a command names: (position, is a pattern), for the
/// commands that publish or subscribe.
fn channels(info: &CommandInfo, args: &[Vec<u8>]) -> Vec<(usize, bool)> {
    match info.name.as_str() {
        "publish" | "spublish" => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..args.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..args.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

impl Selector {
    fn key_allowed(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.allkeys || self.keys.iter().any(|k| (!read || k.read) && (!write || k.write) && crate::engine::glob::matches(&k.pattern, key, false))
    }

    fn channel_allowed(&self, channel: &[u8], pattern: bool) -> bool {
        self.allchannels || self.channels.iter().any(|c| if pattern { c == channel } else { crate::engine::glob::matches(c, channel, false) })
    }

    /// ACLSelectorCheckCmd: the refusal and the argument it is about.
    fn check(&self, info: &CommandInfo, args: &[Vec<u8>]) -> Result<(), (Denied, usize)> {
        if !self.allcommands && !info.has_flag("no_auth") && !self.allowed.contains(info.name.as_str()) {
            let first_arg_at = if info.name.contains('|') { 2 } else { 1 };
            let allowed = self.firstargs.get(info.name.as_str()).is_some_and(|list| {
                args.get(first_arg_at).is_some_and(|a| list.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(a)))
            });
            if !allowed {
                return Err((Denied::Command, 0));
            }
        }
        if !self.allkeys && info.has_keys() {
            for (pos, spec) in info.key_positions(args).unwrap_or_default() {
                let has = |f: &str| spec.flags.iter().any(|x| x.eq_ignore_ascii_case(f));
                let read = has("access");
                let write = has("insert") || has("delete") || has("update");
                if !self.key_allowed(&args[pos], read, write) {
                    return Err((Denied::Key, pos));
                }
            }
        }
        if !self.allchannels {
            for (pos, pattern) in channels(info, args) {
                if !self.channel_allowed(&args[pos], pattern) {
                    return Err((Denied::Channel, pos));
                }
            }
        }
        Ok(())
    }
}

impl User {
    /// ACLCheckAllUserCommandPerm: allowed if one selector allows it;
    /// otherwise the most telling refusal.
    pub fn check(&self, info: &CommandInfo, args: &[Vec<u8>]) -> Result<(), (Denied, usize)> {
        let mut worst = (Denied::Command, 0);
        for s in &self.selectors {
            match s.check(info, args) {
                Ok(()) => return Ok(()),
                Err(e) if e.0 > worst.0 || (e.0 == worst.0 && e.1 > worst.1) => worst = e,
                Err(_) => {}
            }
        }
        Err(worst)
    }

    /// Whether the user may still use a channel it subscribed to.
    pub fn channel_allowed(&self, channel: &[u8], pattern: bool) -> bool {
        self.selectors.iter().any(|s| s.channel_allowed(channel, pattern))
    }
}

/// One ACL LOG entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Denied,
    /// `toplevel`, `multi`, `lua`.
    pub context: &'static str,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub at: Millis,
    pub client_info: String,
}

impl LogEntry {
    pub fn reason_name(&self) -> &'static str {
        self.reason.reason()
    }
}

/// Entries this close in time with the same reason, context, object and
/// user are counted as one.
const LOG_GROUPING_MS: Millis = 60_000;

#[derive(Clone, Debug)]
pub struct Acl {
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: VecDeque<LogEntry>,
    /// The `requirepass` last applied to the default user.
    applied_requirepass: Option<String>,
}

impl Default for Acl {
    fn default() -> Acl {
        let mut default = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = default.apply(op.as_bytes(), false);
        }
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), default);
        Acl { users, log: VecDeque::new(), applied_requirepass: None }
    }
}

impl Acl {
    pub fn default_user(&self) -> Option<&User> {
        self.users.get(b"default".as_slice())
    }

    /// Whether a new connection must authenticate first.
    pub fn auth_required(&self) -> bool {
        self.default_user().is_none_or(|u| !u.nopass() || !u.enabled())
    }

    /// `requirepass` sets the default user's one password (empty: nopass),
    /// when it changed since last applied.
    pub fn sync_requirepass(&mut self, requirepass: &str) {
        if self.applied_requirepass.as_deref() == Some(requirepass) {
            return;
        }
        self.applied_requirepass = Some(requirepass.to_string());
        if let Some(default) = self.users.get_mut(b"default".as_slice()) {
            let _ = default.apply(b"resetpass", false);
            if requirepass.is_empty() {
                let _ = default.apply(b"nopass", false);
            } else {
                let mut op = b">".to_vec();
                op.extend_from_slice(requirepass.as_bytes());
                let _ = default.apply(&op, false);
            }
        }
    }

    /// Whether the user exists, is on and takes this password.
    pub fn credentials_ok(&self, user: &[u8], password: &[u8]) -> bool {
        self.users.get(user).is_some_and(|u| u.enabled() && u.password_ok(password))
    }

    /// ACL SETUSER: every rule applies to a copy first, so an error changes nothing.
    pub fn set_user(&mut self, name: &[u8], rules: &[Vec<u8>], pubsub_all: bool) -> Result<(), String> {
        let merged = merge_selector_args(rules).map_err(|start| {
            format!("Unmatched parenthesis in acl selector starting at '{}'.", String::from_utf8_lossy(&rules[start]))
        })?;
        let mut user = self.users.get(name).cloned().unwrap_or_else(|| User::new(name, pubsub_all));
        for rule in &merged {
            user.apply(rule, pubsub_all).map_err(|e| {
                format!("Error in ACL SETUSER modifier '{}': {}", String::from_utf8_lossy(rule), e.message())
            })?;
        }
        self.users.insert(name.to_vec(), user);
        Ok(())
    }

    /// Adds an entry (or bumps a similar recent one), keeping at most `max_len`.
    pub fn add_log(&mut self, mut entry: LogEntry, max_len: usize) {
        let found = self.log.iter().take(10).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && (e.at - entry.at).abs() <= LOG_GROUPING_MS
                && e.object == entry.object
                && e.username == entry.username
        });
        if let Some(at) = found {
            if let Some(mut existing) = self.log.remove(at) {
                existing.count += 1;
                existing.at = entry.at;
                existing.client_info = std::mem::take(&mut entry.client_info);
                self.log.push_front(existing);
            }
            return;
        }
        self.log.push_front(entry);
        self.log.truncate(max_len);
    }
}

/// ACL SETUSER's arguments with a selector spread over several words
/// (`(~x` `+get)`) joined into one; `Err` has where an unclosed one began.
pub(crate) fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((start, mut selector)) = open.take() {
            selector.push(b' ');
            selector.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(selector);
            } else {
                open = Some((start, selector));
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &str) -> User {
        let mut u = User::new(b"u", false);
        for r in rules.split(' ') {
            u.apply(r.as_bytes(), false).unwrap();
        }
        u
    }

    #[test]
    fn rules_read_back_as_redis_writes_them() {
        assert_eq!(Acl::default().default_user().unwrap().describe(), "on nopass ~* &* +@all");
        assert_eq!(user("on >x ~k* +get").describe(), format!("on #{} ~k* resetchannels -@all +get", sha256_hex(b"x")));
        assert_eq!(user("+@all -get").root().describe_commands(), "+@all -get");
        assert_eq!(user("-@all +@set").root().describe_commands(), "-@all +@set");
        assert_eq!(user("+select|0").root().describe_commands(), "-@all +select|0");
        assert_eq!(user("%R~r* %W~w* ~b").root().describe_keys(), "%R~r* %W~w* ~b");
    }

    #[test]
    fn refused_rules_say_why() {
        let mut u = User::new(b"u", false);
        assert_eq!(u.apply(b"+nosuch", false), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"+@nosuch", false), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"#abc", false), Err(RuleError::BadHash));
        assert_eq!(u.apply(b"<nope", false), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply(b"+config|get|x", false), Err(RuleError::FirstArgOfSubcommand));
        assert_eq!(u.apply(b"bogus", false), Err(RuleError::Syntax));
        u.apply(b"allkeys", false).unwrap();
        assert_eq!(u.apply(b"~x", false), Err(RuleError::KeyAfterAll));
    }
}
