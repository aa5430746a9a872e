// The lesson's sections 6 and 7 through the page: a Sentinel added from the
// header watches the master, shows on the graph with a line to it, and
// when the master crashes it promotes a replica, points the other one at
// it and, once the old master is back, makes that a replica too. The
// learner follows it on the graph, in the cards and in the consoles.
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

const { run, settled } = pageHelpers(() => page);

/** Clicks a time button until `done()` holds, at most `times` clicks. */
async function stepUntil(button, done, times) {
  for (let i = 0; i < times; i++) {
    if (await done()) return true;
    await page.click(`[data-time="${button}"]`);
  }
  return done();
}

test('a Sentinel fails the master over and turns the old one into a replica', async () => {
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await run(6381, 'REPLICAOF 127.0.0.1 6379');
  await run(6379, 'SET k v');
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor();
  await page.locator('[data-link="6381-6379"][data-state="online"]').waitFor();

  // 6. The Sentinel, from the lesson's sentinel.conf (the editor offers it).
  await page.getByRole('button', { name: '+ Add Sentinel' }).click();
  const editor = page.locator('[data-editor="new-sentinel"]');
  await editor.waitFor();
  const conf = await editor.locator('textarea').inputValue();
  assert.match(conf, /^port 26379\nsentinel monitor mymaster 127\.0\.0\.1 6379 1\n/);
  // A mistake is refused with redis-sentinel's words, and nothing starts.
  await editor.locator('textarea').fill(conf.replace('6379 1', '6379 0'));
  await editor.locator('[data-editor-action="start"]').click();
  await editor.locator('.editor-error', { hasText: 'Quorum must be 1 or greater.' }).waitFor();
  await editor.locator('textarea').fill(conf);
  await editor.locator('[data-editor-action="start"]').click();
  await page.locator('[data-sentinel="26379"]').waitFor();
  await page.click('[data-time="step-1s"]');
  await page.locator('[data-graph-sentinel="26379"][data-watching="6379"]').waitFor();
  // (A vertical line has no width: attached, not "visible", to Playwright.)
  await page.locator('[data-watch-line="26379-6379"]').waitFor({ state: 'attached' });
  assert.deepEqual(await run(26379, 'SENTINEL get-master-addr-by-name mymaster'), [
    '127.0.0.1:26379> SENTINEL get-master-addr-by-name mymaster',
    '1) "127.0.0.1"',
    '2) "6379"',
  ]);
  const master = (await run(26379, 'SENTINEL master mymaster')).join('\n');
  assert.match(master, /"num-slaves"\n\d+\) "2"/);
  assert.match(await page.locator('[data-sentinel="26379"] [data-watch="mymaster"]').textContent(), /master ok · 2 replicas · 1 Sentinel · quorum 1/);
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'sentinel-watching.png') });

  // The master dies. With the default 30 s, nothing happens for a while.
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Crash' }).click();
  await page.click('[data-time="step-10s"]');
  await page.click('[data-time="step-10s"]');
  assert.equal(await page.locator('[data-graph-sentinel="26379"]').getAttribute('data-watching'), '6379');
  const down = await stepUntil('step-1s', async () => (await page.locator('[data-sentinel="26379"] [data-status="odown"], [data-sentinel="26379"] [data-watch] ').count()) > 0 &&
    /down|failover/.test(await page.locator('[data-graph-sentinel="26379"]').getAttribute('data-state')), 20);
  assert.ok(down, 'the Sentinel marks the master down after down-after-milliseconds');
  await settled();
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'sentinel-odown.png') });

  // 7. It promotes a replica and repoints the other.
  const switched = await stepUntil('step-1s', async () => (await page.locator('[data-graph-sentinel="26379"]').getAttribute('data-watching')) !== '6379', 15);
  assert.ok(switched, 'the Sentinel switches to the promoted replica');
  const promoted = Number(await page.locator('[data-graph-sentinel="26379"]').getAttribute('data-watching'));
  const other = promoted === 6380 ? 6381 : 6380;
  await page.locator(`[data-node="${promoted}"] .role.master`).waitFor();
  await stepUntil('step-1s', async () => (await page.locator(`[data-link="${other}-${promoted}"][data-state="online"]`).count()) > 0, 10);
  await page.locator(`[data-link="${other}-${promoted}"][data-state="online"]`).waitFor();
  await settled();
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'sentinel-failover.png') });
  // Sentinel's reconfiguration kills the node's normal clients (CLIENT KILL
  // TYPE normal): the console shows it lost its connection, and the next
  // command connects again.
  await page.locator(`[data-console="${promoted}"] .prompt`, { hasText: 'not connected>' }).waitFor();
  assert.deepEqual(await run(promoted, 'SET after failover'), [`not connected> SET after failover`, 'OK']);
  const log = await page.locator('.event-log').textContent();
  assert.match(log, /\+switch-master mymaster 127\.0\.0\.1 6379 127\.0\.0\.1 638[01]/);
  // Its event line picks the Sentinel out, on its card and on the graph.
  await page.locator('[data-event-log] .event[data-port="26379"] .event-line', { hasText: '+switch-master' }).click();
  await page.locator('[data-sentinel="26379"][data-picked="true"]').waitFor();
  assert.match(await page.locator('[data-graph-sentinel="26379"]').getAttribute('class'), /picked/);

  // The old master comes back as a master, then becomes a replica.
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Restart' }).click();
  const converted = await stepUntil('step-1s', async () => (await page.locator(`[data-link="6379-${promoted}"][data-state="online"]`).count()) > 0, 40);
  assert.ok(converted, 'the old master follows the new one');
  // Its console lost its connection to the conversion the same way.
  assert.deepEqual(await run(6379, 'GET after'), ['not connected> GET after', '"failover"']);
  await settled();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'sentinel-page.png'), fullPage: true });

  // Sentinel rewrote its sentinel.conf: it now names the new master.
  await page.locator('[data-sentinel="26379"] [data-config="26379"]').click();
  const own = page.locator('[data-editor="26379"]');
  await own.waitFor();
  assert.match(await own.locator('textarea').inputValue(), new RegExp(`sentinel monitor mymaster 127\\.0\\.0\\.1 ${promoted} 1`));
  assert.match(await own.locator('textarea').inputValue(), /sentinel known-replica mymaster 127\.0\.0\.1 6379/);
  await own.locator('[data-editor-action="cancel"]').click();
  await own.waitFor({ state: 'detached' });

  // The network between the Sentinel and its master can be cut, and healed.
  const card = page.locator('[data-sentinel="26379"]');
  await card.getByRole('button', { name: 'Cut from master' }).click();
  await page.locator('[data-graph-sentinel="26379"][data-state="cut"]').waitFor();
  assert.match(await page.locator('[data-graph-sentinel="26379"] .detail').textContent(), /✂ cut/);
  await card.getByRole('button', { name: 'Heal link' }).click();
  await page.locator('[data-graph-sentinel="26379"][data-state="ok"]').waitFor();

  // A partition around the new master: it is cut off from every node, the
  // graph says so, and it rejoins them all.
  const newMaster = page.locator(`[data-node="${promoted}"]`);
  await newMaster.getByRole('button', { name: 'Isolate' }).click();
  await newMaster.locator('[data-isolated="true"]').waitFor();
  assert.match(await page.locator(`[data-graph-node="${promoted}"] .detail`).textContent(), /✂ isolated/);
  await page.locator(`[data-link="${other}-${promoted}"][data-cut="true"]`).waitFor();
  await page.locator('[data-graph-sentinel="26379"][data-state="cut"]').waitFor();
  await newMaster.getByRole('button', { name: 'Rejoin' }).click();
  await newMaster.locator('[data-isolated="false"]').waitFor();
  await page.locator(`[data-link="${other}-${promoted}"][data-cut="false"]`).waitFor();
  assert.deepEqual(pageErrors, []);
});
