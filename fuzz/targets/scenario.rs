//! The `scenario` fuzz target: `harness::scenario` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::scenario(data));
}
