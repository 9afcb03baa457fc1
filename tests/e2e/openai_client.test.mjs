// End-to-end: the real `openai` npm client, unchanged, pointed at the real fulcrum
// binary, which forwards to the fake upstream binary. Run by ctest (FULCRUM_BIN and
// FAKE_UPSTREAM_BIN name the binaries) or by hand with those variables set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { children, startAndWaitFor } from './helpers.mjs';

let fakeUrl;
let client;

// Starts a program and resolves with the first stdout line matching `pattern`.

before(async () => {
  const fakeBin = process.env.FAKE_UPSTREAM_BIN;
  const fulcrumBin = process.env.FULCRUM_BIN;
  assert.ok(fakeBin && fulcrumBin, 'set FULCRUM_BIN and FAKE_UPSTREAM_BIN');
  const { match: [, fakePort] } = await startAndWaitFor(fakeBin, ['0', '1'], /listening on (\d+)/);
  fakeUrl = `http://127.0.0.1:${fakePort}`;
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-'));
  const config = join(dir, 'fulcrum.yaml');
  writeFileSync(config, `
threads: 1
providers:
  fake:
    base_url: ${fakeUrl}/v1
    api_key_env: E2E_UPSTREAM_KEY
    retries: {max: 1, backoff_ms: 1}
tiers:
  flash:
    provider: fake
    model: deepseek-v4-flash
    price: {input: 0.14, cached_input: 0.0028, output: 0.28}
    fallback: [pro]
  pro:
    provider: fake
    model: deepseek-v4-pro
    params: {thinking: {type: enabled}, reasoning_effort: high}
    price: {input: 0.435, cached_input: 0.003625, output: 0.87}
router:
  default: flash
ledger: {path: "${join(dir, 'ledger.db')}"}
`);
  const { match: [, port] } = await startAndWaitFor(fulcrumBin, ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/, { E2E_UPSTREAM_KEY: 'sk-e2e' });
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused-by-fulcrum', maxRetries: 0 });
});

after(() => { for (const c of children) c.kill('SIGTERM'); });

async function upstreamRequests() {
  const res = await fetch(`${fakeUrl}/_fake/requests`);
  return (await res.json()).map((r) => ({ ...r, body: JSON.parse(r.body) }));
}

test('non-streaming request through the router', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'Hello from fake');
  assert.equal(data.usage.prompt_tokens, 10);
  assert.equal(response.headers.get('x-fulcrum-tier'), 'flash');
  assert.equal(response.headers.get('x-fulcrum-reason'), 'default tier flash');
  // 10 prompt x $0.14 + 5 completion x $0.28, per 1M tokens
  assert.equal(response.headers.get('x-fulcrum-cost-usd'), '0.0000028');
  assert.match(response.headers.get('x-fulcrum-request-id'), /^req_[0-9a-f]{32}$/);
});

test('streaming with include_usage: every chunk, then usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'pro', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'count' }],
    fake: { chunks: 5, reasoning: 'let me think', usage: { prompt_tokens: 40, prompt_cache_hit_tokens: 32, completion_tokens: 5 } },
  });
  let text = '';
  let reasoning = '';
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.choices[0]?.delta ?? {};
    text += delta.content ?? '';
    reasoning += delta.reasoning_content ?? '';
  }
  assert.equal(text, 'tok0 tok1 tok2 tok3 tok4 ');
  assert.equal(reasoning, 'let me think', 'reasoning_content passes through');
  assert.ok(chunks >= 8);
  assert.equal(usage.prompt_cache_hit_tokens, 32);
  const sent = (await upstreamRequests()).at(-1).body;
  assert.equal(sent.model, 'deepseek-v4-pro');
  assert.deepEqual(sent.thinking, { type: 'enabled' });
  assert.equal(sent.reasoning_effort, 'high');
});

test('streaming without include_usage: no usage chunk reaches the client', async () => {
  const stream = await client.chat.completions.create({
    model: 'flash', stream: true, messages: [{ role: 'user', content: 'x' }], fake: { chunks: 2 },
  });
  let text = '';
  for await (const chunk of stream) {
    assert.equal(chunk.usage ?? null, null);
    assert.ok(chunk.choices.length > 0, 'every chunk the client sees has choices');
    text += chunk.choices[0].delta.content ?? '';
  }
  assert.equal(text, 'tok0 tok1 ');
  const sent = (await upstreamRequests()).at(-1).body;
  assert.equal(sent.stream_options.include_usage, true, 'fulcrum still asked upstream for usage');
});

test('logprobs come back', async () => {
  const res = await client.chat.completions.create({
    model: 'flash', logprobs: true, top_logprobs: 2, messages: [{ role: 'user', content: 'x' }],
    fake: { logprobs: true, logprob: -0.75 },
  });
  assert.equal(res.choices[0].logprobs.content[0].logprob, -0.75);
  const sent = (await upstreamRequests()).at(-1).body;
  assert.equal(sent.logprobs, true);
  assert.equal(sent.top_logprobs, 2);
});

test('tools and reasoning_content on assistant turns pass through', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const messages = [
    { role: 'user', content: 'weather in Paris?' },
    { role: 'assistant', content: null, reasoning_content: 'I should call the tool',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '18C' },
  ];
  const res = await client.chat.completions.create({
    model: 'flash', tools, tool_choice: 'auto', messages,
    fake: { tool_call: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
  });
  assert.equal(res.choices[0].message.tool_calls[0].function.name, 'get_weather');
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  const sent = (await upstreamRequests()).at(-1).body;
  assert.deepEqual(sent.tools, tools);
  assert.equal(sent.tool_choice, 'auto');
  assert.deepEqual(sent.messages, messages, 'messages, reasoning_content included, reach the upstream unchanged');
});

test("an agent loop moved from flash to a thinking tier keeps DeepSeek's history rule", async () => {
  // Step 1 on flash (thinking off): the answer is a tool call with no reasoning_content.
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const messages = [{ role: 'user', content: 'weather in Paris, then plan my day?' }];
  const step1 = await client.chat.completions.create({
    model: 'flash', tools, messages, fake: { tool_call: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  });
  const call = step1.choices[0].message;
  assert.equal(call.tool_calls[0].function.name, 'get_weather');
  assert.equal(call.reasoning_content, undefined);
  messages.push(call, { role: 'tool', tool_call_id: call.tool_calls[0].id, content: '18C, sunny' });
  // Step 2 on pro, in thinking mode: DeepSeek (and the fake) refuse a tool-call turn without
  // reasoning_content; fulcrum gives it an empty one and says so.
  const { data, response } = await client.chat.completions.create({ model: 'pro', tools, messages }).withResponse();
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.match(response.headers.get('x-fulcrum-reason'),
    /history: empty reasoning_content given to 1 tool-call turn\(s\), as pro's thinking mode requires/);
  const sent = (await upstreamRequests()).at(-1).body;
  assert.equal(sent.messages[1].reasoning_content, '');
  assert.deepEqual(sent.messages[1].tool_calls, call.tool_calls);
  // The same history to flash (thinking off) goes unchanged.
  await client.chat.completions.create({ model: 'flash', tools, messages });
  assert.equal((await upstreamRequests()).at(-1).body.messages[1].reasoning_content, undefined);
});

test('errors map to the SDK error classes', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.BadRequestError && err.status === 400 && /Valid models: auto, flash, pro/.test(err.message));
  await assert.rejects(
    client.chat.completions.create({ model: 'flash', messages: [] }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'messages');
  await assert.rejects(
    client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'x' }], fake: { status: 503 } }),
    (err) => err instanceof OpenAI.InternalServerError && err.status === 503);
  await assert.rejects(
    client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'x' }], fake: { status: 401 } }),
    (err) => err instanceof OpenAI.AuthenticationError);
});

test('models list has the tiers, auto and the upstream model ids', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['auto', 'flash', 'pro', 'deepseek-v4-flash', 'deepseek-v4-pro']);
});

test('a client written for DeepSeek names the upstream model id: that tier answers', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'deepseek-v4-pro', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  assert.equal(response.headers.get('x-fulcrum-tier'), 'pro');
  assert.equal(response.headers.get('x-fulcrum-reason'), 'upstream model deepseek-v4-pro is tier pro');
  assert.equal(data.model, 'deepseek-v4-pro');
});

test('the Responses API: client.responses.create, whole and streamed, routed like chat', async () => {
  const { data, response } = await client.responses.create({
    model: 'auto', instructions: 'Answer briefly.', input: 'What is 2+2?', max_output_tokens: 50,
    fake: { content: 'Four.' },
  }).withResponse();
  assert.equal(data.object, 'response');
  assert.equal(data.status, 'completed');
  assert.equal(data.output_text, 'Four.');
  assert.equal(data.id, `resp_${response.headers.get('x-fulcrum-request-id')}`);
  assert.equal(response.headers.get('x-fulcrum-tier'), 'flash');
  assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
  // What the upstream got: a chat completions request.
  const sent = (await upstreamRequests()).at(-1).body;
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'What is 2+2?' }]);
  assert.equal(sent.max_tokens, 50);

  // Streamed: the SDK's events, text deltas adding up to the answer, then response.completed with usage.
  const stream = await client.responses.create({ model: 'flash', input: 'Say hi', stream: true,
    fake: { content: 'Hi there', chunks: 3 } });
  const types = [];
  let text = '';
  let completed;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed') completed = event.response;
  }
  assert.equal(types[0], 'response.created');
  assert.ok(types.includes('response.output_item.added') && types.includes('response.output_text.done'));
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(text.startsWith('Hi there'), text);
  assert.equal(completed.output[0].content[0].text, text);
  assert.ok(completed.usage.total_tokens > 0);

  // A function call and its output, as the Responses API names them.
  const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
  const call = await client.responses.create({ model: 'flash', input: 'weather in Paris?', tools,
    fake: { tool_call: { name: 'get_weather', arguments: '{"city":"Paris"}' } } });
  const fc = call.output.find((o) => o.type === 'function_call');
  assert.equal(fc.name, 'get_weather');
  assert.equal(fc.arguments, '{"city":"Paris"}');
  assert.deepEqual((await upstreamRequests()).at(-1).body.tools,
    [{ type: 'function', function: { name: 'get_weather', parameters: tools[0].parameters } }]);
  await client.responses.create({ model: 'flash', tools, input: [
    { role: 'user', content: 'weather in Paris?' },
    { type: 'function_call', call_id: fc.call_id, name: fc.name, arguments: fc.arguments },
    { type: 'function_call_output', call_id: fc.call_id, output: '18C' },
  ] });
  const history = (await upstreamRequests()).at(-1).body.messages;
  assert.equal(history[1].tool_calls[0].id, fc.call_id);
  assert.deepEqual(history[2], { role: 'tool', tool_call_id: fc.call_id, content: '18C' });

  // Stateful requests are refused with a clear 400.
  await assert.rejects(client.responses.create({ model: 'flash', input: 'x', previous_response_id: 'resp_1' }),
    (err) => err instanceof OpenAI.BadRequestError && /previous_response_id is not supported/.test(err.message));
});
