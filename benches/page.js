// Measures the release page: its transfer size (wasm + js + css, gzip and
// brotli) and the time from navigation to an interactive console in
// headless Chromium (the input is there and a PING has come back as PONG),
// then the same for a page embedding one playground (benches/pages/
// embed-one.html: the element is ready and its run(6379, "PING") answered).
// Prints figures; asserts nothing. Run through scripts/bench-page.sh.
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
    const brotli = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    rows.push({ ext, raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length, brotli });
  }
  return rows;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const rows = sizes();
  const kib = (n) => (n / 1024).toFixed(1).padStart(7);
  const sum = (of) => of.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip, brotli: a.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  for (const ext of ['.wasm', '.js', '.css']) {
    const s = sum(rows.filter((r) => r.ext === ext));
    console.log(`size ${ext.padEnd(5)} ${kib(s.raw)} KiB raw ${kib(s.gzip)} KiB gzip ${kib(s.brotli)} KiB brotli`);
  }
  const total = sum(rows);
  console.log(`size total ${kib(total.raw)} KiB raw ${kib(total.gzip)} KiB gzip ${kib(total.brotli)} KiB brotli`);

  const site = await serveDist({ 'bench/': path.join(__dirname, 'pages') });
  const browser = await launchBrowser();
  const times = [];
  const embedTimes = [];
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
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const start = Date.now();
      await page.goto(site.url + 'bench/embed-one.html');
      const answer = await page.evaluate(async () => {
        const element = document.getElementById('one');
        await element.ready;
        return element.run(6379, 'PING');
      });
      if (!String(answer).includes('PONG')) throw new Error(`the embedded playground answered ${answer}`);
      embedTimes.push(Date.now() - start);
      await context.close();
    }
  } finally {
    await browser.close();
    await site.close();
  }
  for (const [what, list] of [['navigation to interactive console', times], ['embed page, one playground, to its first answer', embedTimes]]) {
    list.sort((a, b) => a - b);
    console.log(`${what} (${RUNS} cold loads, ms): ` +
      `min ${list[0]} p50 ${percentile(list, 50)} p95 ${percentile(list, 95)} max ${list[list.length - 1]}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
