// Shared by the end-to-end tests: start a program and wait for its banner.
import { spawn } from 'node:child_process';

// Every child started, so a test file's `after` can kill them all.
export const children = [];

// Starts `bin` and resolves with {child, match} once its stdout matches
// `pattern`; rejects when it exits first or stays silent for 15 s.
// `child.output()` returns all it printed so far.
export function startAndWaitFor(bin, args, pattern, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let seen = '';
    child.output = () => seen;
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${seen}`)), 15000);
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) { clearTimeout(timer); resolve({ child, match }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited with ${code}: ${seen}`)); });
  });
}
