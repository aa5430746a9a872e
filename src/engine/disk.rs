//! A node's disk: files by path. It outlives the server process (shutdown,
//! crash, restart) and can be mapped to a real folder by the scenario runner
//! or kept in the browser's storage by the page.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disk {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Disk {
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn write(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
    }
}

/// `dir` + `dbfilename`, as Redis opens it.
pub fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() || dir == "." {
        file.to_string()
    } else {
        format!("{}/{file}", dir.trim_end_matches('/'))
    }
}
