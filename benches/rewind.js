// Time to rewind a long session in the page: a 30-minute virtual session
// (three servers in a chain, a few hundred typed commands, a cut and its
// heal, a crash and a restart) is built through the page; then the
// time-travel slider is moved to moments across it, and the time from the
// change to the page showing that moment is measured in the page. Prints
// figures; asserts nothing. Run through scripts/bench-rewind.sh.
'use strict';

const { serveDist, launchBrowser } = require('../tests/e2e/harness');

const COMMANDS = Number(process.env.COMMANDS || 300);
const MINUTES = Number(process.env.MINUTES || 30);

async function run(page, port, line) {
  const input = page.locator(`[data-console="${port}"] input`);
  await input.fill(line);
  await input.press('Enter');
}

async function main() {
  const site = await serveDist();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(site.url);
    await page.locator('[data-console="6379"] input').waitFor({ timeout: 15000 });
    await page.click('[data-time="toggle"]');
    await run(page, 6380, 'REPLICAOF 127.0.0.1 6379');
    await run(page, 6381, 'REPLICAOF 127.0.0.1 6380');
    // The commands spread over the session's virtual time, 10 s at a time.
    const steps = (MINUTES * 60) / 10;
    for (let i = 0; i < steps; i++) {
      for (let j = 0; j < Math.ceil(COMMANDS / steps); j++) {
        await run(page, 6379, `SET key:${i}:${j} value-${i}-${j}`);
      }
      if (i === Math.floor(steps / 3)) await page.click('[data-node="6380"] [data-cut]');
      if (i === Math.floor(steps / 3) + 9) await page.click('[data-node="6380"] [data-cut]');
      if (i === Math.floor((2 * steps) / 3)) await page.click('[data-node="6381"] button:has-text("Crash")');
      if (i === Math.floor((2 * steps) / 3) + 3) await page.click('[data-node="6381"] button:has-text("Restart")');
      await page.click('[data-time="step-10s"]');
    }
    const present = Number(await page.locator('.time-travel').getAttribute('data-present'));
    const stepsTaken = await page.locator('#tt-steps option').count();
    const times = [];
    for (const fraction of [0.05, 0.25, 0.5, 0.75, 0.95, 0.1, 0.6, 0.33, 0.9, 0.5]) {
      const target = Math.round((present * fraction) / 100) * 100;
      const ms = await page.locator('[data-time-travel="slider"]').evaluate(async (input, value) => {
        const start = performance.now();
        input.value = String(value);
        input.dispatchEvent(new Event('change', { bubbles: true }));
        // Yew renders on dispatch; wait for the moment to be on show.
        while (document.querySelector('.time-travel').dataset.viewing !== String(value)) {
          await new Promise((r) => setTimeout(r, 0));
        }
        return performance.now() - start;
      }, target);
      times.push(ms);
      await page.click('[data-time-travel="present"]');
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
    console.log(`session: ${(present / 60000).toFixed(1)} min of virtual time, ${stepsTaken} steps (sleeps aside)`);
    console.log(`rewind to a moment (10 moves of the slider, ms): min ${at(0)} p50 ${at(0.5)} max ${at(0.99)}`);
  } finally {
    await browser.close();
    await site.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
