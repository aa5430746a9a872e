//! The `cli_console` fuzz target: `harness::cli_console` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::cli_console(data));
}
