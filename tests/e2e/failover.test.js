// FAILOVER typed into the page: the master pauses writes, hands its role
// to the replica named, and the graph shows the old master following it,
// its other replica chained below it; no write is lost.
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

const { run, lastLines } = pageHelpers(() => page);

test('a coordinated failover moves the master role on the graph', async () => {
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await run(6381, 'REPLICAOF 127.0.0.1 6379');
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor();
  await page.locator('[data-link="6381-6379"][data-state="online"]').waitFor();
  assert.deepEqual(await run(6379, 'SET before-failover 1'), ['127.0.0.1:6379> SET before-failover 1', 'OK']);

  assert.deepEqual(await run(6379, 'FAILOVER TO 127.0.0.1 6380'), ['127.0.0.1:6379> FAILOVER TO 127.0.0.1 6380', 'OK']);
  await page.click('[data-time="until-idle"]');
  // The old master now follows its replica; the other replica stays with
  // the old master (chained), as Redis leaves it.
  await page.locator('[data-link="6379-6380"][data-state="online"]').waitFor();
  await page.locator('[data-link="6381-6379"][data-state="online"]').waitFor();
  assert.equal(await page.locator('[data-link="6380-6379"]').count(), 0);
  await run(6380, 'ROLE');
  assert.match((await lastLines(6380, 5)).join('\n'), /1\) "master"/);
  assert.deepEqual(await run(6380, 'GET before-failover'), ['127.0.0.1:6380> GET before-failover', '"1"']);
  assert.deepEqual(await run(6380, 'SET after-failover 2'), ['127.0.0.1:6380> SET after-failover 2', 'OK']);
  await page.click('[data-time="until-idle"]');
  assert.deepEqual(await run(6381, 'GET after-failover'), ['127.0.0.1:6381> GET after-failover', '"2"']);
  const log = await page.locator('[data-event-log]').textContent();
  assert.match(log, /Failover target 127\.0\.0\.1:6380 is synced, failing over\./);
  assert.match(log, /MASTER MODE enabled \(failover request from/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'failover.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
