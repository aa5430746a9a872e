// The lesson of SPEC.md, sections 2 to 5, driven through the page as a
// learner would, in one fresh browser: three servers from their config
// files, two replicas attached (one by typing, one by dragging), the full
// sync's progress and the keys arriving, a write refused on a replica, the
// master crashed and restarted while its replicas wait and then catch up,
// a chain, and a promotion by dragging to empty space.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { pageForTests, pageHelpers, SCREENSHOTS } = require('./harness');

let page;
const pageErrors = [];
pageForTests((p) => {
  page = p;
}, pageErrors);

const { output, run, settled, centreOf, dragBox } = pageHelpers(() => page);

const info = async (port, section) => (await run(port, `INFO ${section}`)).join('\n');

test('the lesson, step by step, through the page', async () => {
  // 2. One master, two replicas, each from its own redis.conf (6379, 6380
  // and 6381 are the page's first three; a fourth comes from the editor).
  assert.match(await info(6380, 'replication'), /role:master/);
  await run(6379, 'CONFIG SET rdbcompression no');
  await run(6379, 'SET before-replication yes');
  await run(6379, 'SETRANGE big 2999999 x');

  // 3. The replica copies from the start: keys written before REPLICAOF arrive.
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  assert.deepEqual(await run(6380, 'SLAVEOF 127.0.0.1 6379'), ['127.0.0.1:6380> SLAVEOF 127.0.0.1 6379', 'OK']);
  await dragBox(6381, await centreOf(6379));
  assert.deepEqual((await output(6381).locator('.line').allTextContents()).slice(-2), ['127.0.0.1:6381> REPLICAOF 127.0.0.1 6379', 'OK']);
  // The full sync, shown as it crosses the network.
  for (let i = 0; i < 4; i++) await page.click('[data-time="step-1s"]');
  for (let i = 0; i < 40 && (await page.locator('[data-link="6380-6379"] [data-progress]').count()) === 0; i++) {
    await page.click('[data-time="next-event"]');
  }
  await page.locator('[data-link="6380-6379"] [data-progress]').waitFor();
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'lesson-sync.png') });
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor();
  await page.locator('[data-link="6381-6379"][data-state="online"]').waitFor();
  assert.deepEqual(await run(6380, 'GET before-replication'), ['127.0.0.1:6380> GET before-replication', '"yes"']);
  assert.deepEqual(await run(6381, 'STRLEN big'), ['127.0.0.1:6381> STRLEN big', '(integer) 3000000']);
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();

  // New writes replicate; a replica refuses writes with Redis's own error.
  await run(6379, 'SET after yes');
  await page.waitForTimeout(300);
  assert.deepEqual(await run(6381, 'GET after'), ['127.0.0.1:6381> GET after', '"yes"']);
  assert.deepEqual(await run(6380, 'SET nope 1'), [
    '127.0.0.1:6380> SET nope 1',
    "(error) READONLY You can't write against a read only replica.",
  ]);

  // The master goes down: the replicas wait, they do not promote themselves.
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  await page.locator('[data-link="6380-6379"][data-state="down"]').waitFor({ timeout: 10000 });
  const waiting = await info(6380, 'replication');
  assert.match(waiting, /role:slave/);
  assert.match(waiting, /master_link_status:down/);
  // It comes back (with the dump it had saved: none, so empty) and the replicas follow it again.
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Restart' }).click();
  await page.locator('[data-node="6379"][data-state="up"]').waitFor();
  await run(6379, 'PING');
  await run(6379, 'SET back-again yes');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor({ timeout: 15000 });
  await page.waitForTimeout(300);
  assert.deepEqual(await run(6380, 'GET back-again'), ['127.0.0.1:6380> GET back-again', '"yes"']);

  // 4. Chaining: 6381 follows the replica 6380 and still sees the master's writes.
  await dragBox(6381, await centreOf(6380));
  await page.locator('[data-link="6381-6380"][data-state="online"]').waitFor({ timeout: 15000 });
  await run(6379, 'SET through-the-chain yes');
  await page.waitForTimeout(300);
  assert.deepEqual(await run(6381, 'GET through-the-chain'), ['127.0.0.1:6381> GET through-the-chain', '"yes"']);

  // 5. Promotion: the master dies, 6380 is dragged onto empty space and
  // takes writes; 6381 below it needs no change.
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  const figure = await page.locator('figure.topology').boundingBox();
  await dragBox(6380, [figure.x + 8, figure.y + 8]);
  assert.deepEqual((await output(6380).locator('.line').allTextContents()).slice(-2), ['127.0.0.1:6380> REPLICAOF NO ONE', 'OK']);
  assert.deepEqual(await run(6380, 'SET promoted yes'), ['127.0.0.1:6380> SET promoted yes', 'OK']);
  await page.waitForTimeout(300);
  assert.deepEqual(await run(6381, 'GET promoted'), ['127.0.0.1:6381> GET promoted', '"yes"']);
  await settled();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'lesson-promoted.png') });
  assert.deepEqual(pageErrors, []);
});
