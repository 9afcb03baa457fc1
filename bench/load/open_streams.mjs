// Opens N concurrent streaming requests that stay open (the fake upstream sends one
// event per second), waits until all N have their first event, then prints "ready"
// and keeps them open until killed. Used to measure the gateway's RSS under N streams.
import http from 'node:http';

const [port, n] = [Number(process.argv[2]), Number(process.argv[3] ?? 1000)];
const body = JSON.stringify({ model: 'flash', stream: true, messages: [{ role: 'user', content: 'x' }],
  fake: { chunks: 600, chunk_delay_ms: 1000 } });
const agent = new http.Agent({ keepAlive: true, maxSockets: n + 10 });
let open = 0;
for (let i = 0; i < n; i++) {
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    let first = true;
    res.on('data', () => { if (first) { first = false; if (++open === n) console.log('ready'); } });
  });
  req.on('error', (e) => { console.error('stream error', e.message); process.exit(1); });
  req.end(body);
}
setTimeout(() => { console.error(`only ${open}/${n} streams opened`); process.exit(1); }, 60000);
