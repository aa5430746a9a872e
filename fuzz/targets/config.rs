//! The `config` fuzz target: `harness::config` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::config(data));
}
