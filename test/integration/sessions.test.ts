/**
 * Browser sessions end two ways (README, "Settings"): after
 * `GATEHOUSE_SESSION_TTL` seconds without a request (the idle timeout), and
 * `GATEHOUSE_SESSION_MAX_AGE` seconds after the password was typed whatever
 * the activity (the absolute lifetime; OWASP Session Management Cheat Sheet,
 * "Session Expiration"). Both are kept in the database, so every process on
 * it agrees, and sliding the idle expiry writes at most once a minute.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const IDLE = HOUR;
const MAX_AGE = 8 * HOUR;
const PASSWORD = 'correct horse battery';

const clock = testClock(Date.UTC(2025, 0, 1));
let a: TestGatehouse;
/** A second Gatehouse on the same database: another process, as far as sessions go. */
let b: TestGatehouse;

beforeAll(async () => {
  const sessions = { sessionTtlSeconds: IDLE / 1000, sessionMaxAgeSeconds: MAX_AGE / 1000 };
  a = await startGatehouse({ clock, config: sessions });
  b = await startGatehouse({ clock, config: { ...sessions, dataDir: a.dataDir, databaseUrl: a.ctx.config.databaseUrl } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** A browser signed in on `a` (the tests also send its cookie to `b`). */
async function signedInBrowser(): Promise<HttpUser> {
  const user = await a.createUser(undefined, PASSWORD);
  const browser = new HttpUser(a, user.login, PASSWORD);
  await browser.signIn();
  return browser;
}

/** Whether the browser's session cookie still opens /account, on `gh` (default: the process it signed in on). */
async function isSignedIn(browser: HttpUser, gh: TestGatehouse = a): Promise<boolean> {
  const res = await fetch(`${gh.url}/account`, { redirect: 'manual', headers: { cookie: browser.jar.header() } });
  if (res.status === 200) return true;
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toMatch(/^\/login\?/);
  return false;
}

const sessionRow = (browser: HttpUser) => a.ctx.storage.findSession(sha256Hex(browser.jar.get('gatehouse_session')!), 0);

describe('idle timeout (GATEHOUSE_SESSION_TTL)', () => {
  test('a session in use outlives the idle timeout many times over', async () => {
    const browser = await signedInBrowser();
    for (let elapsed = 0; elapsed < 4 * IDLE; elapsed += IDLE / 2) {
      clock.advance(IDLE / 2);
      expect(await isSignedIn(browser), `after ${elapsed / MINUTE + 30} minutes`).toBe(true);
    }
  });

  test('a session left alone ends when the idle timeout passes', async () => {
    const browser = await signedInBrowser();
    clock.advance(20 * MINUTE);
    expect(await isSignedIn(browser)).toBe(true);
    clock.advance(IDLE - MINUTE);
    expect(await isSignedIn(browser)).toBe(true);
    clock.advance(IDLE + 1000);
    expect(await isSignedIn(browser)).toBe(false);
  });

  test('requests within a minute of the last one write nothing; a later one moves the expiry', async () => {
    const browser = await signedInBrowser();
    const first = (await sessionRow(browser))!;
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      expect(await isSignedIn(browser)).toBe(true);
    }
    expect(await sessionRow(browser)).toEqual(first);
    clock.advance(20_000);
    expect(await isSignedIn(browser)).toBe(true);
    const later = (await sessionRow(browser))!;
    expect(later.lastSeenAt).toBe(clock());
    expect(later.expiresAt).toBe(clock() + IDLE);
  });
});

describe('absolute lifetime (GATEHOUSE_SESSION_MAX_AGE)', () => {
  test('a session in constant use ends at the absolute lifetime, and signing in again starts a new one', async () => {
    const browser = await signedInBrowser();
    const start = clock();
    while (clock() - start < MAX_AGE - 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      expect(await isSignedIn(browser)).toBe(true);
    }
    clock.advance(10 * MINUTE);
    expect(await isSignedIn(browser)).toBe(false);
    await browser.signIn();
    expect(await isSignedIn(browser)).toBe(true);
  });
});

describe('both limits hold across processes on one database', () => {
  test('activity seen by one process keeps the session alive on the other; idleness ends it on both', async () => {
    const browser = await signedInBrowser();
    // Used only on b for three idle periods: a must see that activity.
    for (let i = 0; i < 6; i++) {
      clock.advance(IDLE / 2);
      expect(await isSignedIn(browser, b)).toBe(true);
    }
    expect(await isSignedIn(browser)).toBe(true);
    clock.advance(IDLE + 1000);
    expect(await isSignedIn(browser, b)).toBe(false);
    expect(await isSignedIn(browser)).toBe(false);
  });

  test('the absolute lifetime ends the session on both, however it was used on either', async () => {
    const browser = await signedInBrowser();
    const start = clock();
    let turn = 0;
    while (clock() - start < MAX_AGE - 30 * MINUTE) {
      clock.advance(30 * MINUTE);
      expect(await isSignedIn(browser, turn++ % 2 === 0 ? b : a)).toBe(true);
    }
    clock.advance(30 * MINUTE);
    expect(await isSignedIn(browser)).toBe(false);
    expect(await isSignedIn(browser, b)).toBe(false);
  });
});
