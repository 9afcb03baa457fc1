// End-to-end: the real fulcrum binary in front of two tenants, driven by the
// `openai` npm client as a careless or hostile tenant would drive it: a body
// over the limit, a megabyte model name, another tenant's cached answer and
// request id, observability without a key, and 40 requests at once on a small
// daily budget. What was spent is read back from the ledger.
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
let gw;

const hashKey = (key) => execFileSync(fulcrumBin, ['hash-key'], { input: key }).toString().trim();
const clientFor = (key) => new OpenAI({ baseURL: `${gw.base}/v1`, apiKey: key, maxRetries: 0 });
const BUDGET_USD = 0.005;

before(async () => {
  assert.ok(fakeBin && fulcrumBin, 'set FULCRUM_BIN and FAKE_UPSTREAM_BIN');
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-tenants-'));
  const fake = await startAndWaitFor(fakeBin, ['0', '2'], /listening on (\d+)/);
  const ledger = join(dir, 'ledger.db');
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `
threads: 2
max_body_bytes: 4194304
providers:
  fake: {base_url: "http://127.0.0.1:${fake.match[1]}/v1"}
tiers:
  flash: {provider: fake, model: deepseek-v4-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
  pro: {provider: fake, model: deepseek-v4-pro, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router: {default: flash}
ledger: {path: "${ledger}", flush_ms: 5}
log: {access: false}
keys:
  team-a: {sha256: ${hashKey('sk-tenant-a')}}
  team-b: {sha256: ${hashKey('sk-tenant-b')}}
  team-p: {sha256: ${hashKey('sk-tenant-p')}, daily_budget_usd: ${BUDGET_USD}}
`);
  const { child, match } = await startAndWaitFor(fulcrumBin, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  gw = { child, base: `http://127.0.0.1:${match[1]}`, ledger };
});

after(() => { for (const c of children) c.kill('SIGKILL'); });

const ledgerRows = () => execFileSync(fulcrumBin, ['ledger', 'export', '--db', gw.ledger, '--since', '1h', '--format', 'jsonl'])
  .toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('a 6 MB body from the SDK gets a 413 it can read', async () => {
  const big = 'x'.repeat(6 * 1024 * 1024);
  await assert.rejects(
    clientFor('sk-tenant-a').chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: big }] }),
    (e) => e.status === 413 && e.code === 'request_too_large');
  // Node's fetch, as the SDK uses it, sends the whole body before it reads.
  const res = await fetch(`${gw.base}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: 'Bearer sk-tenant-a', 'content-type': 'application/json' }, body: big,
  });
  assert.equal(res.status, 413);
  assert.match((await res.json()).error.message, /larger than the limit/);
});

test('a 1,000,000-character model is clipped in the error and in the ledger', async () => {
  const model = 'm'.repeat(1000000);
  let message = '';
  await assert.rejects(
    clientFor('sk-tenant-a').chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => { message = e.message; return e.status === 400; });
  assert.ok(message.length < 2000, `message of ${message.length} characters`);
  assert.match(message, /\(1000000 bytes\)/);
  let rows = [];
  for (let i = 0; i < 100 && !rows.some((r) => r.status === 400); i++) {
    rows = ledgerRows();
    await new Promise((r) => setTimeout(r, 20));
  }
  const row = rows.find((r) => r.status === 400);
  assert.ok(row, 'the refused request is in the ledger');
  assert.ok(row.model.length < 300, `ledger model of ${row.model.length} characters`);
});

test("one tenant never gets another's cached answer or request", async () => {
  const ask = (key) => clientFor(key).chat.completions
    .create({ model: 'flash', temperature: 0, messages: [{ role: 'user', content: 'what is our secret?' }] }).withResponse();
  const b = await ask('sk-tenant-b');
  assert.equal(b.response.headers.get('x-fulcrum-cache'), 'miss');
  const a = await ask('sk-tenant-a');
  assert.equal(a.response.headers.get('x-fulcrum-cache'), 'miss', "B's answer stays B's");
  assert.equal((await ask('sk-tenant-a')).response.headers.get('x-fulcrum-cache'), 'hit');

  const feedback = (key, id) => fetch(`${gw.base}/v1/feedback`, {
    method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ request_id: id, success: false }),
  });
  const bId = b.response.headers.get('x-fulcrum-request-id');
  assert.equal((await feedback('sk-tenant-a', bId)).status, 404, "A cannot judge B's request");
  assert.equal((await feedback('sk-tenant-b', bId)).status, 200);
});

test('metrics and the dashboard need a key', async () => {
  for (const path of ['/metrics', '/dashboard', '/dashboard/data.json']) {
    assert.equal((await fetch(`${gw.base}${path}`)).status, 401, path);
    assert.equal((await fetch(`${gw.base}${path}`, { headers: { authorization: 'Bearer sk-tenant-a' } })).status, 200, path);
  }
  assert.equal((await fetch(`${gw.base}/healthz`)).status, 200);
});

test('40 requests at once never spend past the daily budget', async () => {
  const client = clientFor('sk-tenant-p');
  // Each answer: 20 + 4,000 tokens at flash prices = $0.0011228; 40 would cost $0.045.
  const calls = Array.from({ length: 40 }, () => client.chat.completions.create({
    model: 'flash', max_tokens: 4000, messages: [{ role: 'user', content: 'hi' }],
    fake: { delay_ms: 100, usage: { prompt_tokens: 20, completion_tokens: 4000 } },
  }).then(() => 200, (e) => e.status));
  const statuses = await Promise.all(calls);
  const ok = statuses.filter((s) => s === 200).length;
  assert.ok(ok >= 1, 'some fit');
  assert.equal(statuses.filter((s) => s === 429).length, 40 - ok);
  let spent = 0;
  for (let i = 0; i < 100; i++) {
    const rows = ledgerRows().filter((r) => r.api_key === 'team-p');
    spent = rows.reduce((sum, r) => sum + Number(r.cost_usd), 0);
    if (rows.length === 40) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(spent <= BUDGET_USD + 1e-12, `spent $${spent} of $${BUDGET_USD} (${ok} answered)`);
  assert.ok(spent > 0);
});
