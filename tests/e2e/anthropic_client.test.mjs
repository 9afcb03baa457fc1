// End-to-end: the real `@anthropic-ai/sdk` npm client against fulcrum's
// /v1/messages, which routes and accounts the request like a chat completion
// and answers in Anthropic's format (whole, streamed, tool use, errors). The
// client's x-api-key is the gateway key. A tier whose provider speaks Messages
// (type: anthropic) is reached from either SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { children, startAndWaitFor } from './helpers.mjs';

const key = 'sk-gateway-anthropic-e2e';
let fakeUrl;
let baseURL;
let ledger;

before(async () => {
  const { match: [, fakePort] } = await startAndWaitFor(process.env.FAKE_UPSTREAM_BIN, ['0', '1'], /listening on (\d+)/);
  fakeUrl = `http://127.0.0.1:${fakePort}`;
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-anthropic-'));
  ledger = join(dir, 'ledger.db');
  const config = join(dir, 'fulcrum.yaml');
  writeFileSync(config, `
threads: 1
log: {access: false}
providers:
  fake: {base_url: ${fakeUrl}/v1}
  claude: {type: anthropic, base_url: "${fakeUrl}"}
tiers:
  sonnet: {provider: claude, model: claude-sonnet, price: {input: 3, cached_input: 0.3, output: 15}}
  flash: {provider: fake, model: deepseek-v4-flash, params: {thinking: {type: disabled}}, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
  pro: {provider: fake, model: deepseek-v4-pro, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router: {default: flash}
keys:
  team-a: {sha256: ${createHash('sha256').update(key).digest('hex')}}
ledger: {path: "${ledger}", flush_ms: 1}
`);
  const { match: [, port] } = await startAndWaitFor(process.env.FULCRUM_BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  baseURL = `http://127.0.0.1:${port}`;
});

after(() => { for (const c of children) c.kill('SIGTERM'); });

const lastUpstream = async () => {
  const all = await (await fetch(`${fakeUrl}/_fake/requests`)).json();
  return JSON.parse(all.at(-1).body);
};

test('messages.create: a Message back, the request routed as chat, the key from x-api-key', async () => {
  const client = new Anthropic({ baseURL, apiKey: key, maxRetries: 0 });
  const { data, response } = await client.messages.create({
    model: 'auto', max_tokens: 100, system: 'Be brief.',
    messages: [{ role: 'user', content: 'What is 2+2?' }], fake: { content: 'Four.' },
  }).withResponse();
  assert.equal(data.type, 'message');
  assert.equal(data.role, 'assistant');
  assert.deepEqual(data.content, [{ type: 'text', text: 'Four.' }]);
  assert.equal(data.stop_reason, 'end_turn');
  assert.equal(data.id, `msg_${response.headers.get('x-fulcrum-request-id')}`);
  assert.equal(response.headers.get('x-fulcrum-tier'), 'flash');
  assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
  const sent = await lastUpstream();
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 2+2?' }]);
  assert.equal(sent.max_tokens, 100);
  assert.deepEqual(sent.thinking, { type: 'disabled' });  // the tier's params win

  // The ledger has it, with the key's name (committed within flush_ms, or about
  // a second on a busy machine: its writer yields to requests).
  const id = response.headers.get('x-fulcrum-request-id');
  let rows = [];
  for (const deadline = Date.now() + 10000; !rows.some((r) => r.id === id) && Date.now() < deadline;) {
    rows = execFileSync(process.env.FULCRUM_BIN, ['ledger', 'export', '--db', ledger, '--since', '1d', '--format', 'jsonl'])
      .toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (!rows.some((r) => r.id === id)) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(rows.some((r) => r.id === id && r.api_key === 'team-a'));
});

test('messages.stream: text deltas and the final message with usage', async () => {
  const client = new Anthropic({ baseURL, apiKey: key, maxRetries: 0 });
  const stream = client.messages.stream({ model: 'flash', max_tokens: 50, messages: [{ role: 'user', content: 'Say hi' }],
    fake: { content: 'Hi there', chunks: 3 } });
  let text = '';
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.ok(text.startsWith('Hi there'), text);
  assert.equal(final.content[0].text, text);
  assert.equal(final.stop_reason, 'end_turn');
  assert.ok(final.usage.output_tokens > 0);
});

test('tool use and tool results, as Anthropic blocks', async () => {
  const client = new Anthropic({ baseURL, apiKey: key, maxRetries: 0 });
  const tools = [{ name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];
  const call = await client.messages.create({ model: 'flash', max_tokens: 100, tools, messages,
    fake: { tool_call: { name: 'get_weather', arguments: '{"city":"Paris"}' } } });
  assert.equal(call.stop_reason, 'tool_use');
  const use = call.content.find((b) => b.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, { city: 'Paris' });
  assert.deepEqual((await lastUpstream()).tools,
    [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: tools[0].input_schema } }]);
  messages.push({ role: 'assistant', content: call.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18C' }, { type: 'text', text: 'Thanks!' }] });
  await client.messages.create({ model: 'flash', max_tokens: 100, tools, messages });
  const history = (await lastUpstream()).messages;
  assert.equal(history[1].tool_calls[0].id, use.id);
  assert.equal(history[1].tool_calls[0].function.arguments, '{"city":"Paris"}');
  assert.deepEqual(history[2], { role: 'tool', tool_call_id: use.id, content: '18C' });
  assert.deepEqual(history[3], { role: 'user', content: 'Thanks!' });
});

test('errors come back in Anthropic\'s shape and SDK classes', async () => {
  const wrong = new Anthropic({ baseURL, apiKey: 'sk-not-a-key', maxRetries: 0 });
  await assert.rejects(wrong.messages.create({ model: 'flash', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof Anthropic.AuthenticationError && err.error?.type === 'error' &&
      err.error?.error?.type === 'authentication_error');
  const client = new Anthropic({ baseURL, apiKey: key, maxRetries: 0 });
  await assert.rejects(client.messages.create({ model: 'flash', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof Anthropic.BadRequestError && /max_tokens is required/.test(err.message));
});

test('a tier on a Messages upstream: both SDKs reach it, whole and streamed, priced from its usage', async () => {
  // The Anthropic SDK: Messages -> chat (routing, pricing) -> Messages upstream -> chat -> Messages.
  const anthropic = new Anthropic({ baseURL, apiKey: key, maxRetries: 0 });
  const { data, response } = await anthropic.messages.create({
    model: 'sonnet', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }],
  }).withResponse();
  assert.deepEqual(data.content, [{ type: 'text', text: 'Hello from fake messages' }]);
  assert.equal(response.headers.get('x-fulcrum-tier'), 'sonnet');
  // 12 input + 4 cache reads + 6 output at $3 / $0.30 / $15 per 1M.
  assert.equal(response.headers.get('x-fulcrum-cost-usd'), '0.0001272');
  const all = await (await fetch(`${fakeUrl}/_fake/requests`)).json();
  assert.equal(all.at(-1).target, '/v1/messages');
  assert.equal(JSON.parse(all.at(-1).body).max_tokens, 64);

  const stream = anthropic.messages.stream({ model: 'sonnet', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(text, 'Hello from fake messages');
  assert.equal(final.usage.output_tokens, 6);

  // The openai SDK, streamed: chat chunks with the usage chunk at the end.
  const { default: OpenAI } = await import('openai');
  const openai = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key, maxRetries: 0 });
  const chunks = await openai.chat.completions.create({
    model: 'sonnet', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }],
  });
  let chatText = '';
  let usage;
  for await (const c of chunks) {
    chatText += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage;
  }
  assert.equal(chatText, 'Hello from fake messages');
  assert.equal(usage.prompt_tokens, 16);
  assert.equal(usage.completion_tokens, 6);
});
