// e2e harness: starts a real `campaign serve` (built beforehand: `cargo build -p campaign-cli`)
// on a free loopback port with the built console (`--web web/dist`) and a fresh JWT secret,
// drives Debian's /usr/bin/chromium through playwright-core, and writes screenshots to
// out/console/. It builds nothing itself.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_DIST = join(REPO, 'web', 'dist');
export const SHOTS = join(REPO, 'out', 'console');

function campaignBin() {
  if (process.env.CAMPAIGN_BIN) return process.env.CAMPAIGN_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target');
  return join(target, 'debug', 'campaign');
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitHealthy(base, child, log) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`campaign serve exited (${child.exitCode}):\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`campaign serve did not answer /health within 30 s:\n${log.join('')}`);
}

/**
 * Starts the server and the browser. Returns { base, browser, page(role), shot(page, name), stop() }.
 * `extraEnv` adds variables for the server.
 */
export async function startConsole(extraEnv = {}) {
  const bin = campaignBin();
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build -p campaign-cli\` first (or set CAMPAIGN_BIN)`);
  if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('web/dist not built: run `npm --prefix web run build` first');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('hex');
  const log = [];
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--web', WEB_DIST], {
    cwd: REPO,
    env: {
      ...process.env,
      CAMPAIGN_JWT_SECRET: secret,
      CALL_MANAGER_TOKEN: 'e2e-v1-token',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  try {
    await waitHealthy(base, child, log);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }

  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  mkdirSync(SHOTS, { recursive: true });

  /** A new page (own context: own sessionStorage), signed in through the sign-in page. */
  async function page(role = 'campaign-manager', { dir } = {}) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: base });
    const p = await context.newPage();
    p.setDefaultTimeout(15_000);
    if (dir) await p.addInitScript((d) => document.addEventListener('DOMContentLoaded', () => (document.documentElement.dir = d)), dir);
    await p.goto('/');
    const label = { 'campaign-manager': 'Campaign manager', administrator: 'Administrator', analyst: 'Analyst' }[role];
    await p.getByRole('button', { name: `Sign in as ${label}` }).click();
    await p.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    return p;
  }

  async function shot(p, name, { fullPage = true } = {}) {
    await p.waitForLoadState('networkidle').catch(() => {});
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  }

  /** A dev token for API calls the test makes itself (setup, not what is under test). */
  async function token(role = 'campaign-manager') {
    const r = await fetch(`${base}/local/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ role }),
    });
    if (!r.ok) throw new Error(`sign-in ${role}: HTTP ${r.status}`);
    return (await r.json()).token;
  }

  /** Calls the API directly (test setup). */
  async function apiCall(method, path, body, role = 'campaign-manager') {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token(role)}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async function stop() {
    await browser.close().catch(() => {});
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  return { base, browser, page, shot, token, api: apiCall, stop, log };
}
