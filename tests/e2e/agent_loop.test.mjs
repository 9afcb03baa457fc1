// An agent loop through the real openai client, routed by a policy that would
// move it between tiers mid-loop: with router.sticky (tool_loops, the default)
// every step stays on the tier that made the tool calls, against a fake
// upstream that enforces DeepSeek's thinking-mode history rule; the ledger
// shows the tiers, and the cache-hit tokens the upstream reports are billed
// at the cache-hit price. With `conversation`, every turn follows the first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { children, startAndWaitFor } from './helpers.mjs';

const fulcrumBin = process.env.FULCRUM_BIN;
const shippedModel = fileURLToPath(new URL('../../models/routellm-mixtral-gpt4.model', import.meta.url));
let fakeUrl;

// A gateway whose rules send any request with 3+ messages to pro (thinking on), or
// with `policies` given, those.
async function gateway(sticky, policies = `
    - type: rules
      rules: [{name: long_history, when: {message_count: {gte: 3}}, tier: pro}]`) {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-'));
  const ledger = join(dir, 'ledger.db');
  const config = join(dir, 'fulcrum.yaml');
  writeFileSync(config, `
threads: 1
log: {access: false}
providers:
  fake: {base_url: ${fakeUrl}/v1, retries: {max: 0}}
tiers:
  flash:
    provider: fake
    model: deepseek-v4-flash
    params: {thinking: {type: disabled}}
    price: {input: 0.14, cached_input: 0.0028, output: 0.28}
  pro:
    provider: fake
    model: deepseek-v4-pro
    params: {thinking: {type: enabled}}
    price: {input: 0.435, cached_input: 0.003625, output: 0.87}
router:
  default: flash
  ${sticky ? `sticky: ${sticky}` : ''}
  model: ${shippedModel}
  policies:${policies}
ledger: {path: "${ledger}", flush_ms: 1}
`);
  const { match: [, port] } = await startAndWaitFor(fulcrumBin, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
  const rows = async (n) => {
    for (const deadline = Date.now() + 10000; ;) {
      const out = execFileSync(fulcrumBin, ['ledger', 'export', '--db', ledger, '--since', '1d', '--format', 'jsonl'])
        .toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      if (out.length >= n || Date.now() > deadline) return out;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { client, rows };
}

before(async () => {
  const { match: [, fakePort] } = await startAndWaitFor(process.env.FAKE_UPSTREAM_BIN, ['0', '1'], /listening on (\d+)/);
  fakeUrl = `http://127.0.0.1:${fakePort}`;
});

after(() => { for (const c of children) c.kill('SIGTERM'); });

const tools = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'get_events', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

test('a tool loop stays on the tier that made its tool calls, and cache hits are billed as hits', async () => {
  const { client, rows } = await gateway(null);  // the default: tool_loops
  const messages = [{ role: 'user', content: 'What is the weather in Paris, and what is on tonight?' }];
  const step = (fake, stream = false) => client.chat.completions.create({ model: 'auto', tools, messages, fake, stream })
    .withResponse();

  // Step 1: one message, the rules do not fire: flash, which calls a tool.
  const one = await step({ tool_call: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
  assert.equal(one.response.headers.get('x-fulcrum-tier'), 'flash');
  messages.push(one.data.choices[0].message, { role: 'tool', tool_call_id: one.data.choices[0].message.tool_calls[0].id, content: '18C' });

  // Step 2: 3 messages would go to pro; the loop stays on flash, which calls another tool.
  // The upstream reports 40 of the prompt's tokens as cache hits.
  const two = await step({ tool_call: { name: 'get_events', arguments: '{"city":"Paris"}' },
    usage: { prompt_tokens: 120, prompt_cache_hit_tokens: 40, completion_tokens: 9 } });
  assert.equal(two.response.headers.get('x-fulcrum-tier'), 'flash');
  assert.match(two.response.headers.get('x-fulcrum-reason'), /^sticky: the tool loop stays on flash, which made its tool calls/);
  messages.push(two.data.choices[0].message, { role: 'tool', tool_call_id: two.data.choices[0].message.tool_calls[0].id, content: 'a concert' });

  // Step 3, streamed: still flash, and the answer ends the loop.
  const three = await step({ content: 'Sunny, 18C; there is a concert.' }, true);
  assert.equal(three.response.headers.get('x-fulcrum-tier'), 'flash');
  assert.match(three.response.headers.get('x-fulcrum-reason'), /^sticky: /);
  let text = '';
  for await (const chunk of three.data) text += chunk.choices[0]?.delta?.content ?? '';
  assert.match(text, /^Sunny, 18C; there is a concert\./);

  // The same 5 messages as a new conversation (no tool results at the end) are routed: pro.
  const fresh = await client.chat.completions.create({ model: 'auto', messages: [
    { role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi' }, { role: 'user', content: 'plan my day' }],
  }).withResponse();
  assert.equal(fresh.response.headers.get('x-fulcrum-tier'), 'pro');

  const ledger = await rows(4);
  assert.deepEqual(ledger.map((r) => r.tier), ['flash', 'flash', 'flash', 'pro']);
  const hit = ledger[1];
  assert.equal(hit.cache_hit_tokens, 40);
  assert.equal(hit.cache_miss_tokens, 80);
  // 80 misses at $0.14/M, 40 hits at $0.0028/M, 9 out at $0.28/M, in pico-USD.
  assert.equal(BigInt(hit.cost_pico_usd), 80n * 140000n + 40n * 2800n + 9n * 280000n);
});

test('with sticky: conversation every turn follows the first turn, and sticky: off lets the rules move it', async () => {
  const sticky = await gateway('conversation');
  const off = await gateway('off');
  for (const [{ client }, expected] of [[sticky, 'flash'], [off, 'pro']]) {
    const messages = [{ role: 'user', content: 'Tell me about Lyon.' }];
    const first = await client.chat.completions.create({ model: 'auto', messages }).withResponse();
    assert.equal(first.response.headers.get('x-fulcrum-tier'), 'flash');
    messages.push(first.data.choices[0].message, { role: 'user', content: 'And its food?' });
    const second = await client.chat.completions.create({ model: 'auto', messages }).withResponse();
    assert.equal(second.response.headers.get('x-fulcrum-tier'), expected);
    if (expected === 'flash')
      assert.match(second.response.headers.get('x-fulcrum-reason'), /^sticky: the conversation stays on flash, as its previous turn/);
  }
});

test('a chat turn is routed knowing which tier holds the conversation\'s cached prefix', async () => {
  const { client } = await gateway('tool_loops', `
    - {type: expected_cost, weak: flash, strong: pro, error_cost_usd: 0.001}`);
  const messages = [{ role: 'user', content: 'Summarise the plot of Hamlet in three sentences.' }];
  const first = await client.chat.completions.create({ model: 'auto', messages }).withResponse();
  const firstTier = first.response.headers.get('x-fulcrum-tier');
  assert.doesNotMatch(first.response.headers.get('x-fulcrum-reason'), /cache lost/, 'a first turn has no cache to lose');
  messages.push(first.data.choices[0].message, { role: 'user', content: 'Now in one sentence.' });
  const second = await client.chat.completions.create({ model: 'auto', messages }).withResponse();
  const other = firstTier === 'flash' ? 'pro' : 'flash';
  // The other tier's expected cost includes the prefix it would bill at its miss price.
  assert.match(second.response.headers.get('x-fulcrum-reason'), new RegExp(`${other} \\$[0-9.]+ = [^;]* cache lost;`));
});
