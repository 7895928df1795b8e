// Starts the real `machi serve --demo` on a free loopback port over a fresh
// SQLite file, waits until it answers, and stops it again. Each test file
// gets its own server, so files cannot disturb each other (log-in
// throttling, versions, language settings all live in the database).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: `machi serve --demo` reads `examples/` from its working directory. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every demo account's password (crates/machi-web/src/demo.rs, DEMO_PASSWORD). */
export const DEMO_PASSWORD = 'machi-demo-2025';

/** The machi binary: MACHI_BIN (set by scripts/test.sh), else the debug build in the shared target dir. */
export function machiBin() {
  const fromEnv = process.env.MACHI_BIN;
  if (fromEnv) return fromEnv;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'machi-target');
  return join(target, 'debug', 'machi');
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a demo server. Returns { url, port, dir, log(), stop() }.
 * Rejects (with the server's output) if it exits or does not answer
 * /healthz within `timeoutMs`.
 */
export async function startServer({ timeoutMs = 60_000 } = {}) {
  const bin = machiBin();
  if (!existsSync(bin)) {
    throw new Error(`machi binary not found at ${bin}: build it (cargo build -p machi-cli) or set MACHI_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'machi-e2e-'));
  const logPath = join(dir, 'server.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = openSync(logPath, 'a');
  const child = spawn(
    bin,
    ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--database', join(dir, 'machi.db'), '--lang', 'en'],
    { cwd: REPO_ROOT, stdio: ['ignore', out, out], env: { ...process.env, MACHI_LOG: process.env.MACHI_LOG || 'warn' } },
  );
  closeSync(out);
  let exited = null;
  const exit = new Promise((r) => child.on('exit', (code, signal) => { exited = { code, signal }; r(exited); }));
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(t);
    }
    if (!process.env.MACHI_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      const text = log();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`machi serve exited (${JSON.stringify(exited)}) before answering:\n${text}`);
    }
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok && (await r.text()) === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`machi serve did not answer ${url}/healthz within ${timeoutMs} ms:\n${log()}`);
    }
    await sleep(100);
  }
  return { url, port, dir, log, stop, pid: child.pid };
}
