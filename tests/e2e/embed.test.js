// Embedding and scenarios in the browser: three <redis-playground>
// elements driven through their JS API stay independent; a plain iframe
// speaks the message protocol and a foreign origin's messages are
// ignored; a guided task is done by typing and marked done; a permalink
// made after typing and a drag reopens to the same state; a scenario
// carrying markup and script in narration, key names and values runs
// without executing any of it.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const zlib = require('node:zlib');
const { serveDist, serveDir, TEST_PAGES, launchBrowser, freshPage, pageHelpers, SCREENSHOTS } = require('./harness');

let site;
let elsewhere;
let browser;
const errors = [];

before(async () => {
  require('node:fs').mkdirSync(SCREENSHOTS, { recursive: true });
  site = await serveDist();
  // Another origin: another port of the loopback.
  elsewhere = await serveDir(TEST_PAGES, '/elsewhere/');
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) await site.close();
  if (elsewhere) await elsewhere.close();
});

/** A fresh page (its own storage), its errors collected. */
function newPage(url, viewport = { width: 1280, height: 900 }) {
  return freshPage(browser, url, errors, { viewport });
}

/** The scenario text as a #scenario= fragment: base64url of deflate-raw. */
function fragment(text) {
  return '#scenario=' + zlib.deflateRawSync(Buffer.from(text, 'utf8')).toString('base64url');
}

test('three elements on one page, each its own playground, driven through the API', async () => {
  const page = await newPage(site.url + 'test/three.html');
  await page.evaluate(() => Promise.all([...document.querySelectorAll('redis-playground')].map((el) => el.ready)));
  const api = (id, method, ...args) => page.evaluate(([id, method, args]) => document.getElementById(id)[method](...args), [id, method, args]);

  // Each scenario ran in its own cluster: b and c set who, a has no such key.
  assert.equal(await api('a', 'run', 6379, 'GET who'), '(nil)');
  assert.equal(await api('b', 'run', 6379, 'GET who'), '"b"');
  assert.equal(await api('c', 'run', 6380, 'GET who'), '"c"');
  // A write to one is not seen by the others.
  assert.equal(await api('a', 'run', 6379, 'SET only-a 1'), 'OK');
  assert.equal(await api('b', 'run', 6379, 'EXISTS only-a'), '(integer) 0');
  assert.equal(await api('c', 'run', 6379, 'EXISTS only-a'), '(integer) 0');
  // Replies come back as the console prints them, several lines and errors too.
  assert.equal(await api('c', 'run', 6380, 'SET x 1'), "(error) READONLY You can't write against a read only replica.");
  assert.equal(await api('b', 'run', 6379, 'RPUSH l x y'), '(integer) 2');
  assert.equal(await api('b', 'run', 6379, 'LRANGE l 0 -1'), '1) "x"\n2) "y"');
  // One line at a time, as at redis-cli's prompt (a permalink keeps one step a line).
  await assert.rejects(api('b', 'run', 6379, 'SET a 1\nSET b 2'), /one line/);
  // A blocked command resolves once it is answered.
  assert.equal(await api('b', 'run', 6379, 'BLPOP nothing 1'), '(nil)\n(1.00s)');
  // The console shows what the API typed, as if typed there.
  const consoleB = page.frameLocator('#b >> iframe').locator('[data-console="6379"] [data-output]');
  await consoleB.getByText('127.0.0.1:6379> LRANGE l 0 -1').waitFor();

  // Snapshots are plain data, named as ROLE names roles.
  const a = await api('a', 'snapshot');
  const c = await api('c', 'snapshot');
  assert.deepEqual(a.nodes.map((n) => [n.port, n.kind, n.role, n.master_port, n.link]), [
    [6379, 'server', 'master', null, null],
    [6380, 'server', 'slave', 6379, 'up'],
  ]);
  assert.deepEqual(c.nodes.map((n) => [n.port, n.role, n.master_port]), [[6379, 'master', null], [6380, 'slave', 6379]]);
  assert.equal(c.nodes[0].offset, c.nodes[1].offset);
  assert.ok(a.time_ms > 0);
  assert.equal((await api('b', 'snapshot')).nodes.length, 1);

  // Events: a role change and log lines from the element driven, none from the others.
  const before = await page.evaluate(() => ({ a: window.events.a.length, b: window.events.b.length }));
  assert.equal(await api('c', 'run', 6380, 'REPLICAOF NO ONE'), 'OK');
  await page.waitForFunction(() => window.events.c.some((e) => e.name === 'role-change' && e.detail.port === 6380 && e.detail.role === 'master'));
  await page.waitForFunction(() => window.events.c.some((e) => e.name === 'log' && /MASTER MODE enabled/.test(e.detail.text)));
  const roleChangesElsewhere = await page.evaluate((n) => window.events.a.slice(n.a).concat(window.events.b.slice(n.b)).filter((e) => e.name === 'role-change').length, before);
  assert.equal(roleChangesElsewhere, 0);

  // load() replaces a cluster; a mistake is refused with its line and changes nothing.
  await assert.rejects(api('b', 'load', 'server 6379\nnonsense here\n'), /line 2/);
  assert.equal(await api('b', 'run', 6379, 'GET who'), '"b"');
  await api('b', 'load', 'seed 5\nserver 7000\n7000> SET fresh 1\n');
  assert.deepEqual((await api('b', 'snapshot')).nodes.map((n) => n.port), [7000]);
  await assert.rejects(api('b', 'run', 6379, 'PING'), /no node on port 6379/);
  // The guide: next() passes the open task, restart() goes back to the first.
  const position = await api('a', 'next');
  assert.equal(position.open, null);
  assert.ok(position.finished, JSON.stringify(position));
  const restarted = await api('a', 'restart');
  assert.notEqual(restarted.open, null);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'embed-three.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a plain iframe speaks the protocol; a foreign origin beside it is ignored', async () => {
  const foreign = `${elsewhere.url}foreign.html`;
  assert.notEqual(new URL(foreign).origin, new URL(site.url).origin);
  const page = await newPage(`${site.url}test/plain.html?foreign=${encodeURIComponent(foreign)}`);
  assert.equal(await page.evaluate(() => window.request('run', [6379, 'SET mine 1'])), 'OK');
  await page.waitForFunction(() => window.foreignReport, null, { timeout: 15000 });
  const report = await page.evaluate(() => window.foreignReport);
  // Nothing the foreign frame sent was obeyed, and it heard nothing back.
  assert.equal(report.received, 0);
  assert.equal(await page.evaluate(() => window.request('run', [6379, 'EXISTS hacked'])), '(integer) 0');
  assert.equal(await page.evaluate(() => window.request('run', [6379, 'GET mine'])), '"1"');
  const seen = await page.evaluate(() => window.seen);
  // (Each hello on its channel is welcomed; the page says hello until the first arrives.)
  assert.ok(seen.welcome >= 1);
  // Its forged responses reached the page, which did not take them for the frame's.
  assert.ok(seen.strays > 0);
  assert.ok(seen.events.includes('ready'));
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a guided task is done by typing in the console and marked done', async () => {
  const page = await newPage(site.url + 'index.html?scenario=lesson-1');
  const { run } = pageHelpers(() => page);
  const task = page.locator('.guide [data-kind="task"][data-task="open"]');
  await task.waitFor();
  assert.match(await task.textContent(), /Set the key city to Paris/);
  await run(6379, 'SET city Paris');
  await page.locator('.guide [data-kind="task"][data-task="done"]').waitFor({ timeout: 10000 });
  await page.locator('.guide[data-finished="true"]').waitFor();
  // The checks typed nothing into the learner's consoles.
  const lines = await page.locator('[data-console="6380"] [data-output] .line').allTextContents();
  assert.ok(!lines.some((l) => l.includes('GET city')), lines.join('\n'));
  // Back replays to the stop before: the task is open again, on a cluster without city.
  await page.click('[data-guide="back"]');
  await page.locator('.guide [data-kind="task"][data-task="open"]').waitFor();
  assert.equal(await page.locator('[data-graph-node="6380"]').textContent().then((t) => /0 keys/.test(t)), false);
  await page.locator('.guide[data-finished="false"]').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'guide-lesson-1.png') });
  // In Chinese, the same steps with Chinese words.
  const zh = await newPage(site.url + 'index.html?scenario=lesson-1&lang=zh');
  await zh.locator('.guide [data-kind="task"][data-task="open"]').waitFor();
  assert.match(await zh.locator('.guide [data-kind="task"]').textContent(), /Paris/);
  assert.match(await zh.locator('[data-guide="next"]').textContent(), /下一步/);
  assert.deepEqual(errors, []);
  await page.context().close();
  await zh.context().close();
});

test('a permalink made after typing and a drag reopens to the same state', async () => {
  const page = await newPage(site.url);
  const { run, dragBox, centreOf } = pageHelpers(() => page);
  await page.locator('[data-console="6379"] input').waitFor();
  await run(6379, 'SET greeting hello');
  await run(6379, 'INFO server');
  await dragBox(6380, await centreOf(6379));
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor({ timeout: 20000 });
  await run(6380, 'GET greeting');
  await run(6381, 'LPUSH jobs a b c');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await page.click('[data-share="make"]');
  const link = await page.locator('[data-share="link"]').inputValue();
  assert.match(link, /index\.html#scenario=[A-Za-z0-9_-]+$|\/#scenario=[A-Za-z0-9_-]+$/);
  const state = (p) =>
    p.evaluate(() => ({
      clock: document.querySelector('[data-clock]').dataset.clock,
      consoles: [...document.querySelectorAll('[data-console]')].map((c) => [c.dataset.console, [...c.querySelectorAll('[data-output] .line')].map((l) => l.textContent)]),
      graph: [...document.querySelectorAll('[data-graph-node]')].map((n) => n.textContent),
      links: [...document.querySelectorAll('[data-link]')].map((l) => `${l.dataset.link} ${l.dataset.state}`),
    }));
  const shared = await state(page);
  const reopened = await newPage(link);
  await reopened.locator('[data-clock][data-paused="true"]').waitFor();
  await reopened.locator('[data-console="6381"] [data-output] .line').first().waitFor();
  const replayed = await state(reopened);
  assert.deepEqual(replayed, shared);
  // The same run id, offsets and all: INFO server as printed then.
  const runId = shared.consoles[0][1].find((l) => l.startsWith('run_id:'));
  assert.ok(runId && replayed.consoles[0][1].includes(runId));
  await reopened.screenshot({ path: path.join(SCREENSHOTS, 'permalink-reopened.png') });
  assert.deepEqual(errors, []);
  await page.context().close();
  await reopened.context().close();
});

test('markup and script in a scenario stay text', async () => {
  const scenario = [
    'seed 9',
    `say <img src=x onerror="window.__xss='say'"> and <script>window.__xss='script'</script>`,
    'server 6379',
    `6379> SET "<img src=x onerror=window.__xss='key'>" "<script>window.__xss='value'</script>"`,
    `task <b onmouseover="window.__xss='task'">Count the keys</b>`,
    'expect 6379> DBSIZE',
    '= (integer) 2',
  ].join('\n');
  const page = await newPage(site.url + 'index.html' + fragment(scenario));
  await page.locator('.guide [data-kind="task"][data-task="open"]').waitFor();
  const guide = await page.locator('.guide').textContent();
  assert.ok(guide.includes(`<img src=x onerror="window.__xss='say'"> and <script>window.__xss='script'</script>`), guide);
  assert.ok(guide.includes(`<b onmouseover="window.__xss='task'">Count the keys</b>`), guide);
  await page.click('[data-show-data="6379"]');
  await page.locator('.data-table').getByText(`<img src=x onerror=window.__xss='key'>`).waitFor();
  const value = await page.locator('.data-table').textContent();
  assert.ok(value.includes(`<script>window.__xss='value'</script>`), value);
  await page.locator('.guide').hover();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('.guide img, .guide script, .guide b, .data-panel img, .data-panel script').count(), 0);
  // The same through an element's text.
  const host = await newPage(site.url + 'test/three.html');
  await host.evaluate(() => document.getElementById('b').ready);
  await host.evaluate((text) => document.getElementById('b').load(text), scenario);
  assert.equal(await host.evaluate(() => document.getElementById('b').run(6379, 'DBSIZE')), '(integer) 1');
  assert.equal(await host.evaluate(() => window.__xss), undefined);
  // A broken link says what is wrong, as text.
  const broken = await newPage(site.url + 'index.html#scenario=not-deflate-data');
  await broken.locator('.load-error').waitFor();
  assert.match(await broken.locator('.load-error').textContent(), /could not be read/);
  const bad = await newPage(site.url + 'index.html' + fragment('server 6379\n<img src=x onerror=alert(1)>\n'));
  await bad.locator('.load-error').waitFor();
  assert.match(await bad.locator('.load-error').textContent(), /line 2: unknown step '<img' \(steps are: server, .*; in a scenario also: seed, exact, say, task, solve, expect\)/);
  assert.deepEqual(errors, []);
  for (const p of [page, host, broken, bad]) await p.context().close();
});
