#!/usr/bin/env bash
# Builds the release page and prints how long rewinding a 30-minute
# virtual session takes in it (headless Chromium).
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_apt chromium
ensure_build_tools
build_page
node benches/rewind.js
