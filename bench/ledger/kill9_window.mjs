// Measures how much acknowledged work a `kill -9` of the gateway can lose from
// the ledger: 16 concurrent clients send requests as fast as they can; after
// a few seconds the gateway is killed with SIGKILL; every request whose
// answer arrived is then looked up in the ledger. The loss window is the age
// (at the kill) of the oldest acknowledged request that is missing.
//
// Usage: node bench/ledger/kill9_window.mjs FULCRUM_BIN FAKE_UPSTREAM_BIN [flush_ms] [runs]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

const [fulcrumBin, fakeBin, flushMs = '2', runs = '5'] = process.argv.slice(2);

function start(bin, args, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    child.stdout.on('data', (c) => { seen += c; const m = seen.match(pattern); if (m) resolve({ child, m }); });
    child.on('exit', (code) => reject(new Error(`${bin} exited ${code}: ${seen}`)));
  });
}

const fake = await start(fakeBin, ['0', '1'], /listening on (\d+)/);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const results = [];
for (let run = 0; run < Number(runs); run++) {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-kill9-'));
  const ledger = join(dir, 'ledger.db');
  writeFileSync(join(dir, 'c.yaml'), `threads: 1
log: {access: false, level: warn}
providers: {fake: {base_url: "http://127.0.0.1:${fake.m[1]}/v1"}}
tiers: {flash: {provider: fake, model: f, price: {input: 0.14, output: 0.28}}}
router: {default: flash}
ledger: {path: "${ledger}", flush_ms: ${flushMs}}
`);
  const gw = await start(fulcrumBin, ['serve', '-c', join(dir, 'c.yaml'), '--listen', '127.0.0.1:0'], /:(\d+) \(/);
  const port = Number(gw.m[1]);
  const acked = [];  // [id, ack time]
  let stop = false;
  const body = JSON.stringify({ model: 'flash', messages: [{ role: 'user', content: 'x' }] });
  const one = () => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => { acked.push([res.headers['x-fulcrum-request-id'], performance.now()]); resolve(); });
    });
    req.on('error', () => resolve());
    req.end(body);
  });
  const clients = Array.from({ length: 16 }, async () => { while (!stop) await one(); });
  await new Promise((r) => setTimeout(r, 2000 + Math.random() * 1000));
  const killedAt = performance.now();
  gw.child.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  const inLedger = new Set(execFileSync(fulcrumBin, ['ledger', 'export', '--db', ledger, '--format', 'csv'], { maxBuffer: 1 << 30 })
    .toString().trim().split('\n').slice(1).map((l) => l.split(',')[0]));
  const before = acked.filter(([, t]) => t <= killedAt);
  const missing = before.filter(([id]) => !inLedger.has(id));
  const window = missing.length ? killedAt - Math.min(...missing.map(([, t]) => t)) : 0;
  results.push({ acked: before.length, missing: missing.length, window });
  console.log(`run ${run + 1}: ${before.length} acknowledged before the kill, ${missing.length} missing from the ledger, ` +
              `oldest missing acknowledged ${window.toFixed(1)} ms before the kill`);
}
fake.child.kill();
const worst = Math.max(...results.map((r) => r.window));
console.log(`flush_ms ${flushMs}: worst loss window ${worst.toFixed(1)} ms over ${runs} runs`);
process.exit(0);
