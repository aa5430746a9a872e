// The walking skeleton in a real browser: three servers with redis-cli-like
// consoles, replies as redis-cli prints them, history, adding and removing
// servers, and no error in the page's console.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pageForTests, pageHelpers, SCREENSHOTS } = require('./harness');

let page;
const pageErrors = [];
pageForTests((p) => {
  page = p;
}, pageErrors);

const { input, output, run, settled, centreOf, dragBox, lastLines } = pageHelpers(() => page);

test('three servers, each with a console', async () => {
  for (const port of [6379, 6380, 6381]) {
    await assert.doesNotReject(page.locator(`[data-node="${port}"]`).waitFor());
    assert.equal(await input(port).count(), 1);
    assert.equal(await output(port).count(), 1);
  }
});

test('SET and GET as redis-cli prints them', async () => {
  assert.deepEqual(await run(6379, 'SET k1 v1'), ['127.0.0.1:6379> SET k1 v1', 'OK']);
  assert.deepEqual(await run(6379, 'GET k1'), ['127.0.0.1:6379> GET k1', '"v1"']);
  // Each server has its own data.
  assert.deepEqual(await run(6380, 'GET k1'), ['127.0.0.1:6380> GET k1', '(nil)']);
  await assert.doesNotReject(page.locator('[data-node="6379"] .keys', { hasText: '1 key' }).waitFor());
});

test('a wrong-arity command shows Redis error', async () => {
  assert.deepEqual(await run(6379, 'GET'), [
    '127.0.0.1:6379> GET',
    "(error) ERR wrong number of arguments for 'get' command",
  ]);
  const errorLine = output(6379).locator('.line.error').last();
  assert.equal(await errorLine.textContent(), "(error) ERR wrong number of arguments for 'get' command");
});

test('Up and Down walk the history', async () => {
  await input(6379).fill('');
  await input(6379).press('ArrowUp');
  assert.equal(await input(6379).inputValue(), 'GET');
  await input(6379).press('ArrowUp');
  assert.equal(await input(6379).inputValue(), 'GET k1');
  await input(6379).press('ArrowDown');
  assert.equal(await input(6379).inputValue(), 'GET');
  await input(6379).press('ArrowUp');
  const lines = await (async () => {
    const before = await output(6379).locator('.line').count();
    await input(6379).press('Enter');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-console="6379"] [data-output] .line').length > n,
      before,
    );
    return (await output(6379).locator('.line').allTextContents()).slice(before);
  })();
  assert.deepEqual(lines, ['127.0.0.1:6379> GET k1', '"v1"']);
});

test('the prompt follows SELECT', async () => {
  assert.deepEqual(await run(6381, 'SELECT 2'), ['127.0.0.1:6381> SELECT 2', 'OK']);
  assert.equal(await page.locator('[data-console="6381"] .prompt').textContent(), '127.0.0.1:6381[2]> ');
});

test('lists print as numbered arrays, MULTI shows (TX) in the prompt', async () => {
  assert.deepEqual(await run(6379, 'RPUSH l a b c'), ['127.0.0.1:6379> RPUSH l a b c', '(integer) 3']);
  assert.deepEqual(await run(6379, 'LRANGE l 0 -1'), ['127.0.0.1:6379> LRANGE l 0 -1', '1) "a"', '2) "b"', '3) "c"']);
  assert.deepEqual(await run(6379, 'MULTI'), ['127.0.0.1:6379> MULTI', 'OK']);
  assert.equal(await page.locator('[data-console="6379"] .prompt').textContent(), '127.0.0.1:6379(TX)> ');
  assert.deepEqual(await run(6379, 'INCR n'), ['127.0.0.1:6379(TX)> INCR n', 'QUEUED']);
  assert.deepEqual(await run(6379, 'EXEC'), ['127.0.0.1:6379(TX)> EXEC', '1) (integer) 1']);
});

test('a blocked command waits on the virtual clock; Ctrl-C stops reading messages', async () => {
  await input(6381).fill('BLPOP nosuch 1');
  await input(6381).press('Enter');
  await page.locator('[data-console="6381"] .waiting').waitFor();
  await page.locator('[data-console="6381"] .line', { hasText: '(nil)' }).waitFor({ timeout: 5000 });
  const after = await output(6381).locator('.line').allTextContents();
  assert.match(after[after.length - 1], /^\(1\.\d\ds\)$/);
  assert.deepEqual((await run(6381, 'SUBSCRIBE news')).slice(0, 2), ['127.0.0.1:6381[2]> SUBSCRIBE news', 'Reading messages... (press Ctrl-C to quit)']);
  await page.locator('[data-console="6381"] .waiting').waitFor();
  await input(6381).press('Control+c');
  await page.locator('[data-console="6381"] .prompt').waitFor();
  assert.equal(await page.locator('[data-console="6381"] .prompt').textContent(), '127.0.0.1:6381> ');
});

test('add a server from its config file (the lesson\'s, prefilled), and remove one', async () => {
  await page.getByRole('button', { name: '+ Add server' }).click();
  const editor = page.locator('[data-editor="new"]');
  await editor.waitFor();
  const text = await editor.locator('textarea').inputValue();
  assert.deepEqual(text.split('\n').slice(1), [
    'include /etc/redis/redis.conf',
    'port 6382',
    'daemonize yes',
    'pidfile /var/run/redis_6382.pid',
    'dbfilename dump6382.rdb',
    'appendonly no',
  ]);
  // A bad line is refused as redis-server refuses it; nothing starts.
  await editor.locator('textarea').fill(`${text}\nmaxmemory lots`);
  await editor.locator('[data-editor-action="start"]').click();
  await editor.locator('.editor-error', { hasText: 'argument must be a memory value' }).waitFor();
  assert.match(await editor.locator('.editor-error').textContent(), /^\*\*\* FATAL CONFIG FILE ERROR \(Redis 7\.0\.15\) \*\*\*/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'config-editor.png') });
  await editor.locator('textarea').fill(text);
  await editor.locator('[data-editor-action="start"]').click();
  await page.locator('[data-node="6382"]').waitFor();
  assert.deepEqual(await run(6382, 'CONFIG GET dbfilename'), ['127.0.0.1:6382> CONFIG GET dbfilename', '1) "dbfilename"', '2) "dump6382.rdb"']);
  await page.getByRole('button', { name: 'Remove server 6380' }).click();
  await page.locator('[data-node="6380"]').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: '+ Add server' }).click();
  await page.locator('[data-editor="new"] [data-editor-action="start"]').click();
  await page.locator('[data-node="6380"]').waitFor();
  assert.deepEqual(await run(6380, 'DBSIZE'), ['127.0.0.1:6380> DBSIZE', '(integer) 0']);
  // A server's own file: edited, saved, read at the restart.
  await page.locator('[data-config="6382"]').click();
  const own = page.locator('[data-editor="6382"]');
  const current = await own.locator('textarea').inputValue();
  await own.locator('textarea').fill(`${current}\nhz 50`);
  await own.locator('[data-editor-action="restart"]').click();
  await own.waitFor({ state: 'detached' });
  await page.locator('[data-node="6382"][data-state="up"]').waitFor();
  await run(6382, 'PING');
  assert.deepEqual(await run(6382, 'CONFIG GET hz'), ['127.0.0.1:6382> CONFIG GET hz', '1) "hz"', '2) "50"']);
  await page.click('.notice .dismiss');
});

test('keys expire on the virtual clock', async () => {
  await run(6379, 'SET brief x PX 300');
  await page.waitForTimeout(700);
  assert.deepEqual(await run(6379, 'GET brief'), ['127.0.0.1:6379> GET brief', '(nil)']);
});

test('crash and restart a server; SHUTDOWN saves; the dump survives', async () => {
  const node = page.locator('[data-node="6382"]');
  assert.deepEqual(await run(6382, 'SET survivor 1'), ['127.0.0.1:6382> SET survivor 1', 'OK']);
  await node.getByRole('button', { name: 'Shutdown' }).click();
  await page.locator('[data-node="6382"][data-state="down"]').waitFor();
  await node.getByRole('button', { name: 'Restart' }).click();
  await page.locator('[data-node="6382"][data-state="up"]').waitFor();
  assert.deepEqual(await run(6382, 'GET survivor'), ['not connected> GET survivor', '"1"']);
  assert.deepEqual(await run(6382, 'SET lost 1'), ['127.0.0.1:6382> SET lost 1', 'OK']);
  await node.getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6382"][data-state="down"]').waitFor();
  assert.equal(await node.locator('.keys').textContent(), 'not running');
  // The console shows at once that its server is gone, and refuses as redis-cli does.
  await page.locator('[data-console="6382"] .prompt', { hasText: 'not connected>' }).waitFor();
  assert.deepEqual(await run(6382, 'PING'), [
    'not connected> PING',
    'Could not connect to Redis at 127.0.0.1:6382: Connection refused',
  ]);
  await node.getByRole('button', { name: 'Restart' }).click();
  await page.locator('[data-node="6382"][data-state="up"]').waitFor();
  assert.deepEqual(await run(6382, 'EXISTS survivor lost'), ['not connected> EXISTS survivor lost', '(integer) 1']);
});

test('download a dump, and upload it to another server', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-node="6382"]').getByRole('button', { name: 'Download dump' }).click(),
  ]);
  // The file its config names (the lesson's dbfilename dump<port>.rdb).
  assert.equal(download.suggestedFilename(), 'dump6382.rdb');
  const file = path.join(SCREENSHOTS, 'downloaded-dump.rdb');
  await download.saveAs(file);
  assert.equal(fs.readFileSync(file).subarray(0, 9).toString(), 'REDIS0010');
  const upload = page.locator('[data-node="6380"] input[type=file]');
  await upload.setInputFiles({ name: 'junk.rdb', mimeType: 'application/octet-stream', buffer: Buffer.from('not a dump') });
  await page.locator('.notice', { hasText: 'This file cannot be loaded' }).waitFor();
  await upload.setInputFiles(file);
  await page.locator('.notice', { hasText: 'loads it when it next starts' }).waitFor();
  await page.getByRole('button', { name: 'Dismiss this message' }).click();
  await page.locator('[data-node="6380"]').getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6380"]').getByRole('button', { name: 'Restart' }).click();
  await page.locator('[data-node="6380"][data-state="up"]').waitFor();
  assert.deepEqual(await run(6380, 'GET survivor'), ['not connected> GET survivor', '"1"']);
});

test('the cluster survives a page reload', async () => {
  await run(6381, 'SET reloaded yes');
  await run(6381, 'SAVE');
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  await page.reload();
  await page.locator('[data-console="6381"] input').waitFor();
  await page.locator('[data-node="6379"][data-state="down"]').waitFor();
  await page.locator('[data-node="6382"]').waitFor();
  assert.deepEqual(await run(6381, 'GET reloaded'), ['127.0.0.1:6381> GET reloaded', '"yes"']);
  await page.locator('[data-node="6379"]').getByRole('button', { name: 'Restart' }).click();
  await page.locator('[data-node="6379"][data-state="up"]').waitFor();
});

test('a replica attaches: the graph shows the link, the data arrives, writes are refused', async () => {
  await run(6379, 'SET lesson replication');
  assert.deepEqual(await run(6380, 'REPLICAOF 127.0.0.1 6379'), ['127.0.0.1:6380> REPLICAOF 127.0.0.1 6379', 'OK']);
  const edge = page.locator('[data-link="6380-6379"]');
  await edge.waitFor();
  assert.notEqual(await edge.getAttribute('data-state'), 'online');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor({ timeout: 15000 });
  assert.deepEqual(await run(6380, 'GET lesson'), ['127.0.0.1:6380> GET lesson', '"replication"']);
  assert.deepEqual(await run(6380, 'SET x 1'), [
    '127.0.0.1:6380> SET x 1',
    "(error) READONLY You can't write against a read only replica.",
  ]);
  await page.locator('[data-node="6380"] .role', { hasText: 'replica' }).waitFor();
  // The event log tells the handshake as the servers' logs would.
  const events = await page.locator('[data-event-log] .event').allTextContents();
  const logged = (port, text) => events.some((e) => e.startsWith(String(port)) && e.endsWith(text));
  assert.ok(logged(6380, 'Connecting to MASTER 127.0.0.1:6379'), events.join('\n'));
  assert.ok(logged(6379, 'Full resync requested by replica 127.0.0.1:6380') || logged(6379, 'Replica 127.0.0.1:6380 asks for synchronization'), events.join('\n'));
  assert.ok(logged(6379, 'Synchronization with replica 127.0.0.1:6380 succeeded'), events.join('\n'));
  assert.ok(logged(6380, 'MASTER <-> REPLICA sync: Finished with success'), events.join('\n'));
  // Narrowed to one server, the log shows only its lines.
  await page.click('[data-filter="6379"]');
  const masterOnly = await page.locator('[data-event-log] .event').evaluateAll((els) => els.map((e) => e.dataset.port));
  assert.ok(masterOnly.length > 0 && masterOnly.every((p) => p === '6379'), masterOnly.join(','));
  await page.click('[data-filter="all"]');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'replication.png'), fullPage: true });
  // Cut the link: writes stop arriving, nothing is refused; heal: they arrive.
  await page.click('[data-node="6380"] [data-cut="false"]');
  await page.locator('[data-link="6380-6379"][data-cut="true"]').waitFor();
  await run(6379, 'SET during cut');
  assert.deepEqual(await run(6380, 'GET during'), ['127.0.0.1:6380> GET during', '(nil)']);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'cut.png') });
  await page.click('[data-node="6380"] [data-cut="true"]');
  await page.locator('[data-link="6380-6379"][data-cut="false"]').waitFor();
  assert.deepEqual(await run(6380, 'GET during'), ['127.0.0.1:6380> GET during', '"cut"']);
});

test('time controls: pause stops the clock, steps move it, a faster speed runs it faster', async () => {
  const elapsed = async () => Number(await page.locator('[data-clock]').getAttribute('data-clock'));
  const waitForElapsed = (ms) =>
    page.waitForFunction((v) => Number(document.querySelector('[data-clock]').dataset.clock) === v, ms, { timeout: 5000 });
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  const stopped = await elapsed();
  // Paused, a key with a time to live does not age.
  await run(6379, 'SET fleeting x PX 1500');
  await page.waitForTimeout(2000);
  assert.equal(await elapsed(), stopped);
  assert.deepEqual(await run(6379, 'GET fleeting'), ['127.0.0.1:6379> GET fleeting', '"x"']);
  await page.click('[data-time="step-1s"]');
  await waitForElapsed(stopped + 1000);
  assert.deepEqual(await run(6379, 'PTTL fleeting'), ['127.0.0.1:6379> PTTL fleeting', '(integer) 500']);
  await page.click('[data-time="step-1s"]');
  await waitForElapsed(stopped + 2000);
  assert.deepEqual(await run(6379, 'GET fleeting'), ['127.0.0.1:6379> GET fleeting', '(nil)']);
  await page.click('[data-time="step-10s"]');
  await waitForElapsed(stopped + 12000);
  assert.match(await page.locator('[data-clock]').textContent(), /\d+(\.\d)? s$/);
  // Next event: a replica attaching while paused; the master's transfer
  // starts after its 5 s delay, and the step stops right there.
  await run(6382, 'REPLICAOF 127.0.0.1 6381');
  const attachedAt = await elapsed();
  for (let i = 0; i < 10; i++) {
    const events = await page.locator('[data-event-log] .event').allTextContents();
    if (events.some((e) => e.endsWith('Starting BGSAVE for SYNC with target: replicas sockets') && e.startsWith('6381'))) break;
    await page.click('[data-time="next-event"]');
  }
  const stepped = (await elapsed()) - attachedAt;
  assert.ok(stepped >= 4900 && stepped <= 5100, `${stepped} ms of virtual time`);
  assert.equal(await page.locator('[data-link="6382-6381"]').getAttribute('data-state'), 'online');
  await run(6382, 'REPLICAOF NO ONE');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'time-paused.png') });
  // 100 times as fast: a minute of virtual time in well under two real seconds.
  await page.click('[data-speed="100"]');
  assert.equal(await page.locator('[data-speed="100"]').getAttribute('aria-pressed'), 'true');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
  const before = await elapsed();
  await page.waitForFunction((v) => Number(document.querySelector('[data-clock]').dataset.clock) >= v, before + 60000, {
    timeout: 10000,
  });
  await page.click('[data-speed="1"]');
});

test('a restarted server reads its dump: LOADING until virtual time lets it finish', async () => {
  const node = page.locator('[data-node="6381"]');
  await run(6381, 'SET loaded yes');
  assert.deepEqual(await run(6381, 'SAVE'), ['127.0.0.1:6381> SAVE', 'OK']);
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await node.getByRole('button', { name: 'Crash' }).click();
  await page.locator('[data-node="6381"][data-state="down"]').waitFor();
  await node.getByRole('button', { name: 'Restart' }).click();
  // Paused, the load cannot finish: the card says so in words.
  await page.locator('[data-node="6381"][data-state="loading"]').waitFor();
  assert.equal(await node.locator('.badge.loading').textContent(), 'loading…');
  // The console's old connection died with the crash (redis-cli reports
  // that once, then reconnects).
  await run(6381, 'PING');
  const refused = await run(6381, 'GET loaded');
  assert.equal(refused[1], '(error) LOADING Redis is loading the dataset in memory');
  const info = (await run(6381, 'INFO persistence')).join('\n');
  assert.match(info, /loading:1/);
  assert.match(info, /loading_total_bytes:\d+/);
  await node.screenshot({ path: path.join(SCREENSHOTS, 'loading.png') });
  await page.click('[data-time="step-1s"]');
  await page.locator('[data-node="6381"][data-state="up"]').waitFor();
  assert.equal(await node.locator('.badge.loading').count(), 0);
  assert.deepEqual(await run(6381, 'GET loaded'), ['127.0.0.1:6381> GET loaded', '"yes"']);
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
});

test('a full sync shows its progress on the edge while the snapshot crosses the network', async () => {
  // Five megabytes that rdbcompression no keeps at full size: half a second at 10 MB/s.
  await run(6381, 'CONFIG SET rdbcompression no');
  await run(6381, 'SETRANGE big 4999999 x');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6382, 'REPLICAOF 127.0.0.1 6381');
  for (let i = 0; i < 4; i++) await page.click('[data-time="step-1s"]');
  const edge = page.locator('[data-link="6382-6381"]');
  for (let i = 0; i < 60; i++) {
    if ((await edge.locator('[data-progress]').count()) > 0) {
      const percent = Number(await edge.locator('[data-progress]').getAttribute('data-progress'));
      if (percent > 0) break;
    }
    await page.click('[data-time="next-event"]');
  }
  const percent = Number(await edge.locator('[data-progress]').getAttribute('data-progress'));
  assert.ok(percent > 0 && percent < 100, `${percent}%`);
  assert.match(await edge.locator('.figures').textContent(), /^\d+\.\d \/ 5\.0 MB$/);
  assert.match(await edge.locator('text').first().textContent(), new RegExp(`^full sync ${percent}%$`));
  const info = (await run(6382, 'INFO replication')).join('\n');
  assert.match(info, /master_sync_in_progress:1/);
  const read = Number(/master_sync_read_bytes:(\d+)/.exec(info)[1]);
  assert.ok(read > 500_000 && read < 5_000_000, `${read} bytes read`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('.topology').screenshot({ path: path.join(SCREENSHOTS, 'sync-progress.png') });
  await page.click('[data-time="step-1s"]');
  await page.locator('[data-link="6382-6381"][data-state="online"]').waitFor();
  assert.equal(await edge.locator('[data-progress]').count(), 0);
  assert.deepEqual(await run(6382, 'STRLEN big'), ['127.0.0.1:6382> STRLEN big', '(integer) 5000000']);
  await run(6382, 'REPLICAOF NO ONE');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
});



test('drag a server onto another to re-parent it, onto empty space to promote it; the card offers the same', async () => {
  // Start from three masters, chosen on the cards.
  for (const port of [6380, 6381, 6382]) {
    const select = page.locator(`select[data-replica-of="${port}"]`);
    if ((await select.inputValue()) !== '') {
      await select.selectOption('');
      await page.waitForFunction((p) => document.querySelector(`select[data-replica-of="${p}"]`).value === '', port);
      assert.deepEqual(await lastLines(port, 2), [`127.0.0.1:${port}> REPLICAOF NO ONE`, 'OK']);
    }
  }
  await dragBox(6380, await centreOf(6379), { screenshot: 'drag.png' });
  await page.locator('[data-link="6380-6379"]').waitFor();
  assert.deepEqual(await lastLines(6380, 2), ['127.0.0.1:6380> REPLICAOF 127.0.0.1 6379', 'OK']);
  assert.equal(await page.locator('select[data-replica-of="6380"]').inputValue(), '6379');
  // Onto itself: nothing happens, and the page says so.
  await dragBox(6380, (await centreOf(6380)).map((v) => v + 20));
  await page.locator('.notice', { hasText: 'onto itself' }).waitFor();
  // A chain, then a loop: Redis allows it, the page warns.
  await dragBox(6381, await centreOf(6380));
  await page.locator('[data-link="6381-6380"]').waitFor();
  await dragBox(6380, await centreOf(6381));
  await page.locator('.notice', { hasText: 'loop' }).waitFor();
  assert.deepEqual(await lastLines(6380, 2), ['127.0.0.1:6380> REPLICAOF 127.0.0.1 6381', 'OK']);
  // Onto empty space: a master again.
  await page.evaluate(() => window.scrollTo(0, 0));
  const figure = await page.locator('figure.topology').boundingBox();
  await dragBox(6380, [figure.x + 8, figure.y + 8]);
  assert.deepEqual(await lastLines(6380, 2), ['127.0.0.1:6380> REPLICAOF NO ONE', 'OK']);
  await page.locator('[data-link="6380-6381"]').waitFor({ state: 'detached' });
  // The same by keyboard, on the card.
  const select = page.locator('select[data-replica-of="6381"]');
  await select.focus();
  await select.selectOption('');
  await page.locator('[data-link="6381-6380"]').waitFor({ state: 'detached' });
  assert.deepEqual(await lastLines(6381, 2), ['127.0.0.1:6381> REPLICAOF NO ONE', 'OK']);
  await page.click('.notice .dismiss');
});

test('hints grey out the arguments still to type, Tab completes, help answers locally', async () => {
  const hint = page.locator('[data-hint="6379"]');
  await input(6379).fill('');
  await input(6379).pressSequentially('SET k');
  assert.equal(
    await hint.textContent(),
    ' value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]',
  );
  await input(6379).pressSequentially(' v ');
  assert.match(await hint.textContent(), /^\[NX\|XX\] \[GET\]/);
  await page.locator('[data-console="6379"]').screenshot({ path: path.join(SCREENSHOTS, 'hints.png') });
  await input(6379).fill('');
  await input(6379).pressSequentially('replica');
  await input(6379).press('Tab');
  assert.equal(await input(6379).inputValue(), 'REPLICAOF');
  assert.equal(await hint.textContent(), ' host port|NO ONE');
  // Tab again: the next match, then back to what was typed.
  await input(6379).fill('');
  await input(6379).pressSequentially('repl');
  await input(6379).press('Tab');
  assert.equal(await input(6379).inputValue(), 'REPLCONF');
  await input(6379).press('Tab');
  assert.equal(await input(6379).inputValue(), 'REPLICAOF');
  await input(6379).press('Tab');
  assert.equal(await input(6379).inputValue(), 'repl');
  await input(6379).fill('');
  // On an empty line Tab leaves the console: no keyboard trap.
  await input(6379).focus();
  await input(6379).press('Tab');
  assert.equal(await input(6379).evaluate((el) => el === document.activeElement), false);
  assert.deepEqual(await run(6379, 'help config get'), [
    '127.0.0.1:6379> help config get',
    '',
    '  CONFIG GET parameter [parameter ...]',
    '  summary: Get the values of configuration parameters',
    '  since: 2.0.0',
    '  group: server',
    '',
  ]);
});

test('run until idle lets a sync finish; an event log line picks out its server', async () => {
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6382, 'REPLICAOF 127.0.0.1 6379');
  const before = Number(await page.locator('[data-clock]').getAttribute('data-clock'));
  await page.click('[data-time="until-idle"]');
  await page.locator('[data-link="6382-6379"][data-state="online"]').waitFor();
  const after = Number(await page.locator('[data-clock]').getAttribute('data-clock'));
  // A full sync waits 5 s first; a partial one does not. Either way it stops once quiet.
  assert.ok(after - before >= 2000 && after - before < 20000, `${after - before} ms of virtual time`);
  const line = page.locator('[data-event-log] .event[data-port="6382"] .event-line').last();
  await line.click();
  await page.locator('[data-node="6382"][data-picked="true"]').waitFor();
  assert.match(await page.locator('[data-graph-node="6382"]').getAttribute('class'), /picked/);
  // By keyboard: the line is a button; choosing it again clears the pick.
  await line.focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-node="6382"][data-picked="false"]').waitFor();
  await run(6382, 'REPLICAOF NO ONE');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
});

test('the data view lists a server\'s keys and marks those a replica does not have yet', async () => {
  await run(6379, 'SET data-view 1');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6380, 'SET only-here x');
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  await page.click('[data-show-data="6380"]');
  const panel = page.locator('.data-panel');
  await panel.locator('[data-key="data-view"][data-state="missing"]').waitFor();
  await panel.locator('[data-key="only-here"][data-state="extra"]').waitFor();
  assert.match(await panel.locator('.data-summary').textContent(), /still differ from its master 6379/);
  await panel.screenshot({ path: path.join(SCREENSHOTS, 'data-view.png') });
  await page.click('[data-time="until-idle"]');
  await panel.locator('[data-key="data-view"][data-state="same"]').waitFor();
  assert.equal(await panel.locator('[data-key="only-here"]').count(), 0);
  assert.equal(await panel.locator('.data-summary').getAttribute('data-differing'), '0');
  await run(6380, 'REPLICAOF NO ONE');
  await page.click('[data-show-data="6380"]');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
});

test('a re-parenting glides on the graph so the eye can follow it', async () => {
  const box = page.locator('[data-graph-node="6381"] .box');
  const at = () => box.evaluate((el) => getComputedStyle(el).transform);
  const before = await at();
  await page.locator('select[data-replica-of="6381"]').selectOption('6379');
  await page.waitForTimeout(150);
  const during = await at();
  await page.waitForTimeout(1200);
  const after = await at();
  assert.notEqual(after, before, 'the box moved under its master');
  assert.ok(during !== before && during !== after, `mid-way: ${before} -> ${during} -> ${after}`);
  await page.locator('select[data-replica-of="6381"]').selectOption('');
  await page.locator('[data-link="6381-6379"]').waitFor({ state: 'detached' });
});

test('a link can be given latency: writes reach the replica that much later', async () => {
  await page.locator('select[data-replica-of="6380"]').selectOption('6379');
  await page.locator('[data-link="6380-6379"][data-state="online"]').waitFor({ timeout: 15000 });
  await page.locator('select[data-latency="6380"]').selectOption('1000');
  await page.locator('[data-link="6380-6379"] text', { hasText: 'online · 1000 ms' }).waitFor();
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="true"]').waitFor();
  await run(6379, 'SET slow-link 1');
  assert.deepEqual(await run(6380, 'GET slow-link'), ['127.0.0.1:6380> GET slow-link', '(nil)']);
  await page.click('[data-time="step-1s"]');
  assert.deepEqual(await run(6380, 'GET slow-link'), ['127.0.0.1:6380> GET slow-link', '"1"']);
  await page.locator('select[data-latency="6380"]').selectOption('0');
  await page.locator('select[data-replica-of="6380"]').selectOption('');
  await page.click('[data-time="toggle"]');
  await page.locator('[data-clock][data-paused="false"]').waitFor();
});

test('streams, a consumer group and an ACL user work in the page as on Redis', async () => {
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  assert.deepEqual(await run(6379, 'XADD orders 1-1 item book qty 2'), ['127.0.0.1:6379> XADD orders 1-1 item book qty 2', '"1-1"']);
  await run(6379, 'XADD orders 1-* item pen qty 10');
  await run(6379, 'XGROUP CREATE orders shipping 0');
  assert.deepEqual(await run(6379, 'XREADGROUP GROUP shipping ann COUNT 1 STREAMS orders >'), [
    '127.0.0.1:6379> XREADGROUP GROUP shipping ann COUNT 1 STREAMS orders >',
    '1) 1) "orders"',
    '   2) 1) 1) "1-1"',
    '         2) 1) "item"',
    '            2) "book"',
    '            3) "qty"',
    '            4) "2"',
  ]);
  await page.click('[data-time="until-idle"]');
  // The replica got the entries and, as XCLAIM, the pending one.
  assert.deepEqual(await run(6380, 'XPENDING orders shipping'), [
    '127.0.0.1:6380> XPENDING orders shipping',
    '1) (integer) 1',
    '2) "1-1"',
    '3) "1-1"',
    '4) 1) 1) "ann"',
    '      2) "1"',
  ]);
  await page.click('[data-show-data="6379"]');
  const panel = page.locator('.data-panel');
  await panel.locator('[data-key="orders"] .data-value', { hasText: '2 entries, 1 group' }).waitFor();
  await run(6381, 'ACL SETUSER reader on >pw ~orders +xrange');
  await run(6381, 'AUTH reader pw');
  assert.deepEqual(await run(6381, 'XADD orders * a b'), [
    '127.0.0.1:6381> XADD orders * a b',
    "(error) NOPERM this user has no permissions to run the 'xadd' command",
  ]);
  await run(6381, 'AUTH default x');
  await panel.screenshot({ path: path.join(SCREENSHOTS, 'data-view-stream.png') });
  await run(6380, 'REPLICAOF NO ONE');
  await page.click('[data-show-data="6379"]');
});

test('a Lua script and a function run in the page and reach the replica; a runaway script is stopped and the page lives', async () => {
  await run(6380, 'REPLICAOF 127.0.0.1 6379');
  const script = `EVAL "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', 'visits')" 1 page home`;
  assert.deepEqual(await run(6379, script), [`127.0.0.1:6379> ${script}`, '(integer) 1']);
  const load = `FUNCTION LOAD "#!lua name=greet\\nredis.register_function{function_name='hello', callback=function(keys, args) return 'hi ' .. args[1] end, flags={'no-writes'}}"`;
  assert.deepEqual(await run(6379, load), [`127.0.0.1:6379> ${load}`, '"greet"']);
  assert.deepEqual(await run(6379, 'FCALL hello 0 you'), ['127.0.0.1:6379> FCALL hello 0 you', '"hi you"']);
  const deep = await run(6379, 'EVAL "local function f(n) return 1 + f(n + 1) end return f(1)" 0');
  assert.match(deep[1], /^\(error\) ERR user_script:1: stack overflow script: /);
  const runaway = await run(6379, 'EVAL "while true do end" 0');
  assert.match(runaway[1], /^\(error\) ERR Script killed: it ran past the playground's limit/);
  const huge = await run(6379, `EVAL "return string.rep('x', 1e9)" 0`);
  assert.match(huge[1], /not enough memory/);
  await page.click('[data-time="until-idle"]');
  assert.deepEqual(await run(6380, 'GET page'), ['127.0.0.1:6380> GET page', '"home"']);
  assert.deepEqual(await run(6380, 'FCALL_RO hello 0 replica'), ['127.0.0.1:6380> FCALL_RO hello 0 replica', '"hi replica"']);
  assert.deepEqual(await run(6379, 'PING'), ['127.0.0.1:6379> PING', 'PONG']);
  await run(6379, 'FUNCTION FLUSH');
  await run(6380, 'REPLICAOF NO ONE');
});

test('MIGRATE moves a key to another server over the virtual network', async () => {
  await run(6379, 'SET parcel box');
  const migrate = 'MIGRATE 127.0.0.1 6380 parcel 0 1000';
  await run(6379, migrate);
  // The source waits for the target's reply, which crosses the network.
  const console6379 = page.locator('[data-console="6379"] [data-output] .line');
  await page.waitForFunction(
    (typed) => {
      const lines = [...document.querySelectorAll('[data-console="6379"] [data-output] .line')].map((l) => l.textContent);
      const at = lines.lastIndexOf(`127.0.0.1:6379> ${typed}`);
      return at >= 0 && lines[at + 1] === 'OK';
    },
    migrate,
    { timeout: 10000 },
  );
  assert.deepEqual(await run(6380, 'GET parcel'), ['127.0.0.1:6380> GET parcel', '"box"']);
  assert.deepEqual(await run(6379, 'EXISTS parcel'), ['127.0.0.1:6379> EXISTS parcel', '(integer) 0']);
  // The connection stays cached for the next MIGRATE.
  assert.ok((await run(6379, 'INFO stats')).includes('migrate_cached_sockets:1'));
  assert.ok((await console6379.count()) > 0);
});

test('screenshots, and no error in the page', async () => {
  await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'console-phone.png') });
  assert.deepEqual(pageErrors, []);
});
