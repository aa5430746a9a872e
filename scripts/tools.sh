# Installs what building and testing the playground needs, skipping what is
# already there. Sourced by serve.sh and test.sh; everything goes into a
# cache folder outside the repository so warm runs skip it.
#
#   TOOLS        where the tools live (default ~/.cache/redis-playground-tools)
#   after sourcing: PATH has trunk, wasm-bindgen and wasm-opt; NODE_PATH has
#   playwright-core.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${REDIS_PLAYGROUND_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-playground-tools}"
TRUNK_VERSION="0.22.1"
mkdir -p "$TOOLS"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
# ensure_apt PACKAGE...: installs the Debian packages that are missing.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return 0
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

# ensure_cargo_tool CRATE VERSION BINARY
ensure_cargo_tool() {
  local crate="$1" version="$2" bin="$3"
  if [ -x "$TOOLS/bin/$bin" ] && "$TOOLS/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  say "installing $crate $version (cargo install --locked; takes minutes the first time)"
  # trunk 0.22.1 declares a newer rust-version than it needs; it builds on 1.95.
  cargo install --locked --ignore-rust-version "$crate@$version" --root "$TOOLS"
}

# The wasm-bindgen CLI must match the library version locked in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_node_tools() {
  local dir="$TOOLS/node" stamp
  stamp="$(cat "$ROOT/tests/e2e/package.json" "$ROOT/tests/e2e/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && [ -d "$dir/node_modules" ]; then
    return 0
  fi
  say "installing node tools (binaryen's wasm-opt, playwright-core)"
  mkdir -p "$dir"
  cp "$ROOT/tests/e2e/package.json" "$ROOT/tests/e2e/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$stamp" > "$dir/.stamp"
}

# ensure_python_tools: the Python clients the bridge's tests drive
# (tests/bridge/requirements.txt, pinned), into the tools cache; prints
# the folder to put on PYTHONPATH.
ensure_python_tools() {
  local dir="$TOOLS/python" stamp
  stamp="$(sha256sum "$ROOT/tests/bridge/requirements.txt" | cut -d' ' -f1)"
  if ! [ -f "$dir/.stamp" ] || [ "$(cat "$dir/.stamp")" != "$stamp" ]; then
    say "installing the Python clients (redis-py) for the bridge's tests"
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m pip install --quiet --disable-pip-version-check --target "$dir" -r "$ROOT/tests/bridge/requirements.txt" >&2
    echo "$stamp" > "$dir/.stamp"
  fi
  echo "$dir"
}

# ensure_build_tools: everything `trunk build --release --offline` needs.
ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_tool trunk "$TRUNK_VERSION" trunk
  ensure_cargo_tool wasm-bindgen-cli "$(wasm_bindgen_version)" wasm-bindgen
  ensure_node_tools
  export PATH="$TOOLS/bin:$TOOLS/node/node_modules/.bin:$PATH"
  export NODE_PATH="$TOOLS/node/node_modules"
}

# build_page: the release page in dist/.
build_page() {
  say "building the release page"
  (cd "$ROOT" && trunk build --release --offline)
}
