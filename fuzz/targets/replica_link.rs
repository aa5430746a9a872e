//! The `replica_link` fuzz target: `harness::replica_link` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::replica_link(data));
}
