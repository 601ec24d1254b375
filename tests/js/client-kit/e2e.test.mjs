// End to end in headless Chromium: a real Raven.Server (the built Release dll, temp DATA_DIR, free port), the
// examples/react-chat app built and served by `vite preview` (which proxies /api and /socket.io to the server),
// two browser contexts signed in as two users (one by cookie, one by token), chat both ways live, one goes offline
// and back and sees what it missed. Screenshots go to artifacts/client-kit/. Fails (never skips) without Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './contract-shape.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const exampleDir = join(repoRoot, 'examples', 'react-chat');
const artifacts = join(process.env.RAVEN_ARTIFACTS ?? join(repoRoot, 'artifacts'), 'client-kit');
const configuration = (process.env.CONFIGURATION ?? 'Release').toLowerCase();
const serverDll = join(process.env.RAVEN_ARTIFACTS ?? join(repoRoot, 'artifacts'), 'bin', 'Raven.Server', configuration, 'Raven.Server.dll');

const processes = [];
const temp = mkdtempSync(join(tmpdir(), 'raven-e2e-'));
let serverUrl;
let appUrl;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function start(name, command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const entry = { name, child, output };
  processes.push(entry);
  return entry;
}

async function waitFor(url, entry, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (entry.child.exitCode !== null) {
      throw new Error(`${entry.name} exited (${entry.child.exitCode}):\n${entry.output.join('')}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${entry.name} did not answer ${url} within ${timeoutMs} ms:\n${entry.output.join('')}`);
}

async function rest(method, path, body, token) {
  const response = await fetch(serverUrl + '/api/v1' + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json.data;
}

before(async () => {
  // Preconditions fail the test, loudly: no silent skip.
  assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} (Debian package 'chromium')`);
  assert.ok(existsSync(serverDll), `Raven.Server is not built at ${serverDll} (dotnet build src/Raven.Server -c Release)`);
  assert.ok(existsSync(join(exampleDir, 'node_modules', 'vite')), 'examples/react-chat is not installed: (cd examples/react-chat && npm ci)');
  assert.ok(existsSync(join(repoRoot, 'clients', 'typescript', 'dist', 'index.js')), '@raven/types is not built: (cd clients/typescript && npm ci && npm run build)');
  mkdirSync(artifacts, { recursive: true });

  const serverPort = await freePort();
  serverUrl = `http://127.0.0.1:${serverPort}`;
  const server = start('Raven.Server', 'dotnet', [serverDll], {
    cwd: temp,
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Production',
      ASPNETCORE_URLS: serverUrl,
      DATA_DIR: join(temp, 'data'),
      JWT_SECRET: randomBytes(48).toString('base64'),
      PASSWORD_HASH_ITERATIONS: '10000',
    },
  });

  const outDir = join(temp, 'app');
  const build = spawnSync(process.execPath, [join(exampleDir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', outDir, '--emptyOutDir'], {
    cwd: exampleDir,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `vite build failed:\n${build.stdout}\n${build.stderr}`);

  const appPort = await freePort();
  appUrl = `http://127.0.0.1:${appPort}`;
  const preview = start('vite preview', process.execPath, [join(exampleDir, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(appPort), '--strictPort'], {
    cwd: exampleDir,
    env: { ...process.env, RAVEN_SERVER_URL: serverUrl },
  });

  await waitFor(serverUrl + '/healthz', server, 60_000);
  await waitFor(appUrl + '/', preview, 30_000);

  const { chromium } = createRequire(join(exampleDir, 'package.json'))('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  for (const { child } of processes.reverse()) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  await Promise.all(processes.map(({ child }) => (child.exitCode !== null ? null : new Promise((r) => child.once('exit', r)))));
  rmSync(temp, { recursive: true, force: true });
});

async function signIn(context, user, mode, log) {
  const page = await context.newPage();
  page.on('console', (m) => log.push(`[${user.username}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[${user.username}] pageerror: ${e.message}`));
  await page.goto(appUrl);
  await page.getByTestId('email').fill(user.email);
  await page.getByTestId('password').fill(user.password);
  if (mode === 'token') await page.getByTestId('mode-token').check();
  await page.getByTestId('signin').click();
  await page.getByTestId('me').filter({ hasText: user.username }).waitFor();
  return page;
}

const message = (page, text) => page.getByTestId('message').filter({ hasText: text });

test('two users chat live in Chromium; the one that went offline sees what it missed', { timeout: 240_000 }, async () => {
  const suffix = randomBytes(3).toString('hex');
  const alice = { username: `alice_${suffix}`, email: `alice_${suffix}@example.com`, password: 'secret123' };
  const bob = { username: `bob_${suffix}`, email: `bob_${suffix}@example.com`, password: 'secret123' };
  await rest('POST', '/auth/signup', alice);
  const bobUser = await rest('POST', '/auth/signup', bob);
  const { accessToken } = await rest('POST', '/auth/token', { email: alice.email, password: alice.password });
  const room = `E2E room ${suffix}`;
  await rest('POST', '/conversations', { name: room, type: 'group', userIds: [bobUser.id] }, accessToken);

  const log = [];
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  try {
    const a = await signIn(aliceContext, alice, 'cookie', log);
    const b = await signIn(bobContext, bob, 'token', log);
    for (const page of [a, b]) {
      await page.getByTestId('conversation').filter({ hasText: room }).click();
      await page.getByTestId('status').filter({ hasText: /^Connected$/ }).waitFor();
    }

    // Live, both ways.
    await a.getByTestId('composer').fill('Hello Bob, from Alice');
    await a.getByTestId('composer').press('Enter');
    await message(b, 'Hello Bob, from Alice').waitFor();
    await message(a, 'Hello Bob, from Alice').waitFor();
    await b.getByTestId('composer').fill('Hi Alice!');
    await b.getByTestId('send').click();
    await message(a, 'Hi Alice!').waitFor();
    await shot(a, '1-alice-live');
    await shot(b, '1-bob-live');

    // Validation before emitting: nothing is sent, the user is told why.
    await b.getByTestId('composer').fill('   ');
    await b.getByTestId('send').click();
    await b.getByTestId('errors').filter({ hasText: 'nothing to send' }).waitFor();

    // Bob goes offline; Alice writes; Bob does not get it live.
    await bobContext.setOffline(true);
    await b.getByTestId('status').filter({ hasText: 'Disconnected' }).waitFor({ timeout: 90_000 });
    await a.getByTestId('composer').fill('Sent while Bob was offline');
    await a.getByTestId('composer').press('Enter');
    await message(a, 'Sent while Bob was offline').waitFor();
    await shot(b, '2-bob-offline');
    assert.equal(await message(b, 'Sent while Bob was offline').count(), 0);

    // Back online: reconnect, re-join, catch up with the `after` cursor.
    await bobContext.setOffline(false);
    await b.getByTestId('status').filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    await message(b, 'Sent while Bob was offline').waitFor({ timeout: 30_000 });
    // And live delivery works again (the room was re-joined after the reconnect).
    await b.getByTestId('composer').fill('Back online');
    await b.getByTestId('composer').press('Enter');
    await message(a, 'Back online').waitFor();
    await shot(b, '3-bob-caught-up');
    await shot(a, '3-alice-final');

    const texts = await b.getByTestId('message').allTextContents();
    assert.deepEqual(
      texts.map((t) => t.replace(/^[^:]+:\s*/, '')),
      ['Hello Bob, from Alice', 'Hi Alice!', 'Sent while Bob was offline', 'Back online'],
    );
  } catch (error) {
    error.message += `\n--- browser log ---\n${log.join('\n')}`;
    throw error;
  } finally {
    await aliceContext.close();
    await bobContext.close();
  }
});
