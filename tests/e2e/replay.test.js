// The browser-shaped session of tests/replay.rs, in wasm: it replays from
// its seed and steps to the identical trace there too, and that trace is
// the one the native build wrote (a permalink made in a page replays the
// same anywhere). scripts/test.sh builds the wasm and runs the native
// test first.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const WASM = path.join(ROOT, 'target/wasm32-unknown-unknown/debug/examples/replay_wasm.wasm');
const NATIVE = path.join(ROOT, 'target/tmp/replay-trace.digest');

function instantiate(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  // The library links wasm-bindgen for the page; nothing here calls it.
  const imports = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    imports[from] ??= {};
    imports[from][name] = () => {
      throw new Error(`${from}.${name} is not available here`);
    };
  }
  return new WebAssembly.Instance(module, imports).exports;
}

test('a page session replays in wasm to the trace it has natively', () => {
  const digest = instantiate(WASM).replay_digest();
  assert.notStrictEqual(digest, 0n, 'the replay in wasm differs from the session');
  const native = fs.readFileSync(NATIVE, 'utf8').trim();
  assert.strictEqual(BigInt.asUintN(64, digest).toString(16).padStart(16, '0'), native);
});

test('fault schedules give in wasm the traces they give natively', () => {
  const exports = instantiate(WASM);
  const native = fs.readFileSync(path.join(ROOT, 'target/tmp/fault-schedule.digests'), 'utf8').trim().split('\n');
  assert.strictEqual(native.length, 4);
  native.forEach((digest, seed) => {
    const wasm = BigInt.asUintN(64, exports.fault_schedule_digest(BigInt(seed)));
    assert.strictEqual(wasm.toString(16).padStart(16, '0'), digest, `seed ${seed}`);
  });
});
