// End-to-end operations: the real fulcrum binary with its SQLite ledger,
// driven by the `openai` npm client; feedback, /metrics, `fulcrum ledger
// export`, graceful SIGTERM (an in-flight stream finishes, the ledger is
// flushed) and a kill -9 that keeps every committed record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { children, startAndWaitFor } from './helpers.mjs';

const fulcrumBin = process.env.FULCRUM_BIN;
const fakeBin = process.env.FAKE_UPSTREAM_BIN;
let dir;
let fakeUrl;


function gatewayConfig(ledger, defaultTier = 'flash', extra = '') {
  return `
threads: 1
shutdown_grace_ms: 10000
providers:
  fake: {base_url: "${fakeUrl}/v1"}
tiers:
  flash: {provider: fake, model: deepseek-v4-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
  pro: {provider: fake, model: deepseek-v4-pro, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router: {default: ${defaultTier}}
ledger: {path: "${ledger}", flush_ms: 10}
log: {access: false}
${extra}`;
}

// A gateway with its own ledger file; resolves with {child, base, client, ledger, config}.
async function startGateway(name) {
  const ledger = join(dir, `${name}.db`);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, gatewayConfig(ledger));
  const { child, match } = await startAndWaitFor(fulcrumBin, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${match[1]}`;
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  return { child, base, client, ledger, config };
}

function exportLedger(ledger, format = 'jsonl') {
  const out = execFileSync(fulcrumBin, ['ledger', 'export', '--db', ledger, '--since', '1h', '--format', format]).toString();
  return format === 'jsonl' ? out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : out;
}

const exited = (child) => new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

before(async () => {
  assert.ok(fakeBin && fulcrumBin, 'set FULCRUM_BIN and FAKE_UPSTREAM_BIN');
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-ops-'));
  const { match } = await startAndWaitFor(fakeBin, ['0', '2'], /listening on (\d+)/);
  fakeUrl = `http://127.0.0.1:${match[1]}`;
});

after(() => { for (const c of children) c.kill('SIGKILL'); });

test('ledger, feedback and metrics agree after a scripted run; SIGTERM lets a stream finish', async () => {
  const gw = await startGateway('main');
  const ids = [];
  for (const model of ['flash', 'flash', 'pro']) {
    const { response } = await gw.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    ids.push(response.headers.get('x-fulcrum-request-id'));
  }
  const stream = await gw.client.chat.completions.create({
    model: 'auto', stream: true, messages: [{ role: 'user', content: 'count' }], fake: { chunks: 3 },
  });
  for await (const chunk of stream) void chunk;

  // Feedback: the first flash answer was wrong, the second and the pro one right.
  const feedback = async (body) => fetch(`${gw.base}/v1/feedback`, { method: 'POST', body: JSON.stringify(body) });
  let res = await feedback({ request_id: ids[0], success: false, error_cost_usd: 10 });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).tier, 'flash');
  assert.equal((await feedback({ request_id: ids[1], score: 1 })).status, 200);
  assert.equal((await feedback({ request_id: ids[2], success: true })).status, 200);
  res = await feedback({ request_id: 'req_unknown', score: 1 });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.param, 'request_id');
  res = await feedback({ request_id: ids[0], score: 7 });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.param, 'score');

  const metrics = await (await fetch(`${gw.base}/metrics`)).text();
  assert.match(metrics, /\nfulcrum_requests_total\{tier="flash",code="200"\} 3\n/);
  assert.match(metrics, /\nfulcrum_requests_total\{tier="pro",code="200"\} 1\n/);
  assert.match(metrics, /\nfulcrum_feedback_total\{tier="flash"\} 2\n/);
  assert.match(metrics, /\nfulcrum_error_rate\{tier="flash"\} 0\.5\n/);
  assert.match(metrics, /\nfulcrum_error_rate\{tier="pro"\} 0\n/);

  // A slow stream is in flight when SIGTERM arrives: it still completes.
  const slow = await gw.client.chat.completions.create({
    model: 'flash', stream: true, messages: [{ role: 'user', content: 'slow' }],
    fake: { chunks: 5, chunk_delay_ms: 150 },
  }).withResponse();
  const slowId = slow.response.headers.get('x-fulcrum-request-id');
  const done = exited(gw.child);
  let text = '';
  let signalled = false;
  for await (const chunk of slow.data) {
    if (!signalled) { gw.child.kill('SIGTERM'); signalled = true; }
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(text, 'tok0 tok1 tok2 tok3 tok4 ', 'the in-flight stream finished after SIGTERM');
  const { code } = await done;
  assert.equal(code, 0, 'a clean exit');

  // Every request is in the ledger, with its feedback, and matches /metrics.
  const rows = exportLedger(gw.ledger);
  assert.equal(rows.length, 5);
  assert.ok(rows.some((r) => r.id === slowId && r.status === 200 && r.stream === 1));
  const first = rows.find((r) => r.id === ids[0]);
  assert.equal(first.feedback_score, 0);
  assert.equal(first.cost_usd, '0.0000028');
  assert.equal(rows.filter((r) => r.tier === 'flash').length, 4);
  const csv = exportLedger(gw.ledger, 'csv');
  assert.equal(csv.trim().split('\n').length, 6, 'a header and five rows');

  // Break-even from the measured error rates in this ledger.
  const breakeven = execFileSync(fulcrumBin, ['breakeven', '--ledger', gw.ledger, '--cheap', 'flash', '--strong', 'pro',
    '--error-cost', '10']).toString();
  assert.match(breakeven, /flash error rate 50\.00% from 2 feedback records/);
  assert.match(breakeven, /upgrade to pro/);
});

test('kill -9 keeps every record the ledger committed', async () => {
  const gw = await startGateway('killed');
  for (let i = 0; i < 20; i++)
    await gw.client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: `n${i}` }] });
  // Wait for the writer (a condition, not a fixed sleep), then kill without warning.
  const deadline = Date.now() + 10000;
  while (exportLedger(gw.ledger).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const gone = exited(gw.child);
  gw.child.kill('SIGKILL');
  await gone;
  assert.equal(exportLedger(gw.ledger).length, 20);
});

test('SIGHUP reloads a valid config and keeps the running one when the file is bad', async () => {
  const gw = await startGateway('reload');
  const tierOf = async () => (await gw.client.chat.completions
    .create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }).withResponse()).response.headers.get('x-fulcrum-tier');
  assert.equal(await tierOf(), 'flash');
  writeFileSync(gw.config, gatewayConfig(gw.ledger, 'pro'));
  gw.child.kill('SIGHUP');
  let tier = 'flash';
  for (const deadline = Date.now() + 10000; tier !== 'pro' && Date.now() < deadline;) {
    tier = await tierOf();
    if (tier !== 'pro') await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(tier, 'pro', 'the new default tier answers');
  writeFileSync(gw.config, gatewayConfig(gw.ledger, 'nonexistent-tier', 'bogus_key: 1\n'));
  gw.child.kill('SIGHUP');
  for (const deadline = Date.now() + 10000; !/reload of .* refused/.test(gw.child.output()) && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 20));
  assert.match(gw.child.output(), /reload of .* refused \(2 errors\)/);
  assert.match(gw.child.output(), /bogus_key/, 'every error is logged with its path');
  assert.equal(await tierOf(), 'pro', 'the running config stays');
  gw.child.kill('SIGTERM');
});
