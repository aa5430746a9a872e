// Shared by the browser tests and the page benchmark: serves the built page
// from dist/ under a sub-path on 127.0.0.1, and launches Debian's Chromium
// headless through playwright-core.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
// The page must work from any static host, so tests serve it below a sub-path.
const SUB_PATH = '/tutorials/replication/';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.scn': 'text/plain; charset=utf-8',
};

/** The test pages (embedding pages, a foreign origin's page), served
 * beside the built page under test/. */
const TEST_PAGES = path.join(__dirname, 'pages');

/** Starts a static server for dist/ (and the test pages under test/, and
 * `extra`'s folders under their prefixes) on a free loopback port. */
function serveDist(extra = {}) {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error('dist/index.html is missing: build the page first (scripts/test.sh does)');
  }
  return serveDir(DIST, SUB_PATH, { 'test/': TEST_PAGES, ...extra });
}

/** A static server for `root` below `subPath`; `extra` maps a prefix of
 * the path to another folder. */
function serveDir(root, subPath, extra = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith(subPath)) {
      res.writeHead(404).end('not found');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(subPath.length)) || 'index.html';
    let base = root;
    for (const [prefix, dir] of Object.entries(extra)) {
      if (rel.startsWith(prefix)) {
        base = dir;
        rel = rel.slice(prefix.length);
      }
    }
    const file = path.join(base, path.normalize(rel));
    if (!file.startsWith(base) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}${subPath}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

const SCREENSHOTS = path.join(ROOT, 'target', 'e2e');

/** A new page at the site, collecting console errors, page errors and
 * failed requests into `errors`. */
async function openPage(browser, site, errors, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(site.url);
  await page.locator('[data-console="6379"] input').waitFor({ timeout: 15000 });
  return page;
}

/** A page in a context of its own (its own storage), its errors and
 * dialogs collected into `errors`; `init` runs before the page's scripts. */
async function freshPage(browser, url, errors, { init, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  if (init) await context.addInitScript(init.fn, init.arg);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    dialog.dismiss();
  });
  await page.goto(url);
  return page;
}

/** What a test does on the page as a user would, for the page `getPage()`
 * returns when called. */
function pageHelpers(getPage) {
  const input = (port) => getPage().locator(`[data-console="${port}"] input`);
  const output = (port) => getPage().locator(`[data-console="${port}"] [data-output]`);

  /** Types a line into a console and returns the lines it printed for it. */
  async function run(port, line) {
    const before = await output(port).locator('.line').count();
    await input(port).fill(line);
    await input(port).press('Enter');
    await getPage().waitForFunction(
      ([p, n]) => document.querySelectorAll(`[data-console="${p}"] [data-output] .line`).length > n,
      [port, before],
      { timeout: 5000 },
    );
    const lines = await output(port).locator('.line').allTextContents();
    return lines.slice(before);
  }

  /** Waits for the graph's boxes to finish gliding into place. */
  const settled = () =>
    getPage().waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, {
      timeout: 5000,
    });

  /** The centre of a server's box on the graph, scrolled into view. */
  async function centreOf(port) {
    await getPage().evaluate(() => window.scrollTo(0, 0));
    await settled();
    const box = await getPage().locator(`[data-graph-node="${port}"]`).boundingBox();
    return [box.x + box.width / 2, box.y + box.height / 2];
  }

  /** Drags a graph box with the mouse to a point of the page, in steps as a hand would. */
  async function dragBox(port, to, { screenshot } = {}) {
    const page = getPage();
    const from = await centreOf(port);
    await page.mouse.move(...from);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) {
      await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / 8, from[1] + ((to[1] - from[1]) * i) / 8);
    }
    if (screenshot) {
      await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, screenshot) });
    }
    await page.mouse.up();
  }

  /** The last `n` lines of a console. */
  const lastLines = async (port, n) => (await output(port).locator('.line').allTextContents()).slice(-n);

  return { input, output, run, settled, centreOf, dragBox, lastLines };
}

/** Gives a test file one page: before its tests the site is served,
 * Chromium started and the page opened (handed to `setPage`), collecting
 * errors into `errors`; after them everything is closed. */
function pageForTests(setPage, errors) {
  const { before, after } = require('node:test');
  let site;
  let browser;
  before(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    site = await serveDist();
    browser = await launchBrowser();
    setPage(await openPage(browser, site, errors));
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
  });
}

module.exports = { serveDist, serveDir, TEST_PAGES, launchBrowser, openPage, freshPage, pageHelpers, pageForTests, SCREENSHOTS, DIST };
