//! A server's function libraries (FUNCTION LOAD): each library's code
//! and the functions it registered, the checks Redis makes before a
//! library joins (its `#!lua name=...` line, names, clashes), and the
//! libraries a dump carries in and out.

use crate::engine::fnv::FixedHashMap;
use crate::engine::lua::{self, Registered};

use super::Server;

#[derive(Clone, Debug)]
pub struct Library {
    pub code: Vec<u8>,
    pub functions: Vec<Registered>,
}

pub type Libraries = FixedHashMap<String, Library>;

/// The library's name from its first line (`#!lua name=mylib`).
fn library_name(code: &[u8]) -> Result<String, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let line_end = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
    // Redis splits the line as redis-cli splits arguments (name="x" is x).
    let words = crate::engine::splitargs::split_args(&code[..line_end]).map_err(|_| "ERR Invalid library metadata".to_string())?;
    let mut words = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned());
    let first = words.next().unwrap_or_default();
    let engine = first.strip_prefix("#!").unwrap_or(&first).to_string();
    let mut name = None;
    for part in words {
        let part = part.as_str();
        match part.strip_prefix("name=") {
            Some(_) if name.is_some() => return Err("ERR Invalid metadata value, name argument was given multiple times".into()),
            Some(n) => name = Some(n.to_string()),
            None => return Err(format!("ERR Invalid metadata value given: {part}")),
        }
    }
    let Some(name) = name else { return Err("ERR Library name was not given".into()) };
    if !lua::valid_name(name.as_bytes()) {
        return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    Ok(name)
}

/// Checks a library's code and runs it as Redis does before it joins
/// `libraries`: its name and functions, or Redis's error.
pub fn prepare(libraries: &Libraries, code: &[u8], replace: bool) -> Result<(String, Library), String> {
    let name = library_name(code)?;
    if libraries.contains_key(&name) && !replace {
        return Err(format!("ERR Library '{name}' already exists"));
    }
    let functions = lua::load_library(code)?;
    for f in &functions {
        let clash = libraries.iter().any(|(other, lib)| other != &name && lib.functions.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)));
        if clash {
            return Err(format!("ERR Function {} already exists", f.name));
        }
    }
    Ok((name, Library { code: code.to_vec(), functions }))
}

/// The library that registered a function, and the function (names
/// match without regard to case, as Redis's function dict compares them).
pub fn find<'a>(libraries: &'a Libraries, function: &str) -> Option<(&'a Library, &'a Registered)> {
    libraries.values().find_map(|lib| lib.functions.iter().find(|f| f.name.eq_ignore_ascii_case(function)).map(|f| (lib, f)))
}

/// What INFO counts for the libraries (fitted to redis-server 7.0.15's
/// used_memory_functions over libraries of several name, code,
/// function and description lengths).
pub fn memory(libraries: &Libraries) -> u64 {
    use crate::engine::memory::sds;
    200 + libraries
        .iter()
        .map(|(name, lib)| {
            48 + 3 * sds(name.len())
                + sds(lib.code.len())
                + lib.functions.iter().map(|f| 80 + sds(f.name.len()) + f.description.as_ref().map_or(0, |d| sds(d.len()))).sum::<u64>()
        })
        .sum::<u64>()
}

impl Server {
    /// The libraries of a dump that was loaded (RDB, AOF base, full
    /// sync): each is checked and run again, as Redis does on load.
    pub(crate) fn restore_libraries(&mut self, codes: &[Vec<u8>]) -> Result<(), String> {
        let mut restored = Libraries::default();
        for code in codes {
            let (name, library) = prepare(&restored, code, false)?;
            restored.insert(name, library);
        }
        self.libraries = restored;
        Ok(())
    }

    /// The library codes a dump of this server carries.
    pub(crate) fn library_codes(&self) -> Vec<Vec<u8>> {
        self.libraries.values().map(|l| l.code.clone()).collect()
    }
}
