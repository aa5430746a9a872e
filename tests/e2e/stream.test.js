// What redis-cli shows of a server's inside, in the page's consoles:
// MONITOR prints every command a server runs (on a replica, the master's
// stream, as coming from the master), SYNC turns the console into a
// replica that prints the replication stream; Ctrl-C gives the prompt back.
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

const { input, run, lastLines } = pageHelpers(() => page);

test('MONITOR and SYNC show what a replica receives, until Ctrl-C', async () => {
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor();

  assert.deepEqual(await run(6380, 'MONITOR'), ['127.0.0.1:6380> MONITOR', 'OK']);
  await run(6379, 'SET greeting "hello world"');
  await page.waitForFunction(() => /"SET" "greeting" "hello world"/.test(document.querySelector('[data-console="6380"] [data-output]').textContent));
  const [line] = await lastLines(6380, 1);
  assert.match(line, /^\d+\.\d{6} \[0 127\.0\.0\.1:6379\] "SET" "greeting" "hello world"$/);
  await input(6380).press('Control+c');
  assert.deepEqual(await run(6380, 'PING'), ['127.0.0.1:6380> PING', 'PONG']);

  const entered = await run(6380, 'SYNC');
  assert.deepEqual(entered.slice(0, 2), ['127.0.0.1:6380> SYNC', 'Entering replica output mode...  (press Ctrl-C to quit)']);
  await page.waitForFunction(() => /SYNC done\. Logging commands from master\./.test(document.querySelector('[data-console="6380"] [data-output]').textContent));
  await run(6379, 'INCR visits');
  await page.waitForFunction(() => /"INCR","visits"/.test(document.querySelector('[data-console="6380"] [data-output]').textContent));
  await page.locator('[data-console="6380"]').screenshot({ path: path.join(SCREENSHOTS, 'console-sync.png') });
  await input(6380).press('Control+c');
  assert.deepEqual(await run(6380, 'GET visits'), ['127.0.0.1:6380> GET visits', '"1"']);
  assert.deepEqual(pageErrors, []);
});
