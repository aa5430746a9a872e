#!/usr/bin/env bash
# Builds the release page and serves it on http://127.0.0.1:8080 (PORT to change).
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
build_page
PORT="${PORT:-8080}"
say "serving $ROOT/dist on http://127.0.0.1:$PORT (Ctrl-C to stop)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$ROOT/dist"
