#!/usr/bin/env node
// A tiny stand-in for `nic serve`, for working on the web UI without building the Rust
// server: it serves crates/nic-server/assets with the same CSP and headers the real server
// sends, and answers /health, /api/status, /api/ask and DELETE /api/sessions/{id} with
// canned responses shaped like DESIGN.md §3/§5. The real browser tests run against the real
// server; `NIC_UI_TARGET=dev npm test` runs the same scenarios against this one.
//
//   node dev-server.mjs            # http://127.0.0.1:5050 (NOVA_PORT overrides, 0 = any)
//
// Canned behaviour is chosen from the question text:
//   sourdough/bread/football  -> abstained (with closest sections)
//   bypass/defeat/jumper      -> refused
//   smoke/fire/gas smell      -> emergency (guidance + one citation)
//   tensioner/conveyor        -> answered from fixtures/xss/hostile.txt (hostile text!)
//   busy                      -> 429 with Retry-After: 3
//   boom                      -> 500 with an error body
//   anything else             -> answered, generative, 3 citations, one dropped claim

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const assetsDir = path.resolve(here, '../../crates/nic-server/assets');
const hostilePath = path.join(here, 'fixtures/xss/hostile.txt');

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const ASSETS = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/assets/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/assets/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/assets/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

const sessions = new Map();
const started = Date.now();

function send(res, status, body, extra = {}) {
  const isJson = typeof body !== 'string' && !Buffer.isBuffer(body);
  const payload = isJson ? JSON.stringify(body) : body;
  res.writeHead(status, {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...(isJson ? { 'Content-Type': 'application/json' } : {}),
    ...extra,
  });
  res.end(payload);
}

function apiError(res, status, code, message, extra) {
  send(res, status, { error: { code, message }, request_id: randomUUID() }, extra);
}

function health() {
  return {
    status: 'healthy',
    version: '0.1.0-dev',
    uptime_s: Math.round((Date.now() - started) / 1000),
    checks: {
      memory: {
        status: 'pass', rss_bytes: 48 * 1048576, anon_bytes: 30 * 1048576, file_bytes: 18 * 1048576,
        limit_bytes: 1024 * 1048576, usage_percent: 4.7, warn_percent: 80, fail_percent: 95,
      },
      index: { status: 'pass', generation: 3, chunks: 1234, documents: 5 },
      embedder: { status: 'pass', loaded: true },
      llm: { status: 'warn', backend: 'ollama', model: 'llama3.2:3b', breaker: 'open' },
      disk: { status: 'pass' },
    },
  };
}

function status() {
  return {
    version: '0.1.0-dev',
    generation: 3,
    documents: 5,
    chunks: 1234,
    domains: [{ name: 'hvac', chunks: 640 }, { name: 'vehicle', chunks: 590 }, { name: 'xss', chunks: 4 }],
    llm: { backend: 'ollama', model: 'llama3.2:3b', breaker: 'closed' },
    confidence_threshold: 0.35,
  };
}

const ALT = [
  {
    doc: 'vehicle/civic-service-manual.pdf', title: 'Service Manual — Charging System', domain: 'vehicle',
    page: 112, section: 'Charging System > Alternator > Output Test',
    snippet: 'Alternator output test: connect the tester, run the engine at 2000 rpm with all loads on. ' +
      'Regulated voltage must read 13.9–15.1 V; output current at least 75 A.',
    score: 0.91,
  },
  {
    doc: 'vehicle/civic-service-manual.pdf', title: 'Service Manual — Charging System', domain: 'vehicle',
    page: 113, section: 'Charging System > Alternator > Belt Inspection',
    snippet: 'Check the alternator belt for cracks and glazing. Deflection: 7–9 mm at 98 N.',
    score: 0.74,
  },
  {
    doc: 'vehicle/wiring.html', title: 'Wiring Diagrams', domain: 'vehicle', page: 4,
    section: 'Power Distribution > Fuses', snippet: 'Fuse 15 (100 A) protects the alternator output circuit.',
    score: 0.55,
  },
];

function cite(list) {
  return list.map((c, i) => ({ ref: i + 1, chunk_id: `dev-${i + 1}`, ...c }));
}

async function answerFor(question) {
  const q = question.toLowerCase();
  const base = {
    audit: { supported: 0, unsupported: 0, claims: [] },
    safety: { risk_level: 'none', triggers: [], message: null },
    model: null,
    timings_ms: { embed: 3.1, retrieve: 4.0, generate: 0.0, total: 9.7 },
  };
  if (/busy/.test(q)) return { http: 429, retryAfter: '3' };
  if (/boom/.test(q)) return { http: 500 };
  if (/sourdough|bread|football/.test(q)) {
    return {
      ...base, status: 'abstained', mode: 'none', confidence: 0.12, citations: [],
      answer: 'The manuals on this machine do not cover this. The closest sections are listed below.',
      closest: [
        { doc: 'hvac/hvac_guide.txt', title: 'HVAC Comprehensive Guide', domain: 'hvac', page: 3,
          section: 'Maintenance > Filters', snippet: 'Replace the filter every 90 days.', score: 0.21 },
        { doc: 'vehicle/civic-service-manual.pdf', title: 'Service Manual', domain: 'vehicle', page: 40,
          section: 'Engine > Oil', snippet: 'Drain the oil while warm.', score: 0.18 },
      ],
    };
  }
  if (/bypass|defeat|jumper/.test(q)) {
    const msg = 'NIC will not explain how to bypass or defeat a safety device. A tripping high-pressure ' +
      'switch points to a real fault (dirty condenser, overcharge, failed fan): diagnose that instead.';
    return {
      ...base, status: 'refused', mode: 'none', confidence: 0, citations: [], answer: msg,
      safety: { risk_level: 'high', triggers: ['bypass_safety_device'], message: msg },
    };
  }
  if (/smoke|fire|gas smell/.test(q)) {
    const msg = 'Stop work. Switch the unit off at the disconnect if it is safe to reach, keep people away, ' +
      'and call the fire service (112 / 911) now. Do not open the cabinet.';
    const c = cite([{ doc: 'hvac/rtu-manual.pdf', title: 'Rooftop Unit Manual', domain: 'hvac', page: 9,
      section: 'Safety > Fire and Smoke', snippet: 'If smoke is observed, open the unit disconnect switch and evacuate.',
      score: 0.8 }]);
    return {
      ...base, status: 'emergency', mode: 'extractive', confidence: 0.62, citations: c,
      answer: 'If smoke is observed, open the unit disconnect switch and evacuate [1].',
      safety: { risk_level: 'critical', triggers: ['smoke'], message: msg },
    };
  }
  if (/tensioner|conveyor/.test(q)) {
    const text = await readFile(hostilePath, 'utf8');
    const para = text.split(/\n\s*\n/).filter((p) => /^\d/.test(p) && /tensioner/i.test(p));
    const c = cite(para.slice(0, 3).map((p, i) => ({
      doc: 'xss/hostile.txt', title: 'Conveyor Belt Tensioner <b>bold</b> "><img src=x onerror=window.__pwned=5>',
      domain: 'xss', page: 1, section: 'Section 1 > <script>window.__pwned=6</script>', snippet: p,
      score: 0.8 - i * 0.1,
    })));
    return {
      ...base, status: 'answered', mode: 'extractive', confidence: 0.71, citations: c,
      answer: `${para[1] || para[0]} [1]\n${para[2] || ''} [2]`,
      audit: { supported: 2, unsupported: 0, claims: [] },
    };
  }
  return {
    ...base, status: 'answered', mode: 'generative', model: 'llama3.2:3b', confidence: 0.82,
    citations: cite(ALT),
    answer: 'Run the engine at 2000 rpm with all electrical loads on and measure the regulated voltage: ' +
      'it must read 13.9–15.1 V [1]. Check the belt deflection first (7–9 mm) [2]. If there is no output, ' +
      'check fuse 15 [3].',
    audit: {
      supported: 3, unsupported: 1,
      claims: [
        { text: 'Run the engine at 2000 rpm ... 13.9–15.1 V [1].', refs: [1], supported: true },
        { text: 'Check the belt deflection first (7–9 mm) [2].', refs: [2], supported: true },
        { text: 'If there is no output, check fuse 15 [3].', refs: [3], supported: true },
        { text: 'Alternators usually last 150,000 km [2].', refs: [2], supported: false },
      ],
    },
    timings_ms: { embed: 3.1, retrieve: 4.0, generate: 812.5, total: 830.2 },
  };
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? JSON.parse(raw) : {};
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const p = url.pathname;
  if (req.method === 'GET' && ASSETS[p]) {
    const [file, type] = ASSETS[p];
    return send(res, 200, await readFile(path.join(assetsDir, file)), { 'Content-Type': type });
  }
  if (req.method === 'GET' && p === '/health') return send(res, 200, health());
  if (req.method === 'GET' && p === '/api/status') return send(res, 200, status());
  if (p.startsWith('/api/sessions/')) {
    const id = decodeURIComponent(p.slice('/api/sessions/'.length));
    if (!sessions.has(id)) return apiError(res, 404, 'session_not_found', `No session ${id}.`);
    if (req.method === 'DELETE') {
      sessions.delete(id);
      return send(res, 200, { deleted: true, session_id: id });
    }
    return send(res, 200, { session_id: id, turns: sessions.get(id) });
  }
  if (req.method === 'POST' && p === '/api/ask') {
    let body;
    try {
      body = await readJson(req);
    } catch {
      return apiError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
    }
    const question = typeof body.question === 'string' ? body.question.trim() : '';
    if (!question) return apiError(res, 400, 'empty_question', 'Ask a question: the text is empty.');
    const out = await answerFor(question);
    if (out.http === 429) {
      return apiError(res, 429, 'rate_limited', 'Too many requests.', { 'Retry-After': out.retryAfter });
    }
    if (out.http === 500) return apiError(res, 500, 'internal', 'Something broke (dev server test).');
    let sid = typeof body.session_id === 'string' && sessions.has(body.session_id) ? body.session_id : null;
    if (!sid) {
      sid = randomUUID();
      sessions.set(sid, 0);
    }
    sessions.set(sid, sessions.get(sid) + 1);
    return send(res, 200, { ...out, session_id: sid, request_id: randomUUID() });
  }
  return apiError(res, 404, 'not_found', `No route ${req.method} ${p}.`);
}

export function startDevServer(port = 0) {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => apiError(res, 500, 'internal', String(e && e.message)));
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.NOVA_PORT ?? 5050);
  const server = await startDevServer(port);
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
}
