/**
 * `gatehouse-login` as a user runs it: `npx --no-install gatehouse-login …`
 * from the repository root (the workspace package's bin), a subprocess with
 * messages on stderr and tokens on stdout. The browser step of the loopback
 * mode is Chromium's; the device mode's person allows over HTTP. Every failure
 * is one line and a documented exit code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { Person, PASSWORD, timeLapseClock } from '../flows/support.js';
import { clickWhenArmed } from '../helpers/consent.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKAGE = path.join(ROOT, 'packages/client');

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `pattern` on stderr. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

/**
 * Runs the program in its own process group, as a terminal does (Ctrl-C signals the group).
 * `via: 'npx'` goes through `npx --no-install gatehouse-login` as a user would; `'node'` runs
 * the same bin directly, a few seconds faster on a busy machine, for the error cases.
 */
function run(args: string[], via: 'npx' | 'node' = 'node', env: NodeJS.ProcessEnv = process.env): Running {
  const [command, prefix] = via === 'npx' ? ['npx', ['--no-install', 'gatehouse-login']] : [process.execPath, [path.join(PACKAGE, 'dist/cli/gatehouse-login.js')]];
  const child = spawn(command, [...prefix, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; waiters.forEach((w) => w()); });
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (pattern) => new Promise((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(stderr);
        if (m) resolve(m);
      };
      waiters.push(check);
      check();
      void exit.then(() => { check(); reject(new Error(`gatehouse-login exited before printing ${pattern}:\n${stderr}`)); });
    }),
    exit,
  };
}

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

let gh: TestGatehouse;
let browser: TestBrowser;
let desktop: string;

beforeAll(async () => {
  // The bin runs the built package: rebuild it when its sources are newer.
  const built = statSync(path.join(PACKAGE, 'dist/cli/gatehouse-login.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built < newestMtime(path.join(PACKAGE, 'src'))) {
    const result = spawnSync(process.execPath, ['build.mjs'], { cwd: PACKAGE, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`building @gatehouse/client failed:\n${result.stdout}${result.stderr}`);
  }
  [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice' });
  ({ clientId: desktop } = await gh.createApp({ name: 'Ops console', platforms: ['desktop'], redirectUris: [], scopes: ['login:info'] }));
});
afterAll(async () => {
  await browser?.close();
  await gh?.close();
});

async function infoOf(accessToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function signInAt(page: Page, url: string, decision: 'Allow' | 'Deny'): Promise<void> {
  await page.goto(url);
  if (new URL(page.url()).pathname === '/login') {
    await page.locator('#login').fill('alice');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await clickWhenArmed(page, decision);
}

describe('loopback mode', () => {
  test('prints the authorize URL (PKCE S256, state), Chromium signs in, the tab says it can be closed, tokens as JSON, exit 0', async () => {
    const login = run(['--issuer', gh.url, '--client-id', desktop, '--no-browser', '--json'], 'npx');
    const [, url] = await login.waitFor(/^(http:\/\/\S+\/authorize\?\S+)$/m);
    const params = new URL(url!).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser.newPage();
    await signInAt(page, url!, 'Allow');
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    expect(await page.locator('p').textContent()).toBe('You can close this tab and return to the program.');
    expect(await login.exit).toBe(0);
    const tokens = JSON.parse(login.stdout()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ access_token: expect.stringMatching(/^gate_at_/), token_type: 'bearer', refresh_token: expect.stringMatching(/^gate_rt_/), scope: 'login:info' });
    expect(await infoOf(tokens.access_token as string)).toMatchObject({ login: 'alice', client_id: desktop });
    await page.close();
  });

  test('--port: listens where asked; denial in the browser exits 5 with one line', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const login = run(['--issuer', gh.url, '--client-id', desktop, '--no-browser', '--port', String(port), '--scope', 'login:info']);
    const [, url] = await login.waitFor(/^(http:\/\/\S+\/authorize\?\S+)$/m);
    expect(new URL(url!).searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/`);
    const page = await browser.newPage();
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({ ...Object.fromEntries(new URL(url!).searchParams), force_confirm: 'yes' })}`);
    await clickWhenArmed(page, 'Deny');
    await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    expect(await login.exit).toBe(5);
    expect(login.stdout()).toBe('');
    expect(login.stderr().trimEnd().split('\n').at(-1)).toMatch(/^gatehouse-login: access_denied: /);
    await page.close();
  });

  test('opens the browser without the authorization URL on any command line (other users read them with ps): the opener gets a private page, not state=; then says who signed in', async () => {
    // A stand-in for xdg-open that writes down its arguments, as `ps` shows them to everyone on the machine.
    const bin = mkdtempSync(path.join(tmpdir(), 'gatehouse-opener-'));
    const argvFile = path.join(bin, 'argv');
    writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${argvFile}.part" && mv "${argvFile}.part" "${argvFile}"\n`, { mode: 0o755 });
    try {
      const login = run(['--issuer', gh.url, '--client-id', desktop], 'node', { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
      await expect.poll(() => existsSync(argvFile), { timeout: 20_000 }).toBe(true);
      const argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
      expect(argv.join(' ')).not.toContain('state=');
      expect(argv.join(' ')).not.toContain('/authorize');
      expect(argv.join(' ')).not.toContain('code_challenge');
      // What it opens is a page only this user can read, in a directory only this user can list.
      expect(argv).toHaveLength(1);
      const opened = argv[0]!;
      expect(statSync(opened).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(opened)).mode & 0o777).toBe(0o700);
      // A browser not yet signed in to Gatehouse, so the sign-in page shows who signs in.
      const context = await browser.browser.newContext();
      const page = await context.newPage();
      // The page sends the browser on to Gatehouse.
      await page.goto(pathToFileURL(opened).href);
      await expect.poll(() => new URL(page.url()).origin, { timeout: 60_000 }).toBe(gh.url);
      await page.locator('#login').fill('alice');
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Alice may have allowed the app in an earlier test: then no consent page comes.
      const signedIn = page.getByRole('heading', { name: 'Signed in' });
      await signedIn.or(page.getByRole('button', { name: 'Allow' })).waitFor();
      if (!(await signedIn.isVisible())) await clickWhenArmed(page, 'Allow');
      await signedIn.waitFor();
      expect(await login.exit).toBe(0);
      expect(login.stderr()).toMatch(/^Signed in as alice\.$/m);
      // The page is gone with the sign-in.
      expect(existsSync(opened)).toBe(false);
      await context.close();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('Ctrl-C while waiting for the browser exits 130', async () => {
    const login = run(['--issuer', gh.url, '--client-id', desktop, '--no-browser']);
    await login.waitFor(/\/authorize\?/);
    process.kill(-login.child.pid!, 'SIGINT');
    expect(await login.exit).toBe(130);
    expect(login.stderr()).toMatch(/gatehouse-login: interrupted\n$/);
  });
});

describe('device mode', () => {
  test('prints the user code, the verification URL and a terminal QR code, polls, prints the tokens, exit 0', async () => {
    const login = run(['--issuer', gh.url, '--client-id', desktop, '--device', '--device-name', 'Build agent'], 'npx');
    const [, uri, userCode] = await login.waitFor(/open (\S+) and enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})/);
    expect(uri).toBe(`${gh.url}/device`);
    await login.waitFor(/Waiting/);
    expect(login.stderr()).toMatch(/^[█▀▄ ]{20,}$/m);
    expect(login.stderr()).toContain(`${gh.url}/device?user_code=${userCode}`);
    const person = await new Person(gh, 'alice').signIn();
    const decided = await person.decide(userCode!, 'allow');
    expect(decided.status).toBe(200);
    expect(await login.exit).toBe(0);
    const accessToken = /^access_token: (\S+)$/m.exec(login.stdout())?.[1];
    expect(await infoOf(accessToken!)).toMatchObject({ login: 'alice' });
  }, 30_000);
});

describe('failures: one line, an exit code per cause', () => {
  test.each([
    ['no --issuer: usage, 2', ['--client-id', 'x'], 2, /^gatehouse-login: --issuer and --client-id are required/],
    ['an unknown option: usage, 2', ['--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--browser'], 2, /^gatehouse-login: Unknown option '--browser'/],
    ['nothing listening at the issuer: 3', ['--issuer', 'http://127.0.0.1:9', '--client-id', 'x'], 3, /^gatehouse-login: cannot reach http:\/\/127\.0\.0\.1:9: /],
  ])('%s', async (_name, args, code, message) => {
    const login = run(args);
    expect(await login.exit).toBe(code);
    expect(login.stdout()).toBe('');
    expect(login.stderr().trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  test('an issuer that names itself otherwise (RFC 8414 §3.3): 3', async () => {
    const wrong = gh.url.replace('127.0.0.1', 'localhost');
    const login = run(['--issuer', wrong, '--client-id', desktop]);
    expect(await login.exit).toBe(3);
    expect(login.stderr()).toBe(`gatehouse-login: ${wrong} calls itself ${gh.url}: use that as --issuer\n`);
  });

  test('an unknown client: 4, in both modes, before any browser opens', async () => {
    const unknown = 'f'.repeat(32);
    const loopback = run(['--issuer', gh.url, '--client-id', unknown, '--no-browser']);
    expect(await loopback.exit).toBe(4);
    expect(loopback.stderr().trimEnd().split('\n').at(-1)).toBe('gatehouse-login: Gatehouse refused the sign-in: invalid_client: there is no app with this client_id');
    const device = run(['--issuer', gh.url, '--client-id', unknown, '--device']);
    expect(await device.exit).toBe(4);
    expect(device.stderr()).toMatch(/^gatehouse-login: invalid_client: unknown client\n$/);
  });

  test('a TV app in loopback mode: 4 (device flow only)', async () => {
    const { clientId } = await gh.createApp({ name: 'TV', platforms: ['tv'], redirectUris: [] });
    const login = run(['--issuer', gh.url, '--client-id', clientId, '--no-browser']);
    expect(await login.exit).toBe(4);
    expect(login.stderr()).toMatch(/gatehouse-login: Gatehouse refused the sign-in: unauthorized_client: this is a TV app/);
  });

  test('the code expires before anyone allows: 6', async () => {
    // A server whose clock runs 100× fast: the 300 s code has expired at the first poll, 5 s later.
    const fast = await startGatehouse({ clock: timeLapseClock(100) });
    try {
      const { clientId } = await fast.createApp({ name: 'Slow TV', platforms: ['tv'], redirectUris: [] });
      const login = run(['--issuer', fast.url, '--client-id', clientId, '--device']);
      expect(await login.exit).toBe(6);
      expect(login.stderr().trimEnd().split('\n').at(-1)).toMatch(/^gatehouse-login: expired_token: /);
    } finally {
      await fast.close();
    }
  }, 30_000);
});
