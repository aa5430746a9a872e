#!/usr/bin/env bash
# Runs every benchmark of the page budget and prints one table: each
# figure, its reference (the goal, or real Redis measured in the same
# run) and how the two compare. A figure, never a test: nothing here
# fails on a slow machine. scripts/bench.sh [--quick]
#
#   the page          scripts/bench-page.sh's build, benches/page.js
#   frame time        benches/frames.js with 24 servers and 5 Sentinels
#   commands          cargo bench --bench commands (redis-benchmark -P 64
#                     against a redis-server in the same run)
#   wasm              scripts/bench-wasm.sh (the same workloads in Node)
#   full sync         cargo bench --bench replication
#   the bridge        scripts/bench-bridge.sh (redis-benchmark on both)
#
# --quick: 3 cold loads instead of 10 and 5 s of frames. The raw output
# of each stage is kept in target/bench/.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

quick="${1:-}"
runs=10
frame_seconds=15
if [ "$quick" = --quick ]; then runs=3; frame_seconds=5; fi

ensure_apt chromium redis-server redis-tools
ensure_build_tools
out="$ROOT/target/bench"
mkdir -p "$out"

say "the page: size and load time ($runs cold loads each)"
build_page
RUNS=$runs node benches/page.js | tee "$out/page.txt"
say "frame time: 24 servers, 5 Sentinels, 100x, ${frame_seconds}s"
SERVERS=24 SENTINELS=5 SECONDS_MEASURED=$frame_seconds node benches/frames.js | tee "$out/frames.txt"
say "commands: the engine natively beside redis-benchmark -P 64"
cargo bench --locked --bench commands 2>/dev/null | tee "$out/commands.txt"
say "the same workloads in wasm (Node)"
scripts/bench-wasm.sh 2>/dev/null | tee "$out/wasm.txt"
say "full sync natively"
cargo bench --locked --bench replication 2>/dev/null | tee "$out/replication.txt"
say "the bridge beside redis-server (redis-benchmark -P 16 -c 50)"
scripts/bench-bridge.sh 2>/dev/null | tee "$out/bridge.txt"

python3 - "$out" <<'EOF'
import re, sys, pathlib
out = pathlib.Path(sys.argv[1])
text = {p.stem: p.read_text() for p in out.glob('*.txt')}
rows = []

def row(what, value, reference, verdict):
    rows.append((what, value, reference, verdict))

def first(pattern, name, cast=float):
    m = re.search(pattern, text.get(name, ''))
    return cast(m.group(1)) if m else None

gzip = first(r'size total .*?([\d.]+) KiB gzip', 'page')
brotli = first(r'size total .*? KiB gzip +([\d.]+) KiB brotli', 'page')
if gzip is not None:
    row('page weight, gzip (wasm + js + css)', f'{gzip:.1f} KiB', '300 KiB', f'{gzip / 300:.2f}x the goal')
if brotli is not None:
    row('page weight, brotli', f'{brotli:.1f} KiB', '300 KiB', f'{brotli / 300:.2f}x the goal')
for label, key in (('first console', 'navigation to interactive console'), ('embed page, one playground', 'embed page')):
    m = re.search(re.escape(key) + r'.*?p50 (\d+) p95 (\d+)', text.get('page', ''))
    if m:
        p50, p95 = int(m.group(1)), int(m.group(2))
        row(f'{label}, p50', f'{p50} ms', '200 ms', f'{p50 / 200:.2f}x the goal')
        row(f'{label}, p95', f'{p95} ms', '300 ms', f'{p95 / 300:.2f}x the goal')
m = re.search(r'p50 ([\d.]+) p95 ([\d.]+) max ([\d.]+)', text.get('frames', ''))
longs = first(r'long tasks \(> 50 ms\): (\d+)', 'frames', int)
if m:
    p95 = float(m.group(2))
    row('frame time p95, 24 servers + 5 Sentinels, 100x', f'{p95:.1f} ms', '16.7 ms', 'met' if p95 <= 16.75 else 'not met')
if longs is not None:
    row('long tasks meanwhile', str(longs), '0', 'met' if longs == 0 else 'not met')

native = dict(re.findall(r'engine \(native\)\s+(\w+)\s+(\d+) ops/s', text.get('commands', '')))
real = dict(re.findall(r'redis-server\s+(\w+)\s+([\d.]+) ops/s', text.get('commands', '')))
wasm = dict(re.findall(r'commands\s+(\w+)\s+(\d+) ops/s', text.get('wasm', '')))
for name in ['SET', 'GET', 'INCR', 'LPUSH', 'HSET', 'ZADD']:
    if name in native and name in real:
        n, r = float(native[name]), float(real[name])
        row(f'{name}: engine native vs redis-server -P 64', f'{n:,.0f}/s', f'{r:,.0f}/s', f'{n / r:.2f}x (goal 1.5x)')
    if name in native and name in wasm:
        n, w = float(native[name]), float(wasm[name])
        row(f'{name}: engine wasm vs native', f'{w:,.0f}/s', f'{n:,.0f}/s', f'{w / n:.2f}x (goal 0.8x)')

sync_native = first(r'full sync of 1000000 keys to 3 replicas: (\d+) ms wall', 'replication')
sync_wasm = first(r'full sync\s+1000000 keys to 3 replicas: (\d+) ms wall', 'wasm')
if sync_native is not None:
    row('full sync, 1M keys to 3 replicas, native', f'{sync_native / 1000:.2f} s', '1.5 s', f'{sync_native / 1500:.2f}x the goal')
if sync_wasm is not None:
    row('full sync, 1M keys to 3 replicas, wasm', f'{sync_wasm / 1000:.2f} s', '2.0 s', f'{sync_wasm / 2000:.2f}x the goal')

for name, r, b in re.findall(r'\| (\w+) \| ([\d.]+) \| ([\d.]+) \|', text.get('bridge', '')):
    row(f'{name}: bridge vs redis-server (-P 16 -c 50)', f'{float(b):,.0f}/s', f'{float(r):,.0f}/s', f'{float(b) / float(r):.2f}x (goal 1.0x)')

print()
print('| figure | measured | reference | ratio |')
print('| --- | ---: | ---: | --- |')
for what, value, reference, verdict in rows:
    print(f'| {what} | {value} | {reference} | {verdict} |')
EOF
