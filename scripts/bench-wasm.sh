#!/usr/bin/env bash
# Builds the benches' workloads for wasm32 (benches/wasm/engine.rs) and
# times them under Node: the wasm figures in BENCHMARKS.md. Prints figures.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_wasm_target
say "building the benchmark workloads for wasm32 (release)"
cargo build --locked --release --example engine_wasm --target wasm32-unknown-unknown
node benches/wasm.js target/wasm32-unknown-unknown/release/examples/engine_wasm.wasm
