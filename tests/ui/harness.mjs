// Harness for the browser tests: builds a temp corpus (examples/manuals + the hostile
// fixture), runs `nic ingest`, starts `nic serve` on an ephemeral loopback port (or the dev
// server with NIC_UI_TARGET=dev), launches Debian's chromium through playwright-core, and
// tears everything down again even when a test fails.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'ui');
export const target = process.env.NIC_UI_TARGET === 'dev' ? 'dev' : 'real';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-quic',
];

/** Children to kill when node exits, however it exits. */
const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try { process.kill(-c.pid, 'SIGKILL'); } catch { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  }
});

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion; rejects with its output when it fails. */
function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}):\n${tail(out)}`));
    });
  });
}

/** Starts a server process and resolves with its base URL once it prints
 *  `listening on http://127.0.0.1:PORT`. */
function startServer(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let done = false;
    const onData = (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m && !done) {
        done = true;
        resolve({ url: m[1], child, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => { if (!done) { done = true; reject(new Error(`cannot start ${cmd}: ${e.message}`)); } });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!done) {
        done = true;
        reject(new Error(`${cmd} ${args.join(' ')} exited (${code ?? signal}) before printing ` +
          `"listening on http://127.0.0.1:PORT":\n${tail(out)}`));
      }
    });
  });
}

export async function stopServer(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  try { process.kill(-server.child.pid, 'SIGTERM'); } catch { server.child.kill('SIGTERM'); }
  const timer = setTimeout(() => {
    try { process.kill(-server.child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }, 5000);
  await exited;
  clearTimeout(timer);
  children.delete(server.child);
}

/** Builds the index and starts the server under test. */
export async function startTarget() {
  mkdirSync(artifactsDir, { recursive: true });
  if (target === 'dev') {
    const server = await startServer(process.execPath, [path.join(here, 'dev-server.mjs')], {
      env: { ...process.env, NOVA_PORT: '0' },
    });
    return { ...server, cleanup: () => {} };
  }

  const bin = path.resolve(here, process.env.NIC_BIN || '../../target/debug/nic');
  if (!existsSync(bin)) {
    throw new Error(`nic binary not found at ${bin}: build it (cargo build -p nic) or set NIC_BIN.`);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nic-ui-'));
  const corpus = path.join(tmp, 'corpus');
  const data = path.join(tmp, 'data');
  mkdirSync(corpus, { recursive: true });
  const examples = path.join(repoRoot, 'examples', 'manuals');
  if (existsSync(examples)) cpSync(examples, corpus, { recursive: true });
  cpSync(path.join(here, 'fixtures', 'xss'), path.join(corpus, 'xss'), { recursive: true });

  const env = {
    ...process.env,
    NOVA_DATA_DIR: data,
    NOVA_BIND: '127.0.0.1',
    NOVA_PORT: '0',
    NOVA_LLM_BACKEND: process.env.NOVA_LLM_BACKEND || 'none',
    NOVA_RATE_LIMIT_PER_MINUTE: '0',
    NOVA_LOG_FORMAT: 'text',
  };
  delete env.NOVA_API_TOKEN;
  const model = path.join(repoRoot, 'models', 'all-MiniLM-L6-v2');
  if (!process.env.EMBEDDING_MODEL && existsSync(model)) env.EMBEDDING_MODEL = model;

  const ingestLog = await run(bin, ['ingest', corpus, '--data-dir', data], { cwd: repoRoot, env });
  writeFileSync(path.join(artifactsDir, 'ingest.log'), ingestLog);
  const server = await startServer(bin, ['serve', '--data-dir', data], { cwd: repoRoot, env });
  return {
    ...server,
    cleanup: () => {
      writeFileSync(path.join(artifactsDir, 'server.log'), server.output());
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context and page that records what a test must check afterwards:
 * dialogs (none may open), page errors, CSP violations and every /api/ask request body.
 */
export async function openPage(browser, baseURL, options = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 900 },
    bypassCSP: Boolean(options.bypassCSP),
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
    window.__printed = 0;
    window.print = () => { window.__printed += 1; };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(90000);
  const rec = { dialogs: [], errors: [], asks: [], deletes: [] };
  page.on('dialog', (d) => { rec.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => rec.errors.push(String(e)));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'POST' && u.pathname === '/api/ask') rec.asks.push(r.postDataJSON());
    if (r.method() === 'DELETE' && u.pathname.startsWith('/api/sessions/')) {
      rec.deletes.push(decodeURIComponent(u.pathname.slice('/api/sessions/'.length)));
    }
  });
  return { context, page, rec };
}

/** Types a question, presses the Ask button and waits until the page has rendered the
 *  reply (a new turn or the error box). Returns the parsed JSON the server sent. */
export async function ask(page, question, { via = 'click' } = {}) {
  await page.fill('#question', question);
  const response = page.waitForResponse((r) =>
    new URL(r.url()).pathname === '/api/ask' && r.request().method() === 'POST');
  if (via === 'enter') await page.press('#question', 'Enter');
  else await page.click('#ask-button');
  const res = await response;
  await page.waitForSelector('#ask-form[aria-busy="false"]');
  let body = null;
  try { body = await res.json(); } catch { /* error pages are checked by the caller */ }
  return { status: res.status(), body };
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

/** True when the element's box lies (at least partly) inside the viewport. */
export function inViewport(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.height > 0;
  }, selector);
}
