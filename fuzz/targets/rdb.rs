//! The `rdb` fuzz target: `harness::rdb` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::rdb(data));
}
