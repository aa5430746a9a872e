// Times the benches' workloads compiled to wasm32 (benches/wasm/engine.rs)
// under Node: pipelined commands, RDB save and load of 1,004,000 keys, a
// full sync of 1,000,000 keys to three replicas and the simulator under
// steady writes. The same code runs natively in `cargo bench`; these are
// its wasm figures. Prints figures; asserts nothing.
// usage: node benches/wasm.js ENGINE.wasm
'use strict';

const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

const TESTS = ['SET', 'GET', 'INCR', 'LPUSH', 'HSET', 'ZADD'];
const TOTAL = 1_000_000;

function instantiate(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  // The library links wasm-bindgen for the page; nothing here calls it.
  const imports = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    imports[from] ??= {};
    imports[from][name] = () => {
      throw new Error(`${from}.${name} is not available in the benchmark`);
    };
  }
  return new WebAssembly.Instance(module, imports).exports;
}

function timed(f) {
  const start = performance.now();
  const result = f();
  return { ms: performance.now() - start, result };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node benches/wasm.js ENGINE.wasm');
    process.exit(2);
  }
  const engine = instantiate(file);
  console.log(`engine (wasm, Node ${process.versions.node}, ${(fs.statSync(file).size / 1024).toFixed(0)} KiB module)`);

  for (const [index, name] of TESTS.entries()) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      engine.commands_prepare(index, TOTAL);
      runs.push(timed(() => engine.commands_run()).ms);
    }
    console.log(`commands   ${name.padEnd(6)} ${(TOTAL / (median(runs) / 1000)).toFixed(0).padStart(10)} ops/s`);
  }

  engine.rdb_prepare();
  const saves = [];
  let size = 0;
  for (let i = 0; i < 3; i++) {
    const t = timed(() => engine.rdb_save());
    saves.push(t.ms);
    size = t.result;
  }
  const loads = [];
  let keys = 0;
  for (let i = 0; i < 3; i++) {
    const t = timed(() => engine.rdb_load());
    loads.push(t.ms);
    keys = t.result;
  }
  console.log(`rdb        save ${median(saves).toFixed(0)} ms, load ${median(loads).toFixed(0)} ms (${keys} keys, ${(size / 1e6).toFixed(1)} MB dump)`);

  engine.sync_prepare(1_000_000);
  const sync = timed(() => engine.sync_run());
  console.log(`full sync  1000000 keys to 3 replicas: ${sync.ms.toFixed(0)} ms wall, ${sync.result} ms virtual`);

  engine.steady_prepare();
  const writes = 200_000;
  const steady = timed(() => engine.steady_run(writes));
  const seconds = steady.ms / 1000;
  console.log(`steady     ${writes} SETs, ${steady.result} events in ${steady.ms.toFixed(0)} ms: ${(steady.result / seconds).toFixed(0)} events/s, ${(writes / seconds).toFixed(0)} writes/s`);
}

main();
