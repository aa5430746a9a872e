//! The `server_resp` fuzz target: `harness::server_resp` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::server_resp(data));
}
