#!/usr/bin/env bash
# The fault-schedule property tests at scale: 1,000 seeds each (or
# FAULT_SEEDS), in release, outside the default test command (which runs
# 50). scripts/fault-schedules.sh [SEEDS]
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
export FAULT_SEEDS="${1:-${FAULT_SEEDS:-1000}}"
say "replication and Sentinel fault schedules, $FAULT_SEEDS seeds each (release)"
cargo test --locked --release --test replication_property --test sentinel_property -- --nocapture 2>&1 | grep -E "schedules|test result|panicked|seed " 
