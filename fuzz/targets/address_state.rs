//! The `address_state` fuzz target: `harness::address_state` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::address_state(data));
}
