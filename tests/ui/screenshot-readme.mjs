#!/usr/bin/env node
// Regenerates docs/screenshot-answered.png (the README's picture of an answered question):
// 1000x870 viewport, the first source expanded, kept under 150 KB.
//
//   node screenshot-readme.mjs                         # against the dev server's canned answer
//   NIC_UI_URL=http://127.0.0.1:5000 node screenshot-readme.mjs   # against a running `nic serve`
//   NIC_UI_QUESTION="How do I ...?" ...                # the question to ask

import { statSync } from 'node:fs';
import path from 'node:path';
import { ask, launchBrowser, openPage, repoRoot } from './harness.mjs';
import { startDevServer } from './dev-server.mjs';

const question = process.env.NIC_UI_QUESTION || 'How do I test the alternator?';
const out = path.join(repoRoot, 'docs', 'screenshot-answered.png');
let dev = null;
let url = process.env.NIC_UI_URL;
if (!url) {
  dev = await startDevServer(0);
  url = `http://127.0.0.1:${dev.address().port}`;
}
const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, url);
  await page.setViewportSize({ width: 1000, height: 870 });
  await page.goto('/');
  await page.waitForFunction(() => /Index gen/.test(document.getElementById('health-index').textContent));
  await ask(page, question);
  await page.click('#thread .turn >> nth=0 >> .source-card >> nth=0 >> summary');
  await page.evaluate(() => { window.scrollTo(0, 0); document.activeElement.blur(); });
  await page.screenshot({ path: out });
  const kb = Math.round(statSync(out).size / 1024);
  console.log(`wrote ${out} (${kb} KB)`);
  if (kb > 150) console.error('warning: larger than 150 KB; use a shorter answer or a smaller viewport');
} finally {
  await browser.close();
  if (dev) dev.close();
}
