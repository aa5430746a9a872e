//! `scenario FILE [--seed N]`: runs a scenario file on the simulator and
//! prints its transcript, as SCENARIO.md defines it.

use std::process::ExitCode;

use redis_playground::scenario::{self, RunOptions};

const USAGE: &str = "usage: scenario FILE [--seed N]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut options = RunOptions::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(seed) => options.seed = seed,
                None => {
                    eprintln!("--seed needs a number\n{USAGE}");
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
    let result = scenario::parse(&source).and_then(|steps| scenario::run(&steps, options));
    match result {
        Ok(transcript) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for line in transcript {
                // A closed pipe (`| head`) is not an error worth a panic.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{file}: {e}");
            ExitCode::from(1)
        }
    }
}
