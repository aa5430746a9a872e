// The split-brain lab on the page: taken step by step with Next (paused,
// so the page takes exactly the scenario's steps), its list of lost
// writes is the one the native runner prints for the same scenario; done
// by hand (Isolate, time at 100×, Rejoin) it lists the writes the old
// master acknowledged and lost.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { serveDist, launchBrowser, SCREENSHOTS } = require('./harness');

const ROOT = path.resolve(__dirname, '..', '..');
let site;
let browser;

before(async () => {
  require('node:fs').mkdirSync(SCREENSHOTS, { recursive: true });
  site = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) await site.close();
});

/** `w:12..w:15, w:20` as the numbers it names. */
function expand(runs) {
  return runs.split(', ').flatMap((run) => {
    const [from, to] = run.split('..').map((w) => Number(w.slice(2)));
    return to === undefined ? [from] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

test('the lab lists the lost writes the native runner counts', async () => {
  const runner = process.env.SCENARIO_BIN || path.join(ROOT, 'target', 'debug', 'scenario');
  const transcript = execFileSync(runner, [path.join(ROOT, 'www', 'scenarios', 'split-brain.scn')], { encoding: 'utf8' });
  const counted = transcript.split('\n').filter((l) => l.startsWith('# lost: ')).map((l) => expand(l.split(': ').slice(2).join(': ')));
  assert.equal(counted.length, 4);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${site.url}index.html?scenario=split-brain`);
  await page.locator('.guide [data-task="open"]').waitFor();
  await page.click('[data-time="toggle"]');
  const lost = async () => {
    const list = await page.locator('.writes').getAttribute('data-lost');
    return list ? list.split(',').map(Number) : [];
  };
  // Next through each task: at each `writes` step, the page's list is the runner's.
  const seen = [];
  for (let i = 0; i < 40 && seen.length < 4; i++) {
    await page.click('[data-guide="next"]');
    const said = await page.locator('.guide .stop.current').textContent();
    if (/^(The majority side|The Sentinels turned|This time 6380|The loss is bounded)/.test(said)) seen.push(await lost());
  }
  assert.deepEqual(seen, counted);
  await page.locator('.writes').screenshot({ path: path.join(SCREENSHOTS, 'split-brain-lab.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('done by hand, the lab shows the acknowledged writes the old master lost', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${site.url}index.html?scenario=split-brain`);
  await page.locator('.guide [data-task="open"]').waitFor();
  await page.click('[data-speed="100"]');
  await page.click('[data-node="6379"] [data-isolated]');
  await page.locator('.guide [data-task="done"]').first().waitFor({ timeout: 20000 });
  // The partition lasts: the client goes on writing to 6379 meanwhile,
  // and every write it acknowledges is missing on the new master.
  await page.click('[data-time="toggle"]');
  await page.click('[data-time="step-10s"]');
  await page.click('[data-time="step-10s"]');
  const lostNow = (await page.locator('.writes').getAttribute('data-lost')).split(',').map(Number);
  assert.ok(lostNow.length >= 40, `${lostNow.length} lost`);
  assert.match(await page.locator('.writes-lost').textContent(), /acknowledged writes are not on the master now, 6380/);
  await page.locator('.writes').screenshot({ path: path.join(SCREENSHOTS, 'split-brain-by-hand.png') });
  // Healed, 6379 syncs from 6380: the task is done, and the lab goes on
  // to its second part (the client now writes to 6380).
  await page.click('[data-time="toggle"]');
  await page.click('[data-node="6379"] [data-isolated]');
  await page.locator('.guide [data-task="done"]').nth(1).waitFor({ timeout: 20000 });
  await page.locator('.writes[data-writer="6380"]').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});
