//! Users written down: `user` lines of redis.conf (checked as the file is
//! read, applied at start-up) and the ACL file (ACL LOAD at start and on
//! demand, ACL SAVE), with Redis's error texts for both.

use std::collections::BTreeMap;

use super::acl::{has_spaces, merge_selector_args, Acl, RuleError, User};

/// A `user NAME RULES...` line of redis.conf, checked as Redis checks it
/// while reading the file (unknown commands wait for the load); the error
/// names the word Redis names (it indexes the line by the rule's number).
pub fn check_user_line(words: &[String], seen: &mut Vec<String>) -> Result<(), String> {
    let line: Vec<&str> = std::iter::once("user").chain(words.iter().map(String::as_str)).collect();
    let fail = |at: usize, why: &str| format!("Error in user declaration '{}': {why}", line.get(at).unwrap_or(&""));
    if seen.contains(&words[0]) {
        return Err(fail(1, "Duplicate user found. A user can only be defined once in config files"));
    }
    let rules: Vec<Vec<u8>> = words[1..].iter().map(|w| w.as_bytes().to_vec()).collect();
    let merged = merge_selector_args(&rules).map_err(|at| fail(at, "Syntax error"))?;
    let mut user = User::new(words[0].as_bytes(), false);
    for (j, rule) in merged.iter().enumerate() {
        match user.apply(rule, false) {
            Ok(()) | Err(RuleError::UnknownCommand) => {}
            Err(e) => return Err(fail(j, e.message())),
        }
    }
    seen.push(words[0].clone());
    Ok(())
}

impl Acl {
    /// The `user` lines of the config file, applied at start-up (the
    /// default user is reset first).
    pub fn load_configured(&mut self, lines: &[&[String]], pubsub_all: bool) {
        for words in lines {
            let Some((name, rules)) = words.split_first() else { continue };
            let name = name.as_bytes().to_vec();
            let mut user = if name == b"default" { self.users.get(&name).cloned().unwrap_or_else(|| User::new(&name, pubsub_all)) } else { User::new(&name, pubsub_all) };
            if name == b"default" {
                let _ = user.apply(b"reset", pubsub_all);
            }
            let rules: Vec<Vec<u8>> = rules.iter().map(|w| w.as_bytes().to_vec()).collect();
            for rule in merge_selector_args(&rules).unwrap_or_default() {
                let _ = user.apply(&rule, pubsub_all);
            }
            self.users.insert(name, user);
        }
    }
}

impl Acl {
    /// ACL LOAD (and start-up with `aclfile`): the users of an ACL file
    /// replace all but the default user's slot; with any error nothing
    /// changes and the errors are returned as Redis words them.
    pub fn load_file(&mut self, file_name: &str, content: &[u8], pubsub_all: bool) -> Result<(), String> {
        let mut errors = String::new();
        let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
        for (i, raw) in content.split(|&b| b == b'\n').enumerate() {
            let line_number = i + 1;
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            if words[0] != "user" || words.len() < 2 {
                errors.push_str(&format!("{file_name}:{line_number} should start with user keyword followed by the username. "));
                continue;
            }
            let name = words[1].as_bytes();
            if has_spaces(name) {
                errors.push_str(&format!("'{file_name}:{line_number}: username '{}' contains invalid characters. ", words[1]));
                continue;
            }
            if users.contains_key(name) {
                errors.push_str(&format!("WARNING: Duplicate user '{}' found on line {line_number}. ", words[1]));
                continue;
            }
            let mut user = User::new(name, pubsub_all);
            let rules: Vec<Vec<u8>> = words[2..].iter().map(|w| w.as_bytes().to_vec()).collect();
            let merged = match merge_selector_args(&rules) {
                Ok(m) => m,
                Err(_) => {
                    errors.push_str(&format!("{file_name}:{line_number}: Unmatched parenthesis in selector definition."));
                    Vec::new()
                }
            };
            let mut syntax_error = false;
            for rule in &merged {
                let rule: Vec<u8> = String::from_utf8_lossy(rule).trim_matches(|c| c == '\t' || c == '\r' || c == '\n').as_bytes().to_vec();
                match user.apply(&rule, pubsub_all) {
                    Ok(()) => {}
                    Err(RuleError::UnknownCommand) => errors.push_str(&format!(
                        "{file_name}:{line_number}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(&rule),
                        RuleError::UnknownCommand.message()
                    )),
                    Err(e) if !syntax_error => {
                        errors.push_str(&format!("{file_name}:{line_number}: {}. ", e.message()));
                        syntax_error = true;
                    }
                    Err(_) => {}
                }
            }
            users.insert(name.to_vec(), user);
        }
        if !errors.is_empty() {
            errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
            return Err(errors);
        }
        if !users.contains_key(b"default".as_slice()) {
            users.insert(b"default".to_vec(), Acl::default().users.remove(b"default".as_slice()).unwrap_or_else(|| User::new(b"default", false)));
        }
        self.users = users;
        Ok(())
    }

    /// ACL SAVE: one `user` line per user.
    pub fn file_text(&self) -> Vec<u8> {
        self.users.values().flat_map(|u| format!("user {} {}\n", String::from_utf8_lossy(&u.name), u.describe()).into_bytes()).collect()
    }
}
