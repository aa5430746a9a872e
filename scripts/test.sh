#!/usr/bin/env bash
# Runs every test of the playground: native unit and scenario tests, the
# scenarios against freshly recorded real Redis 7.0.15, the bridge, Redis's
# own suite on it when the suite is there (REDIS_SUITE_DIR, by default the
# shared folder beside the repository), the release wasm build, and the
# browser tests in headless Chromium. Installs what it needs.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

ensure_apt redis-server redis-sentinel redis-tools chromium
ensure_build_tools

say "native tests (cargo test)"
cargo test --locked

say "scenarios against real Redis: re-recording the goldens and comparing"
fresh="$ROOT/target/fresh-goldens"
rm -rf "$fresh"
python3 scripts/record-goldens.py --out "$fresh"
GOLDEN_DIR="$fresh" cargo test --locked --test scenarios
python3 scripts/record-config-table.py --out "$fresh/config.tsv"
diff -u src/engine/commands/recorded/config.tsv "$fresh/config.tsv"
python3 scripts/record-protocol.py --out "$fresh/protocol.tsv"
diff -u tests/fixtures/bridge/protocol.tsv "$fresh/protocol.tsv"

say "memory accounting against real Redis: used_memory re-recorded for each workload"
python3 scripts/record-memory.py --out "$fresh/memory.tsv"
MEMORY_GOLDEN="$fresh/memory.tsv" cargo test --locked --test memory

say "the built-in lessons on real Redis: their solutions typed into redis-cli, every expectation met"
builtins="$ROOT/target/fresh-builtins"
rm -rf "$builtins"
python3 scripts/record-goldens.py --out "$builtins" www/scenarios/lesson-?.scn
if grep -H "^# expect failed" "$builtins"/*.out; then
    echo "a built-in lesson's expectation fails on real Redis" >&2
    exit 1
fi

say "the bridge: real sockets on the virtual nodes"
cargo build --locked --release --bin bridge
bridge="$ROOT/target/release/bridge"
python_tools="$(ensure_python_tools)"
say "the bridge: a Sentinel-aware client (redis-py) writes through a failover"
PYTHONPATH="$python_tools" python3 tests/bridge/sentinel_failover.py "$bridge"
suite="${REDIS_SUITE_DIR:-$ROOT/../shared/redis-7.0.15-tests}"
if [ -x "$suite/runtest" ]; then
  say "Redis's own test suite on the bridge: every test recorded as passing still passes"
  ensure_apt tcl
  python3 scripts/redis-test-suite.py --bridge "$bridge" --tests "$suite" --check tests/fixtures/redis-suite/passing.tsv
else
  say "Redis's own test suite is not at $suite: skipped (scripts/redis-test-suite.sh runs it)"
fi
# redis-cli on the bridge's nodes must print the page's transcripts. It
# runs in real time (the scenarios' sleeps), so it goes on while the page
# is built and tested; it uses the goldens' ports, nothing else does now.
bridged="$ROOT/target/bridge-goldens"
rm -rf "$bridged"
say "the bridge: redis-cli on the golden scenarios (in the background, until the browser tests end)"
python3 scripts/record-goldens.py --bridge "$bridge" --out "$bridged" > "$ROOT/target/bridge-goldens.log" 2>&1 &
bridge_goldens=$!
trap 'kill "$bridge_goldens" 2>/dev/null || true' EXIT

build_page

say "the browser-shaped session of tests/replay.rs, built for wasm (replayed by tests/e2e/replay.test.js)"
cargo build --locked --example replay_wasm --target wasm32-unknown-unknown

say "browser tests (playwright-core + Debian Chromium, headless)"
node --test --test-concurrency=1 tests/e2e/
say "screenshots are in target/e2e/"

say "the bridge: its redis-cli transcripts against the page's"
if ! wait "$bridge_goldens"; then
  cat "$ROOT/target/bridge-goldens.log" >&2
  exit 1
fi
GOLDEN_DIR="$bridged" cargo test --locked --test scenarios
