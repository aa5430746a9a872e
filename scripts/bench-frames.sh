#!/usr/bin/env bash
# Builds the release page and prints its frame times with 12 servers
# replicating under a steady write load at 100× speed (headless Chromium).
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_apt chromium
ensure_build_tools
build_page
node benches/frames.js
