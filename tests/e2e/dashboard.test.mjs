// The dashboard in headless Chromium: after a scripted run of requests (some
// escalated by the cascade) and feedback, the page shows the numbers the
// ledger holds, with the fallback-rate alert in red; a screenshot is saved as
// a test artifact (ARTIFACTS_DIR, default: the working directory).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { children, startAndWaitFor } from './helpers.mjs';

const fulcrumBin = process.env.FULCRUM_BIN;
const fakeBin = process.env.FAKE_UPSTREAM_BIN;
const chromium = process.env.CHROMIUM_BIN || 'chromium';
const artifacts = resolve(process.env.ARTIFACTS_DIR || '.');
let base;
let ledger;


// Exact decimal of an integer amount of pico-USD, as fulcrum prints it.
function usd(pico) {
  const p = BigInt(pico);
  const whole = p / 1000000000000n;
  let frac = (p % 1000000000000n).toString().padStart(12, '0').replace(/0+$/, '');
  if (frac === '') frac = '0';
  return `${whole}.${frac}`;
}

function browser(args) {
  return execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--hide-scrollbars', '--virtual-time-budget=8000', ...args, `${base}/dashboard`],
  { stdio: ['ignore', 'pipe', 'ignore'], timeout: 90000, maxBuffer: 1 << 26 }).toString();
}

before(async () => {
  const { match: [, fakePort] } = await startAndWaitFor(fakeBin, ['0', '1'], /listening on (\d+)/);
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-dash-'));
  ledger = join(dir, 'ledger.db');
  const config = join(dir, 'fulcrum.yaml');
  writeFileSync(config, `
threads: 1
log: {access: false}
providers:
  fake: {base_url: "http://127.0.0.1:${fakePort}/v1"}
tiers:
  flash: {provider: fake, model: f, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
  pro: {provider: fake, model: p, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router:
  default: flash
  policies:
    - {type: cascade, cheap: flash, strong: pro, signal: first_token, threshold: -0.5}
ledger: {path: "${ledger}"}
`);
  const { match: [, port] } = await startAndWaitFor(fulcrumBin, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  base = `http://127.0.0.1:${port}`;
});

after(() => { for (const c of children) c.kill('SIGKILL'); });

test('the dashboard shows what the ledger holds', async () => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const ask = async (model, fake = {}) => {
    const { response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'q' }], fake }).withResponse();
    return response.headers.get('x-fulcrum-request-id');
  };
  // Two unconfident cascade answers (escalated to pro), one confident, two explicit tiers.
  await ask('auto', { logprobs: true, logprob: -2.0 });
  await ask('auto', { logprobs: true, logprob: -2.0 });
  await ask('auto', { logprobs: true, logprob: -0.1 });
  const flashId = await ask('flash');
  const proId = await ask('pro');
  const feedback = (body) => fetch(`${base}/v1/feedback`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal((await feedback({ request_id: flashId, success: false, error_cost_usd: 50 })).status, 200);
  assert.equal((await feedback({ request_id: proId, success: true })).status, 200);

  // The ledger, read independently of the dashboard.
  let rows = [];
  for (const deadline = Date.now() + 10000; rows.length < 5 && Date.now() < deadline;) {
    rows = execFileSync(fulcrumBin, ['ledger', 'export', '--db', ledger, '--since', '1d', '--format', 'jsonl'])
      .toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (rows.length < 5) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(rows.length, 5);
  const escalated = rows.filter((r) => r.escalated === 1).length;
  assert.equal(escalated, 2);
  const spend = (tier) => usd(rows.filter((r) => !tier || r.tier === tier).reduce((s, r) => s + BigInt(r.cost_pico_usd), 0n));

  // The dashboard's snapshot is refreshed every second: wait for it to catch up.
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    const d = await (await fetch(`${base}/dashboard/data.json`)).json();
    if (d.today?.requests === 5 && d.error_rates_30d?.pro) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const dom = browser(['--dump-dom']);
  const text = (id) => {
    const m = dom.match(new RegExp(`id="${id}"[^>]*>([^<]*)<`));
    return m ? m[1] : null;
  };
  assert.match(dom, /data-ready="true"/, 'the page rendered its data');
  assert.equal(text('requests-today'), '5');
  assert.equal(text('fallback-rate'), '40.0%');
  assert.match(dom, /class="card alert-red" id="fallback-card"/, 'fallback above 15% is red');
  assert.equal(text('spend-today'), `$${spend()}`);
  for (const tier of ['flash', 'pro']) {
    const row = dom.match(new RegExp(`<tr data-tier="${tier}">(.*?)</tr>`))[1];
    assert.match(row, new RegExp(`class="num spend">\\$${spend(tier).replace('.', '\\.')}<`), `${tier} spend`);
    const count = rows.filter((r) => r.tier === tier).length;
    assert.match(row, new RegExp(`class="num requests">${count}<`), `${tier} requests`);
  }
  // Saved by routing: the answers' tokens at pro's prices, less what was spent.
  const allPro = rows.reduce((sum, r) => sum + BigInt(r.answer_prompt_tokens - r.answer_cache_hit_tokens) * 435000n
    + BigInt(r.answer_cache_hit_tokens) * 3625n + BigInt(r.answer_completion_tokens) * 870000n, 0n);
  const spent = rows.reduce((sum, r) => sum + BigInt(r.cost_pico_usd), 0n);
  assert.ok(allPro > 0n, 'the ledger holds the answers\' tokens');
  const savedShare = (100 * (1 - Number(spent) / Number(allPro))).toFixed(1);
  assert.equal(text('saved-today'), `$${usd(allPro - spent)} (${savedShare}%)`);
  assert.equal(text('error-fallback-rate'), '0.0%', 'no tier failed: no error fallback');
  assert.equal(text('error-cheap'), '100.0%');
  assert.equal(text('error-strong'), '0.0%');
  assert.equal(text('breakeven'), 'upgrade to pro', 'a 100% vs 0% error gap at $50 an error pays for pro');

  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, 'dashboard.png');
  browser([`--screenshot=${shot}`, '--window-size=1280,1000']);
  assert.ok(statSync(shot).size > 10000, `screenshot saved to ${shot}`);
});
