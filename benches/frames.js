// Frame time of the page while 12 servers (SERVERS=N for another count)
// replicate under a steady write load at 100× speed, in headless Chromium:
// a master, three replicas under it and the rest under those (a chain two
// deep), INCRs typed into the
// master's console ten times a second, frames timed with
// requestAnimationFrame for 15 s. With SENTINELS=N, N Sentinels watch the
// master too (pinging every node, asking INFO, publishing hellos that the
// replication stream carries). With INSPECT=1 the wire inspector is open,
// following live, on the link of the first replica to the master (the
// busiest). Prints figures; asserts nothing. Run through
// scripts/bench-frames.sh.
'use strict';

const { serveDist, launchBrowser } = require('../tests/e2e/harness');

const SECONDS = Number(process.env.SECONDS_MEASURED || 15);
const SENTINELS = Number(process.env.SENTINELS || 0);
const SERVERS = Number(process.env.SERVERS || 12);
const INSPECT = Boolean(Number(process.env.INSPECT || 0));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(page, port, line) {
  const input = page.locator(`[data-console="${port}"] input`);
  await input.fill(line);
  await input.press('Enter');
}

async function main() {
  const site = await serveDist();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(site.url);
    await page.locator('[data-console="6379"] input').waitFor({ timeout: 15000 });
    // The rest of the servers, each from the prefilled config (6379 up).
    while ((await page.locator('[data-node]').count()) < SERVERS) {
      await page.getByRole('button', { name: '+ Add server' }).click();
      await page.locator('[data-editor="new"] [data-editor-action="start"]').click();
      await page.locator('[data-editor]').waitFor({ state: 'detached' });
    }
    const ports = (await page.locator('[data-node]').evaluateAll((els) => els.map((e) => Number(e.dataset.node)))).sort();
    const [master, ...rest] = ports;
    const middle = rest.slice(0, 3);
    for (const port of middle) await run(page, port, `REPLICAOF 127.0.0.1 ${master}`);
    for (const [i, port] of rest.slice(3).entries()) {
      await run(page, port, `REPLICAOF 127.0.0.1 ${middle[i % middle.length]}`);
    }
    for (let i = 0; i < SENTINELS; i++) {
      await page.getByRole('button', { name: '+ Add Sentinel' }).click();
      await page.locator('[data-editor="new-sentinel"] [data-editor-action="start"]').click();
      await page.locator('[data-editor]').waitFor({ state: 'detached' });
    }
    await page.click('[data-speed="100"]');
    // Let the syncs settle before measuring.
    await page.waitForTimeout(2000);
    const online = await page.locator('[data-link][data-state="online"]').count();
    if (INSPECT) {
      await page.click(`[data-inspect="${middle[0]}-${master}"]`, { force: true });
      await page.locator('.wire .frame').first().waitFor();
    }
    // Frames, measured in the page while the writes go on.
    // Long tasks (over 50 ms on the main thread) show jank that frame
    // pacing alone could hide.
    const frames = page.evaluate((seconds) => new Promise((resolve) => {
      const gaps = [];
      const long = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration))).observe({ type: 'longtask' });
      let last = performance.now();
      const end = last + seconds * 1000;
      function frame(now) {
        gaps.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(frame); else resolve({ gaps, long });
      }
      requestAnimationFrame(frame);
    }), SECONDS);
    let writes = 0;
    const writing = (async () => {
      const stop = Date.now() + SECONDS * 1000;
      while (Date.now() < stop) {
        await run(page, master, 'INCR counter');
        writes++;
        await page.waitForTimeout(100);
      }
    })();
    const measured = await frames;
    const gaps = measured.gaps.slice(1).sort((a, b) => a - b);
    await writing;
    const clock = await page.locator('[data-clock]').getAttribute('data-clock');
    const watching = SENTINELS ? `, ${SENTINELS} Sentinels` : '';
    console.log(`${SERVERS} servers (${online} links online)${watching}${INSPECT ? ", the wire inspector open on the busiest link" : ""}, 100× speed, ${writes} INCRs typed over ${SECONDS} s, virtual clock at ${(Number(clock) / 1000).toFixed(0)} s`);
    console.log(`frame time over ${gaps.length} frames (ms): p50 ${percentile(gaps, 50).toFixed(1)} p95 ${percentile(gaps, 95).toFixed(1)} max ${gaps[gaps.length - 1].toFixed(1)}`);
    const long = measured.long;
    console.log(`long tasks (> 50 ms): ${long.length}${long.length ? `, longest ${Math.max(...long).toFixed(0)} ms` : ''}`);
  } finally {
    await browser.close();
    await site.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
