//! The `lua_script` fuzz target: `harness::lua_script` under AFL++.

fn main() {
    afl::fuzz!(|data: &[u8]| redis_playground_fuzz::harness::lua_script(data));
}
