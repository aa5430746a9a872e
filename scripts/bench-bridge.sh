#!/usr/bin/env bash
# redis-benchmark against the bridge's virtual server and against a real
# redis-server 7.0.15, in the same run, same options (real sockets on both
# sides): scripts/bench-bridge.sh [REDIS_BENCHMARK_ARGS...]
#
# Default: -n 200000 -P 16 -c 50 -t set,get,incr,lpush,hset,zadd -q.
# Prints requests per second for each command on both and their ratio.
# A figure, never a test.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

ensure_apt redis-server redis-tools
cargo build --locked --release --bin bridge 2>&1 | tail -1
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-n 200000 -P 16 -c 50 -t set,get,incr,lpush,hset,zadd -q)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

work="$(mktemp -d)"
real_port="$(free_port)"
bridge_port="$(free_port)"
redis-server --port "$real_port" --bind 127.0.0.1 --save '' --dir "$work" --daemonize no >/dev/null 2>&1 &
real_pid=$!
printf 'server %s save ""\n' "$bridge_port" > "$work/bridge.scn"
target/release/bridge "$work/bridge.scn" --quiet >/dev/null 2>&1 &
bridge_pid=$!
trap 'kill $real_pid $bridge_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
wait_up "$real_port" && wait_up "$bridge_port"

run() { redis-benchmark -h 127.0.0.1 -p "$1" "${args[@]}" 2>/dev/null | tr '\r' '\n' | grep -E '^[A-Z_]+: [0-9.]+ requests per second' ; }
say "redis-benchmark ${args[*]}: real redis-server"
real="$(run "$real_port")"
say "redis-benchmark ${args[*]}: the bridge"
bridged="$(run "$bridge_port")"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$bridge_pid/status")

printf '| command | redis-server (req/s) | bridge (req/s) | bridge / redis |\n| --- | ---: | ---: | ---: |\n'
while read -r line; do
  name="${line%%:*}"
  r="$(echo "$line" | awk '{print $2}')"
  b="$(echo "$bridged" | awk -v n="$name:" '$1 == n {print $2}')"
  ratio="$(awk -v b="${b:-0}" -v r="$r" 'BEGIN { printf "%.2f", b / r }')"
  printf '| %s | %s | %s | %s× |\n' "$name" "$r" "${b:-?}" "$ratio"
done <<< "$real"
echo "bridge resident memory after the run: $((rss_kb / 1024)) MB"
