//! `scenario FILE [--seed N] [--dir DIR]`: runs a scenario file on the
//! simulator and prints its transcript, as SCENARIO.md defines it; exits
//! 1 when one of its `expect` checks failed.
//!
//! With `--dir`, each server's disk is the real folder `DIR/PORT/`: a dump
//! there before `server PORT` is loaded at start, and the files the servers
//! wrote are there afterwards. This is how real Redis and the engine
//! exchange dumps in tests.

use std::process::ExitCode;

use std::collections::BTreeMap;

use redis_playground::scenario::{self, RunOptions};

const USAGE: &str = "usage: scenario FILE [--seed N] [--dir DIR]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut options = RunOptions::default();
    let mut disk_dir: Option<std::path::PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(seed) => options.seed = seed,
                None => {
                    eprintln!("--seed needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--dir" => match args.next() {
                Some(dir) => disk_dir = Some(std::path::PathBuf::from(dir)),
                None => {
                    eprintln!("--dir needs a folder\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() && !arg.starts_with("--") => file = Some(arg),
            _ => {
                eprintln!("unexpected argument '{arg}'\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let source = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(dir) = &disk_dir {
        match read_disks(dir) {
            Ok(disks) => options.disks = disks,
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::from(1);
            }
        }
    }
    let result = scenario::parse(&source).and_then(|steps| scenario::run_session(&steps, options));
    match result {
        Ok(run) => {
            if let Some(dir) = &disk_dir {
                if let Err(e) = write_disks(dir, run.session.sim()) {
                    eprintln!("{}: {e}", dir.display());
                    return ExitCode::from(1);
                }
            }
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for line in &run.transcript {
                // A closed pipe (`| head`) is not an error worth a panic.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            if run.failed.is_empty() {
                return ExitCode::SUCCESS;
            }
            for (line, why) in &run.failed {
                eprintln!("{file}: line {line}: expect failed: {why}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{file}: {e}");
            ExitCode::from(1)
        }
    }
}

/// `DIR/PORT/FILE` for every numeric PORT folder.
fn read_disks(dir: &std::path::Path) -> std::io::Result<BTreeMap<u16, BTreeMap<String, Vec<u8>>>> {
    let mut disks = BTreeMap::new();
    if !dir.exists() {
        return Ok(disks);
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(port) = entry.file_name().to_str().and_then(|n| n.parse::<u16>().ok()) else { continue };
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let mut files = BTreeMap::new();
        for file in std::fs::read_dir(entry.path())? {
            let file = file?;
            if file.file_type()?.is_file() {
                files.insert(file.file_name().to_string_lossy().into_owned(), std::fs::read(file.path())?);
            }
        }
        disks.insert(port, files);
    }
    Ok(disks)
}

/// Every server's files back to `DIR/PORT/`, by file name.
fn write_disks(dir: &std::path::Path, sim: &redis_playground::sim::Sim) -> std::io::Result<()> {
    for port in sim.machine_ports() {
        let Some(disk) = sim.disk(port) else { continue };
        let folder = dir.join(port.to_string());
        std::fs::create_dir_all(&folder)?;
        for (path, bytes) in &disk.files {
            let name = path.rsplit('/').next().unwrap_or(path);
            std::fs::write(folder.join(name), bytes)?;
        }
    }
    Ok(())
}
