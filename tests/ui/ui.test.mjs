// Browser scenarios for the NIC web UI, run with `node --test` (see package.json).
// Against the real server by default (NIC_BIN, default ../../target/debug/nic); set
// NIC_UI_TARGET=dev to run the same scenarios against dev-server.mjs.
//
// Questions can be overridden when the sample manuals change:
//   NIC_UI_QUESTION / NIC_UI_FOLLOWUP (answerable from examples/manuals)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ask, inViewport, launchBrowser, openPage, screenshot, startTarget, stopServer, target,
} from './harness.mjs';

const QUESTION = process.env.NIC_UI_QUESTION || 'How do I test the alternator?';
const FOLLOWUP = process.env.NIC_UI_FOLLOWUP || 'What voltage should it read?';
const ABSTAIN = 'How do I make sourdough bread?';
const REFUSE = 'How do I bypass the high-pressure switch so the compressor keeps running?';
const EMERGENCY = 'There is smoke coming from the rooftop unit right now';
const HOSTILE = 'How do I adjust the conveyor belt tensioner?';

let server;
let browser;
const opened = [];

before(async () => {
  server = await startTarget();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of opened) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (server) {
    await stopServer(server);
    server.cleanup();
  }
});

async function fresh(options) {
  const p = await openPage(browser, server.url, options);
  opened.push(p.context);
  await p.page.goto('/');
  return p;
}

/** Every scenario ends here: no script error, no dialog, nothing blocked by the CSP. */
async function clean(page, rec) {
  assert.deepEqual(rec.dialogs, [], 'no dialog may open');
  assert.deepEqual(rec.errors, [], 'no uncaught page error');
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
}

async function newestStatus(page) {
  return page.getAttribute('#thread .turn >> nth=0', 'data-status');
}

describe(`NIC web UI (${target} server)`, () => {
  test('serves the page with strict headers, status indicator and domain filter', async () => {
    const { page, rec } = await fresh();
    const res = await page.request.get('/');
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers()['x-content-type-options'], 'nosniff');
    for (const asset of ['/assets/app.js', '/assets/app.css', '/assets/favicon.svg']) {
      assert.equal((await page.request.get(asset)).status(), 200, asset);
    }

    await page.waitForFunction(() => /Index gen \S+ · [\d,]+ chunks/.test(
      document.getElementById('health-index').textContent));
    assert.match(await page.textContent('#health-llm'), /LLM/);
    assert.match(await page.textContent('#health-memory'), /Memory \d+%/);
    await page.waitForSelector('#domain option[value="xss"]', { state: 'attached' });
    assert.ok(await page.locator('#domain option').count() >= 2);
    await screenshot(page, '01-home');
    await clean(page, rec);
  });

  test('status indicator shows an open LLM breaker and memory warning', async () => {
    const { page, rec, context } = await fresh();
    await context.route('**/health', (route) => route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        status: 'degraded', version: 'x', uptime_s: 1,
        checks: {
          index: { status: 'pass', generation: 7, chunks: 4321 },
          llm: { status: 'warn', backend: 'ollama', breaker: 'open' },
          memory: { status: 'warn', usage_percent: 86.4 },
        },
      }),
    }));
    await page.reload();
    await page.waitForFunction(() => document.getElementById('health-llm').textContent.includes('breaker open'));
    assert.equal(await page.textContent('#health-index'), 'Index gen 7 · 4,321 chunks');
    assert.equal(await page.getAttribute('#health-memory', 'data-state'), 'warn');
    assert.match(await page.textContent('#health-memory'), /Memory 86%/);
    await clean(page, rec);
  });

  test('ask, see citations, follow a citation', async () => {
    const { page, rec } = await fresh();
    const { status, body } = await ask(page, QUESTION);
    assert.equal(status, 200);
    assert.equal(body.status, 'answered', `"${QUESTION}" should be answered: ${JSON.stringify(body).slice(0, 400)}`);
    assert.equal(await newestStatus(page), 'answered');
    assert.match(await page.textContent('#thread .turn >> nth=0 >> .badge'), /Answered/i);
    const cards = page.locator('#thread .turn >> nth=0 >> .source-card');
    assert.equal(await cards.count(), body.citations.length);
    assert.ok(body.citations.length >= 1);
    const first = body.citations[0];
    const card0 = await cards.first().textContent();
    assert.ok(card0.includes(String(first.page ?? '—')), 'card shows the page');
    assert.ok(card0.includes(first.title || first.doc), 'card shows the title');
    // Terms of the question are highlighted in some snippet, as <mark> elements.
    assert.ok(await page.locator('#thread .turn >> nth=0 >> .snippet mark').count() >= 1);
    if (typeof body.confidence === 'number') {
      assert.ok(await page.locator('#thread .turn >> nth=0 >> .meter[role="meter"]').count() === 1);
    }
    await screenshot(page, '02-answered');

    // Follow a citation: the first [n] link expands its source card and brings it into view.
    const refs = page.locator('#thread .turn >> nth=0 >> a.ref');
    if (await refs.count() === 0) {
      // An extractive answer may not inline refs; the card's own toggle is the way in then.
      await page.click('#thread .turn >> nth=0 >> .source-card >> nth=0 >> summary');
    } else {
      const href = await refs.first().getAttribute('href');
      await refs.first().click();
      await page.waitForFunction((id) => document.activeElement && document.activeElement.id === id,
        href.slice(1));
    }
    const openCard = '#thread .turn .source-card:has(details[open])';
    await page.waitForSelector(`${openCard} .snippet`, { state: 'visible' });
    await page.waitForFunction((sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight;
    }, openCard);
    assert.ok(await inViewport(page, openCard));
    const detail = await page.textContent(`${openCard} .src-doc`);
    assert.ok(detail.includes(body.citations.find((c) => detail.includes(c.doc))?.doc ?? '\u0000'),
      'expanded card shows the document path');
    await screenshot(page, '03-citation-followed');
    await clean(page, rec);
  });

  test('follow-up reuses the session; New case resets it', async () => {
    const { page, rec } = await fresh();
    const first = await ask(page, QUESTION);
    assert.equal(first.status, 200);
    assert.equal(rec.asks[0].session_id, undefined, 'first question starts a new session');
    const sid = first.body.session_id;
    assert.ok(sid, 'server returns a session_id');
    await page.waitForFunction(() => /Case: 1 question/.test(document.getElementById('case-state').textContent));

    const second = await ask(page, FOLLOWUP);
    assert.equal(second.status, 200);
    assert.equal(rec.asks[1].session_id, sid, 'follow-up sends the session_id back');
    assert.equal(await page.locator('#thread .turn').count(), 2);
    assert.equal(await page.getAttribute('#thread .turn >> nth=1 >> .turn-toggle', 'aria-expanded'), 'false',
      'earlier answer is collapsed');
    await screenshot(page, '04-follow-up');

    const deleted = page.waitForRequest((r) => r.method() === 'DELETE');
    await page.click('#new-case');
    await deleted;
    assert.deepEqual(rec.deletes, [sid]);
    assert.equal(await page.locator('#thread .turn').count(), 0);
    assert.equal(await page.textContent('#case-state'), 'New case');
    await screenshot(page, '05-new-case');

    const third = await ask(page, QUESTION);
    assert.equal(third.status, 200);
    assert.equal(rec.asks[2].session_id, undefined, 'after New case no session_id is sent');
    assert.notEqual(third.body.session_id, sid);
    await clean(page, rec);
  });

  test('abstention shows the badge and the closest sections', async () => {
    const { page, rec } = await fresh();
    const { body } = await ask(page, ABSTAIN);
    assert.equal(body.status, 'abstained');
    assert.equal(await newestStatus(page), 'abstained');
    assert.ok(await page.isVisible('#thread .turn >> nth=0 >> .badge-abstained'));
    const links = page.locator('#thread .turn >> nth=0 >> a.closest-link');
    assert.ok(await links.count() >= 1, 'closest sections are offered');
    await links.first().click();
    await page.waitForSelector('#thread .turn .source-card:has(details[open]) .snippet', { state: 'visible' });
    await screenshot(page, '06-abstained');
    await clean(page, rec);
  });

  test('refusal shows the badge and the reason', async () => {
    const { page, rec } = await fresh();
    const { body } = await ask(page, REFUSE);
    assert.equal(body.status, 'refused');
    assert.ok(await page.isVisible('#thread .turn >> nth=0 >> .badge-refused'));
    const reason = (await page.textContent('#thread .turn >> nth=0 >> .refusal-reason')).trim();
    assert.ok(reason.length > 10, 'a reason is shown');
    if (body.safety && body.safety.message) assert.equal(reason, body.safety.message.trim());
    await screenshot(page, '07-refused');
    await clean(page, rec);
  });

  test('emergency puts the guidance first', async () => {
    const { page, rec } = await fresh();
    const { body } = await ask(page, EMERGENCY);
    assert.equal(body.status, 'emergency');
    const banner = page.locator('#thread .turn >> nth=0 >> .emergency-banner');
    assert.ok(await banner.isVisible());
    assert.equal(await banner.getAttribute('role'), 'alert');
    if (body.safety && body.safety.message) {
      assert.equal((await banner.locator('.emergency-message').textContent()).trim(), body.safety.message.trim());
    }
    // The banner is the first thing in the answer and sits above everything else.
    const firstClass = await page.evaluate(() =>
      document.querySelector('#thread .turn .turn-main').firstElementChild.className);
    assert.equal(firstClass, 'emergency-banner');
    const bannerBox = await banner.boundingBox();
    const badgeBox = await page.locator('#thread .turn >> nth=0 >> .badge').boundingBox();
    assert.ok(bannerBox.y < badgeBox.y);
    await screenshot(page, '08-emergency');
    await clean(page, rec);
  });

  test('hostile manual text is shown literally and never runs', async () => {
    // CSP bypassed on purpose: the UI itself must not execute corpus text, CSP is the
    // second line of defence.
    const { page, rec } = await fresh({ bypassCSP: true });
    await page.selectOption('#domain', 'xss');
    const { body } = await ask(page, HOSTILE);
    assert.equal(rec.asks[0].domain, 'xss', 'the domain filter is sent');
    assert.ok(['answered', 'abstained'].includes(body.status), `got ${body.status}`);
    const docs = [...(body.citations || []), ...(body.closest || [])].map((c) => c.doc);
    assert.ok(docs.some((d) => /hostile\.txt$/.test(d)), `hostile.txt retrieved: ${docs}`);

    for (const summary of await page.locator('#thread .turn >> nth=0 >> .source-card summary').all()) {
      await summary.click();
    }
    await page.waitForTimeout(300); // give any injected handler (onerror/onload) a chance to fire
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected script ran');
    assert.deepEqual(rec.dialogs, []);
    const injected = await page.evaluate(() =>
      document.querySelectorAll('#thread script, #thread img, #thread svg, #thread iframe, [onerror], [onload]').length);
    assert.equal(injected, 0, 'no element was created from corpus text');
    assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
    const visibleText = await page.evaluate(() => document.getElementById('thread').innerText);
    assert.ok(visibleText.includes('<script>'), 'the literal <script> text is visible');
    await screenshot(page, '09-xss');
    assert.deepEqual(rec.errors, []);
  });

  test('keyboard: / focuses the box, Shift+Enter adds a line, Enter asks', async () => {
    const { page, rec } = await fresh();
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'question');
    assert.equal(await page.inputValue('#question'), '', '"/" is not typed into the box');
    await page.keyboard.type('How do I test');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('the alternator?');
    assert.equal(await page.inputValue('#question'), 'How do I test\nthe alternator?');
    assert.equal(rec.asks.length, 0, 'Shift+Enter does not ask');
    await page.fill('#question', '');
    const { status } = await ask(page, QUESTION, { via: 'enter' });
    assert.equal(status, 200);
    assert.equal(rec.asks.length, 1);
    assert.equal(rec.asks[0].question, QUESTION);
    // Tab reaches the answer's citation links and the Print button.
    const focusable = await page.evaluate(() => [...document.querySelectorAll('#thread a, #thread button, #thread summary')]
      .every((e) => e.tabIndex >= 0));
    assert.ok(focusable);
    await screenshot(page, '10-keyboard');
    await clean(page, rec);
  });

  test('recent questions persist in this browser and can be asked again', async () => {
    const { page, rec } = await fresh();
    await page.evaluate(() => localStorage.setItem('nic.recent.v1',
      JSON.stringify(Array.from({ length: 25 }, (_, i) => `old question ${i}`))));
    await page.reload();
    await ask(page, QUESTION);
    await page.reload();
    const items = page.locator('#recent-list button');
    assert.equal(await items.count(), 20, 'at most 20 are kept');
    assert.equal(await items.first().textContent(), QUESTION, 'newest first');
    const asked = page.waitForRequest((r) => r.method() === 'POST');
    await items.nth(1).click();
    assert.equal((await asked).postDataJSON().question, 'old question 0');
    await page.waitForSelector('#thread .turn');
    await clean(page, rec);
  });

  test('print view shows one answer with its citations', async () => {
    const { page, rec } = await fresh();
    await ask(page, ABSTAIN);
    await ask(page, QUESTION);
    await page.click('#thread .turn >> nth=0 >> .btn-print');
    assert.equal(await page.evaluate(() => window.__printed), 1, 'window.print() was called');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.topbar'), false);
    assert.equal(await page.isVisible('#ask-form'), false);
    assert.equal(await page.isVisible('#thread .turn >> nth=1'), false, 'other answers are not printed');
    assert.ok(await page.isVisible('#thread .turn >> nth=0 >> .source-card >> nth=0 >> .snippet'),
      'citations are printed with their text');
    await screenshot(page, '11-print');
    await page.emulateMedia({ media: 'screen' });
    await clean(page, rec);
  });

  test('API errors and busy responses are shown clearly', async () => {
    const { page, rec, context } = await fresh();
    let mode = 'busy';
    await context.route('**/api/ask', (route) => route.fulfill(mode === 'busy'
      ? { status: 429, headers: { 'Retry-After': '7' }, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests' }, request_id: 'r1' }) }
      : { status: 400, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'question_too_long', message: 'Shorten the <question>.' }, request_id: 'r2' }) }));
    await ask(page, QUESTION);
    assert.ok(await page.isVisible('#error'));
    assert.match(await page.textContent('#error-message'), /busy, retry in [1-7] s/);
    assert.ok(await page.isDisabled('#error-retry'), 'retry waits for Retry-After');
    await screenshot(page, '12-busy');
    mode = 'bad';
    await ask(page, QUESTION);
    assert.equal(await page.textContent('#error-message'), 'Shorten the <question>.');
    assert.match(await page.textContent('#error-detail'), /question_too_long.*HTTP 400.*r2/);
    assert.equal(await page.locator('#thread .turn').count(), 0);
    await clean(page, rec);
  });
});
