// Measures the release page: its transfer size (wasm + js + css, gzip) and
// the time from navigation to an interactive console in headless Chromium
// (the input is there and a PING has come back as PONG). Prints figures;
// asserts nothing. Run through scripts/bench-page.sh.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { serveDist, launchBrowser, DIST } = require('../tests/e2e/harness');

const RUNS = Number(process.env.RUNS || 10);

function sizes() {
  const rows = [];
  for (const name of fs.readdirSync(DIST)) {
    const ext = path.extname(name);
    if (!['.wasm', '.js', '.css'].includes(ext)) continue;
    const raw = fs.readFileSync(path.join(DIST, name));
    rows.push({ ext, raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length });
  }
  return rows;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const rows = sizes();
  const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip }), { raw: 0, gzip: 0 });
  for (const ext of ['.wasm', '.js', '.css']) {
    const of = rows.filter((r) => r.ext === ext);
    const raw = of.reduce((a, r) => a + r.raw, 0);
    const gz = of.reduce((a, r) => a + r.gzip, 0);
    console.log(`size ${ext.padEnd(5)} ${(raw / 1024).toFixed(1).padStart(7)} KiB raw ${(gz / 1024).toFixed(1).padStart(7)} KiB gzip`);
  }
  console.log(`size total ${(total.raw / 1024).toFixed(1).padStart(7)} KiB raw ${(total.gzip / 1024).toFixed(1).padStart(7)} KiB gzip`);

  const site = await serveDist();
  const browser = await launchBrowser();
  const times = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const start = Date.now();
      await page.goto(site.url);
      const input = page.locator('[data-console="6379"] input');
      await input.waitFor({ timeout: 15000 });
      await input.fill('PING');
      await input.press('Enter');
      await page.locator('[data-console="6379"] .line', { hasText: 'PONG' }).waitFor({ timeout: 15000 });
      times.push(Date.now() - start);
      await context.close();
    }
  } finally {
    await browser.close();
    await site.close();
  }
  times.sort((a, b) => a - b);
  console.log(`navigation to interactive console (${RUNS} cold loads, ms): ` +
    `min ${times[0]} p50 ${percentile(times, 50)} p95 ${percentile(times, 95)} max ${times[times.length - 1]}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
