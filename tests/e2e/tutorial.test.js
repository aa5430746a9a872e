// The tutorial page: every section's embedded playground loads its guided
// scenario, and one exercise per section is solved through the page (the
// element's API and the playground's own buttons), in English and in
// Chinese. The guide marks each task done.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { serveDist, launchBrowser, SCREENSHOTS } = require('./harness');

let site;
let browser;
const errors = [];

before(async () => {
  require('node:fs').mkdirSync(SCREENSHOTS, { recursive: true });
  site = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) await site.close();
});

const SECTIONS = [1, 2, 3, 4, 5, 6, 7];

/** Waits for every section's playground, listening for finished tasks. */
async function allReady(page) {
  await page.evaluate(async () => {
    window.done = {};
    const elements = [...document.querySelectorAll('redis-playground')];
    for (const el of elements) {
      const section = el.closest('section').dataset.section;
      window.done[section] = [];
      if (!el.listening) {
        el.listening = true;
        el.addEventListener('task-done', (event) => window.done[el.closest('section').dataset.section].push(event.detail.text));
      }
    }
    await Promise.all(elements.map((el) => el.ready));
  });
}

/** One exercise of each section, as a learner does it on the page. */
async function solve(page, section) {
  const el = `#s${section} redis-playground`;
  const frame = page.frameLocator(`${el} >> iframe`);
  const run = (port, line) => page.evaluate(([el, port, line]) => document.querySelector(el).run(port, line), [el, port, line]);
  const fast = () => frame.locator('[data-speed="100"]').click();
  switch (section) {
    case 1:
      assert.equal(await run(6379, 'SET city Paris'), 'OK');
      break;
    case 2:
      await fast();
      await run(6380, 'SLAVEOF 127.0.0.1 6379');
      await run(6381, 'REPLICAOF 127.0.0.1 6379');
      break;
    case 3:
      await fast();
      await run(6380, 'REPLICAOF 127.0.0.1 6379');
      break;
    case 4:
      await fast();
      await run(6381, 'REPLICAOF 127.0.0.1 6380');
      await run(6379, 'SET chained yes');
      break;
    case 5:
      await run(6380, 'SLAVEOF NO ONE');
      await run(6380, 'SET promoted yes');
      break;
    case 6:
      // The header's button offers the lesson's sentinel.conf.
      await frame.locator('.add-sentinel').click();
      await frame.locator('[data-editor="new-sentinel"] [data-editor-action="start"]').click();
      await fast();
      break;
    case 7:
      await frame.locator('[data-node="6379"] button', { hasText: 'Crash' }).click();
      await fast();
      break;
  }
  await page.waitForFunction((s) => window.done[s].length > 0, section, { timeout: 30000 });
  await frame.locator('.guide [data-kind="task"][data-task="done"]').first().waitFor();
}

for (const lang of ['en', 'zh']) {
  test(`every section's playground runs its lesson, and its exercise is solved (${lang})`, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    await page.goto(site.url + 'tutorial.html');
    await allReady(page);
    if (lang === 'zh') {
      // The switch: Chinese prose, and every playground reloaded in Chinese.
      await page.click('[data-set-lang="zh"]');
      await page.waitForFunction(() => [...document.querySelectorAll('redis-playground')].every((el) => el.getAttribute('lang') === 'zh'));
      await allReady(page);
    }
    assert.equal(await page.evaluate(() => document.documentElement.dataset.lang), lang);
    for (const section of SECTIONS) {
      const snapshot = await page.evaluate((s) => document.querySelector(`#s${s} redis-playground`).snapshot(), section);
      assert.ok(snapshot.nodes.length >= 2, `section ${section}: ${JSON.stringify(snapshot)}`);
      const guide = page.frameLocator(`#s${section} redis-playground >> iframe`).locator('.guide');
      await guide.locator('[data-task="open"]').waitFor();
      const words = await guide.locator('.guide-stops').textContent();
      assert.equal(/[\u4e00-\u9fff]/.test(words), lang === 'zh', `section ${section}: ${words}`);
      await solve(page, section);
    }
    // The prose shown is the language chosen.
    const prose = await page.locator('#s3 .prose:visible').textContent();
    assert.equal(/[\u4e00-\u9fff]/.test(prose), lang === 'zh');
    await page.locator('#s7').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, `tutorial-${lang}.png`) });
    assert.deepEqual(errors, []);
    await context.close();
  });
}
