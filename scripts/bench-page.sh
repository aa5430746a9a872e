#!/usr/bin/env bash
# Builds the release page and prints its size and its time to an interactive console.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_apt chromium
ensure_build_tools
build_page
node benches/page.js
