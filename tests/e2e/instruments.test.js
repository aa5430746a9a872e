// The instruments: a write typed on the master is found in the wire
// inspector of both links of a chain at the same offsets, and the PSYNC
// explainer gives each (re)connection's verdict: a link cut within the
// backlog and healed (CONTINUE), a replica restarted with the dump it
// saved (CONTINUE), a promotion in the middle of a chain (CONTINUE through
// the previous replication id), and a cut while more than the backlog was
// written (FULLRESYNC).
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

/** Virtual time passes in 10 s steps. */
async function tenSeconds(times) {
  for (let i = 0; i < times; i++) await page.click('[data-time="step-10s"]');
}

/** Opens a link in the wire inspector. The link's hit area is a curved
 * SVG path whose box centre, where a pointer click lands, can miss the
 * stroke while the graph settles: the click is dispatched to it instead. */
async function inspect(link) {
  await page.locator(`[data-inspect="${link}"]`).dispatchEvent('click');
  await page.locator(`.wire[data-link="${link}"]`).waitFor();
}

/** The explainer's newest card for a replica. */
async function newestCard(replica) {
  await page.click('[data-tab="psync"]');
  const card = page.locator(`.psync-card[data-replica="${replica}"]`).first();
  await card.waitFor();
  return { verdict: await card.getAttribute('data-verdict'), text: await card.textContent() };
}

test('a typed write is found on both links of a chain, at the same offsets', async () => {
  await page.click('[data-time="toggle"]');
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await run(6381, 'REPLICAOF 127.0.0.1 6380');
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6381-6380"][data-state="online"]').waitFor();
  await run(6379, 'SET greeting "hello world"');
  await page.click('[data-time="step-1s"]');
  await inspect('6380-6379');
  const typed = page.locator('.wire[data-link="6380-6379"] .frame[data-carries-typed="true"]');
  await typed.waitFor();
  assert.equal(await typed.count(), 1);
  const offsets = await typed.getAttribute('data-offsets');
  assert.match(await typed.locator('.frame-text').textContent(), /^SET greeting hello world$/);
  // One link further down the chain: the same command at the same offsets.
  await page.locator('.instruments').screenshot({ path: path.join(SCREENSHOTS, 'wire-inspector.png') });
  await inspect('6381-6380');
  const below = page.locator('.wire[data-link="6381-6380"] .frame[data-carries-typed="true"]');
  await below.waitFor();
  assert.equal(await below.getAttribute('data-offsets'), offsets);
  // The master's own offset is where it ends (INFO says the same).
  const info = await run(6379, 'INFO replication');
  const masterOffset = info.find((l) => l.startsWith('master_repl_offset:')).split(':')[1];
  assert.equal(offsets.split('-')[1], masterOffset);
  // The handshake and the snapshot are there too, and a raw view of each frame.
  assert.ok((await page.locator('.wire .frame[data-kind="handshake"]').count()) >= 4);
  assert.equal(await page.locator('.wire .frame[data-kind="rdb"]').count(), 1);
  // (INFO was typed since: the SET is no longer the command typed last.)
  await page.locator('.wire .frame', { hasText: 'SET greeting hello world' }).click();
  assert.match(await page.locator('.wire .frame-raw').textContent(), /^\*3\\r\\n\$3\\r\\nSET\\r\\n/);
  // Filters hide a kind; holding still keeps the list as it was.
  await page.uncheck('.wire [data-filter="ack"]');
  assert.equal(await page.locator('.wire .frame[data-kind="ack"]').count(), 0);
  await page.click('[data-wire="hold"]');
  const held = await page.locator('.wire .frame').count();
  await run(6379, 'SET more 1');
  await page.click('[data-time="step-1s"]');
  assert.equal(await page.locator('.wire .frame').count(), held);
  await page.click('[data-wire="hold"]');
  await page.locator('.wire .frame-text', { hasText: 'SET more 1' }).waitFor();
});

test('the PSYNC explainer says why each resync was partial or full', async () => {
  // First syncs: full.
  assert.equal((await newestCard(6380)).verdict, 'FULLRESYNC');

  // A cut longer than repl-timeout drops the link at both ends; healed, the replica continues.
  await page.click('[data-node="6380"] [data-cut]');
  await tenSeconds(7);
  await page.click('[data-node="6380"] [data-cut]');
  await page.click('[data-time="until-idle"]');
  let card = await newestCard(6380);
  assert.equal(card.verdict, 'CONTINUE', card.text);
  assert.match(card.text, /same replication id/);

  // A replica shut down (it saves its dump) and restarted continues from it
  // (CONFIG REWRITE first, so that its config file says whose replica it is).
  await run(6381, 'CONFIG REWRITE');
  const before = await page.locator('.psync-card[data-replica="6381"]').count();
  await run(6381, 'SHUTDOWN');
  await page.locator('[data-node="6381"][data-state="down"]').waitFor();
  await page.click('[data-node="6381"] button:has-text("Restart")');
  await page.click('[data-time="until-idle"]');
  card = await newestCard(6381);
  assert.equal(await page.locator('.psync-card[data-replica="6381"]').count(), before + 1);
  assert.equal(card.verdict, 'CONTINUE', card.text);

  // The middle of the chain promoted: the replica below continues through the previous id.
  await run(6380, 'REPLICAOF NO ONE');
  await page.click('[data-time="until-idle"]');
  card = await newestCard(6381);
  assert.equal(card.verdict, 'CONTINUE', card.text);
  assert.match(card.text, /previous replication id/);

  // More than the backlog written while the link is down: a full resync.
  await run(6380, 'CONFIG SET repl-backlog-size 16384');
  await page.click('[data-node="6381"] [data-cut]');
  await tenSeconds(7);
  for (let i = 0; i < 3; i++) await run(6380, `SET filler${i} ${'x'.repeat(20000)}`);
  await page.click('[data-node="6381"] [data-cut]');
  await page.click('[data-time="until-idle"]');
  card = await newestCard(6381);
  assert.equal(card.verdict, 'FULLRESYNC', card.text);
  assert.match(card.text, /no longer in the master's backlog/);
  await page.locator('.instruments').screenshot({ path: path.join(SCREENSHOTS, 'psync-explainer.png') });
  // The lag chart shows it: the cut, the full sync, and 6381 caught up again.
  await page.click('[data-tab="lag"]');
  const chart = page.locator('.lag-chart[data-replica="6381"]');
  await chart.waitFor();
  const marks = (await chart.getAttribute('data-marks')).split(',');
  assert.ok(marks.includes('cut') && marks.includes('full sync'), marks.join(','));
  assert.equal(await chart.getAttribute('data-behind'), '0');
  await page.locator('.instruments').screenshot({ path: path.join(SCREENSHOTS, 'lag-chart.png') });
  assert.deepEqual(pageErrors, []);
});

test('the graph stays readable: two full syncs at once, labels apart; the graph in sight with the instruments open', async () => {
  // A fourth server with a dataset big enough to take a while on the wire.
  await page.getByRole('button', { name: '+ Add server' }).click();
  const editor = page.locator('[data-editor="new"]');
  await editor.waitFor();
  const conf = await editor.locator('textarea').inputValue();
  await editor.locator('textarea').fill(`${conf}\nenable-debug-command yes`);
  await editor.locator('[data-editor-action="start"]').click();
  await page.locator('[data-console="6382"] input').waitFor();
  assert.deepEqual((await run(6382, 'DEBUG POPULATE 60000 key 100')).slice(1), ['OK']);
  await run(6380, 'REPLICAOF 127.0.0.1 6382');
  await run(6381, 'REPLICAOF 127.0.0.1 6382');
  // Step through the events until both transfers show their progress.
  for (let i = 0; i < 60 && (await page.locator('.edge [data-progress]').count()) < 2; i++) {
    await page.click('[data-time="next-event"]');
  }
  assert.equal(await page.locator('.edge [data-progress]').count(), 2);
  await settled();
  const boxes = await page.evaluate(() =>
    [...document.querySelectorAll('.topology .edge')].map((edge) => {
      const rects = [...edge.querySelectorAll('text, .progress rect')].map((t) => t.getBoundingClientRect());
      return {
        link: edge.dataset.link,
        left: Math.min(...rects.map((r) => r.left)),
        right: Math.max(...rects.map((r) => r.right)),
        top: Math.min(...rects.map((r) => r.top)),
        bottom: Math.max(...rects.map((r) => r.bottom)),
      };
    }),
  );
  for (const a of boxes) {
    for (const b of boxes) {
      if (a.link >= b.link) continue;
      const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
      assert.ok(apart, `the labels of ${a.link} and ${b.link} overlap: ${JSON.stringify([a, b])}`);
    }
  }
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'two-syncs.png') });
  // With the instruments open, the graph starts within a 1280×800 screen.
  await inspect('6380-6382');
  // The inspector shows the snapshot on its way, with its progress.
  assert.match(await page.locator('.wire [data-kind="rdb-arriving"]').textContent(), /RDB snapshot arriving: \d+ of \d+ bytes/);
  await page.evaluate(() => window.scrollTo(0, 0));
  const graph = await page.locator('.topology').boundingBox();
  assert.ok(graph.y < 400, `the graph starts at ${graph.y}px`);
  assert.deepEqual(pageErrors, []);
});
