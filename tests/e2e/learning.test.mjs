// End-to-end: the router learns from the gateway's own traffic. The real
// fulcrum binary captures prompts in its ledger (ledger.capture: prompts);
// the `openai` npm client sends two kinds of prompts to both tiers and
// reports through /v1/feedback that the cheap tier fails one kind; then
// `fulcrum train --ledger` builds a model from it, `fulcrum eval --ledger`
// says what it would have done, and after a reload with that model the same
// prompts sent as `model: auto` go to different tiers.
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

const hard = (i) => `Prove that the sequence a_${i} defined by a recurrence with ${i} terms converges, and derive its limit step by step.`;
const easy = (i) => `Say a friendly hello to my colleague number ${i} and wish them a nice weekend.`;

function config(ledger, routing) {
  return `
threads: 1
providers:
  fake: {base_url: "${fakeUrl}/v1"}
tiers:
  flash: {provider: fake, model: deepseek-v4-flash, price: {input: 0.14, output: 0.28}}
  pro: {provider: fake, model: deepseek-v4-pro, price: {input: 0.435, output: 0.87}}
router:
  default: flash
${routing}
ledger: {path: "${ledger}", flush_ms: 5, capture: prompts, capture_retention_days: 7, capture_max_chars: 4096}
log: {access: false}
`;
}

before(async () => {
  assert.ok(fakeBin && fulcrumBin, 'set FULCRUM_BIN and FAKE_UPSTREAM_BIN');
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-learn-'));
  const { match } = await startAndWaitFor(fakeBin, ['0', '1'], /listening on (\d+)/);
  fakeUrl = `http://127.0.0.1:${match[1]}`;
});

after(() => { for (const c of children) c.kill('SIGKILL'); });

test('traffic and feedback, then train --ledger: the same prompts route differently', async () => {
  const ledger = join(dir, 'ledger.db');
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, config(ledger, ''));
  const { child, match } = await startAndWaitFor(fulcrumBin, ['serve', '--config', file, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${match[1]}`;
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const ask = async (model, content) => {
    const { response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content }] }).withResponse();
    return { id: response.headers.get('x-fulcrum-request-id'), tier: response.headers.get('x-fulcrum-tier') };
  };
  const judge = async (id, success) => {
    const res = await fetch(`${base}/v1/feedback`, { method: 'POST', body: JSON.stringify({ request_id: id, success }) });
    assert.equal(res.status, 200);
  };

  // Before: no learned model, `auto` takes the default tier for both kinds.
  assert.equal((await ask('auto', hard(1000))).tier, 'flash');
  assert.equal((await ask('auto', easy(1000))).tier, 'flash');

  // The operator's traffic: each kind on each tier. Flash gets the hard kind wrong.
  for (let i = 0; i < 60; i++) {
    await judge((await ask('flash', hard(i))).id, false);
    await judge((await ask('pro', hard(i))).id, true);
    await judge((await ask('flash', easy(i))).id, true);
    await judge((await ask('pro', easy(i))).id, true);
  }
  // The ledger commits within flush_ms, or (its writer yields to requests) within
  // about a second on a busy machine: train again until every judged request is in.
  const model = join(dir, 'own.model');
  let trained = '';
  for (const deadline = Date.now() + 10000; ;) {
    trained = execFileSync(fulcrumBin, ['train', '--ledger', ledger, '--out', model, '--hash-bits', '16']).toString();
    if (/240 judged requests/.test(trained) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(trained, /240 judged requests with a captured prompt \(flash 120, pro 120\)/, trained);
  assert.match(trained, /240 outcomes of the other tier predicted/, trained);

  const evaluated = execFileSync(fulcrumBin, ['eval', '--ledger', ledger, '--hash-bits', '16']).toString();
  const auc = Number(evaluated.match(/AUC\): ([0-9.]+)/)[1]);
  assert.ok(auc > 0.9, `held-out AUC ${auc}:\n${evaluated}`);

  // After: the learned model and a threshold on its score; SIGHUP reloads the config.
  writeFileSync(file, config(ledger, `  model: ${model}
  policies:
    - {type: threshold, below: flash, levels: [{at: 0.3, tier: pro}]}`));
  child.kill('SIGHUP');
  let tier = 'flash';
  for (let i = 0; i < 100 && tier !== 'pro'; i++) {
    tier = (await ask('auto', hard(1000))).tier;
    if (tier !== 'pro') await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(tier, 'pro', 'the kind flash failed now goes to pro');
  assert.equal((await ask('auto', easy(1000))).tier, 'flash', 'the kind flash handled stays on flash');
  assert.equal((await ask('auto', hard(2000))).tier, 'pro', 'and so does a new prompt of that kind');
});
