// Sentinel's reasoning after a failover with three Sentinels and replica
// priorities: each Sentinel's timeline (sdown, odown, the questions asked
// of the others and their answers, votes, the leader, the replica
// selected, the switch) and the ranking the leader used.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const zlib = require('node:zlib');
const { serveDist, launchBrowser, SCREENSHOTS } = require('./harness');

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

const sentinel = (port) =>
  `sentinel ${port} sentinel monitor mymaster 127.0.0.1 6379 2 ; sentinel down-after-milliseconds mymaster 2000 ; sentinel failover-timeout mymaster 10000`;

const SCENARIO = [
  'seed 21',
  'server 6379',
  'server 6380 replicaof 127.0.0.1 6379',
  'server 6381 replicaof 127.0.0.1 6379 ; replica-priority 10',
  'server 6382 replicaof 127.0.0.1 6379 ; replica-priority 0',
  'waitsync 6380',
  'waitsync 6381',
  'waitsync 6382',
  sentinel(26379),
  sentinel(26380),
  sentinel(26381),
  'sleep 15s',
  'crash 6379',
  'sleep 30s',
].join('\n');

test('the timelines and the ranking of a failover', async () => {
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => errors.push(err.message));
  const data = zlib.deflateRawSync(Buffer.from(SCENARIO)).toString('base64url');
  await page.goto(`${site.url}index.html#scenario=${data}`);
  await page.locator('[data-sentinel="26381"]').first().waitFor();
  await page.click('[data-time="toggle"]');
  await page.click('[data-instruments="open"]');
  await page.click('[data-tab="sentinel"]');
  const ranking = page.locator('.ranking');
  await ranking.waitFor();
  // Priority 10 beat 100; priority 0 was left out, and says why.
  assert.equal(await ranking.locator('tr.chosen').getAttribute('data-port'), '6381');
  assert.equal(await ranking.locator('tr[data-port="6380"]').getAttribute('data-rank'), '2');
  assert.match(await ranking.locator('tr[data-port="6382"]').getAttribute('data-excluded'), /priority 0/);
  const kinds = await page.locator('.timeline .moment').evaluateAll((items) => items.map((i) => i.dataset.kind));
  for (const kind of ['+sdown', '+odown', 'asked', 'answered', '+vote-for-leader', '+elected-leader', '+selected-slave', '+promoted-slave', '+switch-master']) {
    assert.ok(kinds.includes(kind), `${kind} is not on any timeline`);
  }
  assert.equal(await page.locator('.timeline').count(), 3);
  // The leader's own timeline has its election and choice, in order.
  const leader = await ranking.getAttribute('data-sentinel');
  const own = await page.locator(`.timeline[data-sentinel="${leader}"] .moment`).evaluateAll((items) => items.map((i) => i.dataset.kind));
  const order = ['+odown', '+try-failover', '+elected-leader', '+selected-slave', '+promoted-slave', '+failover-end'].map((k) => own.indexOf(k));
  assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `${own.join(' ')}`);
  await page.locator('.instruments').screenshot({ path: path.join(SCREENSHOTS, 'sentinel-reasoning.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
