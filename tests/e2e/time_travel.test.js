// Time travel: rewinding to a moment before a crash shows the crashed
// master up again (graph, card, consoles); back to the present shows it
// down; a branch from the past (typing there) goes its own way.
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

/** Moves the time-travel slider to `ms` as a hand would let go of it. */
async function rewindTo(ms) {
  await page.locator('[data-time-travel="slider"]').evaluate((input, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, ms);
}

test('rewind before a crash, back to the present, and a branch from the past', async () => {
  await page.click('[data-time="toggle"]');
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await page.click('[data-time="step-10s"]');
  await run(6379, 'SET k before-the-crash');
  await page.click('[data-time="step-1s"]');
  // Half a second before the crash (a moment shows what was done at it).
  const beforeCrash = Number(await page.locator('.time-travel').getAttribute('data-present')) - 500;
  await page.click('[data-node="6379"] button:has-text("Crash")');
  await page.click('[data-time="step-10s"]');
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  const present = Number(await page.locator('.time-travel').getAttribute('data-present'));
  assert.ok(present >= beforeCrash + 10500);

  // The moment before the crash: 6379 is up, master of 6380, as it was.
  await rewindTo(beforeCrash);
  await page.locator('.time-travel.in-the-past').waitFor();
  assert.equal(await page.locator('.time-travel').getAttribute('data-viewing'), String(beforeCrash));
  await page.locator('[data-node="6379"][data-state="up"]').waitFor();
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor();
  assert.equal((await lastLines(6379, 2)).join('\n'), '127.0.0.1:6379> SET k before-the-crash\nOK');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'time-travel-past.png') });

  // Back to the present: the crash again.
  await page.click('[data-time-travel="present"]');
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  assert.equal(await page.locator('.time-travel').getAttribute('data-viewing'), null);

  // A branch: typing in the past goes on from there; the crash never happens.
  await rewindTo(beforeCrash);
  await page.locator('[data-node="6379"][data-state="up"]').waitFor();
  assert.deepEqual((await run(6379, 'SET branch 1')).slice(1), ['OK']);
  await page.locator('.time-travel:not(.in-the-past)').waitFor();
  assert.deepEqual((await run(6379, 'GET k')).slice(1), ['"before-the-crash"']);
  await page.click('[data-time="step-10s"]');
  assert.equal(await page.locator('[data-node="6379"]').getAttribute('data-state'), 'up');
  assert.deepEqual((await run(6380, 'GET branch')).slice(1), ['"1"']);
  const now = Number(await page.locator('.time-travel').getAttribute('data-present'));
  assert.ok(now < present, `the branch's present ${now} is before the old one ${present}`);
  assert.deepEqual(pageErrors, []);
});
