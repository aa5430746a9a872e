#!/usr/bin/env bash
# Redis 7.0.15's own test suite against the bridge and a real redis-server
# in the same run, file by file, as one table (scripts/redis-test-suite.py
# says how): scripts/redis-test-suite.sh [TESTS_DIR] [-- ARGS...]
#
#   TESTS_DIR  the suite (its runtest and tests/); default: the shared
#              folder ../shared/redis-7.0.15-tests next to the repository
#   ARGS       passed on: files (unit/type/incr ...), --check FILE, --record FILE
#
# Installs tcl and redis-server if missing and builds the bridge (release).
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

tests="$ROOT/../shared/redis-7.0.15-tests"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  tests="$1"
  shift
fi
[ "${1:-}" = "--" ] && shift
if ! [ -x "$tests/runtest" ]; then
  echo "redis-test-suite: no runtest in $tests (give the suite's folder)" >&2
  exit 2
fi

ensure_apt tcl redis-server redis-tools
cargo build --locked --release --bin bridge 2>&1 | tail -1
python3 scripts/redis-test-suite.py --bridge "$ROOT/target/release/bridge" --tests "$tests" "$@"
