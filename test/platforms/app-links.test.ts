/**
 * Platforms with their fields, set by `gatehouse app create/update` (the built
 * CLI, as an operator runs it) and validated, and the association files built
 * from them: `/.well-known/assetlinks.json` (Android App Links) and
 * `/.well-known/apple-app-site-association` (iOS Universal Links), public JSON,
 * listing on the issuer host the apps an operator marked first-party.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/types.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FP1 = '14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5';
const FP2 = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

let gh: TestGatehouse;
beforeAll(async () => {
  gh = await startGatehouse();
});
afterAll(async () => {
  await gh?.close();
});

/** `gatehouse …` (dist/cli/main.js, brought up to date by the global setup) on the test server's data directory. */
function gatehouse(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
      cwd: ROOT,
      env: { ...env, GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_ISSUER: 'https://id.example.org' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const run = await gatehouse([...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('gatehouse app create/update with platform fields', () => {
  test('an Android and iOS app: fields stored, fingerprints normalised, derived redirect URIs shown, no secret', async () => {
    const created = await json(['app', 'create', '--name', 'Notes', '--platform', 'ios', '--platform', 'android',
      '--ios-app-id', 'ABCDE12345.org.example.notes', '--ios-store-url', 'https://apps.apple.com/app/id123',
      '--android-package', 'org.example.notes', '--android-sha256', FP1.toLowerCase().replace(/:/g, ''), '--android-sha256', FP2,
      '--android-store-url', 'https://play.google.com/store/apps/details?id=org.example.notes']);
    const id = created.client_id as string;
    expect(created).toMatchObject({
      confidential: false,
      platforms: ['ios', 'android'],
      ios: { app_id: 'ABCDE12345.org.example.notes', store_url: 'https://apps.apple.com/app/id123' },
      android: { package_name: 'org.example.notes', sha256_cert_fingerprints: [FP1, FP2], store_url: 'https://play.google.com/store/apps/details?id=org.example.notes' },
      derived_redirect_uris: [
        `gh${id}:///auth/finish?platform=ios`, `yx${id}:///auth/finish?platform=ios`, `https://yx${id}.id.example.org/auth/finish?platform=ios`,
        `gh${id}:///auth/finish?platform=android`, `yx${id}:///auth/finish?platform=android`, `https://yx${id}.id.example.org/auth/finish?platform=android`,
      ],
    });
    expect(created).not.toHaveProperty('client_secret');

    // Fields alone update the platform they belong to; the others are kept.
    const updated = await json(['app', 'update', id, '--android-sha256', FP2]);
    expect(updated).toMatchObject({ platforms: ['ios', 'android'], ios: { app_id: 'ABCDE12345.org.example.notes' }, android: { package_name: 'org.example.notes', sha256_cert_fingerprints: [FP2] } });
    const app = await gh.ctx.storage.findApp(id as ClientId);
    expect(app!.platforms).toEqual([
      { type: 'ios', appId: 'ABCDE12345.org.example.notes', storeUrl: 'https://apps.apple.com/app/id123' },
      { type: 'android', packageName: 'org.example.notes', sha256Fingerprints: [FP2], storeUrl: 'https://play.google.com/store/apps/details?id=org.example.notes' },
    ]);
  });

  test('a desktop app is public and accepts loopback on any port', async () => {
    const created = await json(['app', 'create', '--name', 'Console tool', '--platform', 'desktop']);
    expect(created).toMatchObject({ confidential: false, platforms: ['desktop'], derived_redirect_uris: ['http://127.0.0.1/ (any port)', 'http://[::1]/ (any port)'] });
  });

  test.each([
    [['--platform', 'ios', '--ios-app-id', 'org.example.notes'], /^gatehouse: iOS App ID must be the team prefix and bundle id/],
    [['--platform', 'ios', '--platform', 'android', '--store-url', 'https://apps.apple.com/x'], /^gatehouse: --store-url needs exactly one/],
  ])('refuses %j with one line and a non-zero exit', async (args, message) => {
    const run = await gatehouse(['app', 'create', '--name', 'Bad', ...args]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test.each([
    [{ type: 'android', packageName: 'notes' }, /package name must look like/],
    [{ type: 'android', packageName: 'org.example.x', sha256Fingerprints: ['AB:CD'] }, /SHA-256 certificate fingerprint/],
    [{ type: 'android', storeUrl: 'http://play.example/x' }, /store URL must be an https URL/],
    [{ type: 'web', packageName: 'org.example.x' }, /an Android package name belongs to the android platform, not web/],
    [{ type: 'desktop', appId: 'ABCDE12345.org.example.x' }, /an iOS App ID belongs to the ios platform, not desktop/],
    [{ type: 'tv', storeUrl: 'https://play.google.com/x' }, /a store URL belongs to the ios or android platform/],
    [{ type: 'phone' }, /unknown platform: phone/],
  ] as const)('the app service refuses %j', async (platform, message) => {
    await expect(gh.ctx.apps.create({ name: 'Bad', platforms: [platform as never] })).rejects.toThrow(message);
  });
});

describe('association files', () => {
  let notes: string;
  beforeAll(async () => {
    // The issuer host lists first-party apps only (test/security/app-trust.test.ts covers third-party apps and their own hosts).
    const firstParty = async (input: Parameters<TestGatehouse['createApp']>[0]) => {
      const created = await gh.createApp(input);
      await gh.ctx.apps.setFirstParty(created.clientId as ClientId, true);
      return created;
    };
    notes = (await firstParty({
      name: 'Notes', redirectUris: [],
      platforms: [{ type: 'android', packageName: 'org.example.notes', sha256Fingerprints: [FP1] }, { type: 'ios', appId: 'ABCDE12345.org.example.notes' }],
    })).clientId;
    await firstParty({ name: 'Same package, second key', redirectUris: [], platforms: [{ type: 'android', packageName: 'org.example.notes', sha256Fingerprints: [FP2] }] });
    await firstParty({ name: 'Android without a key', redirectUris: [], platforms: [{ type: 'android', packageName: 'org.example.nokey' }] });
    await gh.createApp({
      name: 'Third party', redirectUris: [],
      platforms: [{ type: 'android', packageName: 'org.example.thirdparty', sha256Fingerprints: [FP1] }, { type: 'ios', appId: 'YYYYY88888.org.example.thirdparty' }],
    });
    const blocked = await firstParty({
      name: 'Blocked', redirectUris: [],
      platforms: [{ type: 'android', packageName: 'org.example.blocked', sha256Fingerprints: [FP1] }, { type: 'ios', appId: 'ZZZZZ99999.org.example.blocked' }],
    });
    await gh.ctx.apps.update(blocked.clientId as ClientId, { status: 'blocked' });
  });

  test('assetlinks.json lists each active first-party Android package with its fingerprints, as JSON without authentication', async () => {
    const res = await fetch(`${gh.url}/.well-known/assetlinks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const statements = (await res.json()) as Array<{ target: { package_name: string } }>;
    const ours = statements.filter((s) => s.target.package_name.startsWith('org.example.'));
    expect(ours).toEqual([{
      relation: ['delegate_permission/common.handle_all_urls'],
      target: { namespace: 'android_app', package_name: 'org.example.notes', sha256_cert_fingerprints: expect.arrayContaining([FP1, FP2]) },
    }]);
    expect(ours[0]!.target).toHaveProperty('sha256_cert_fingerprints.length', 2);
  });

  test('apple-app-site-association lists each active first-party App ID for /auth/finish, as JSON without authentication', async () => {
    const res = await fetch(`${gh.url}/.well-known/apple-app-site-association`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { applinks: { details: Array<{ appID: string }> }; webcredentials: { apps: string[] } };
    const ours = body.applinks.details.filter((d) => d.appID.includes('.org.example.'));
    expect(ours).toEqual([{ appID: 'ABCDE12345.org.example.notes', appIDs: ['ABCDE12345.org.example.notes'], paths: ['/auth/finish'], components: [{ '/': '/auth/finish' }] }]);
    expect(body.webcredentials.apps).toContain('ABCDE12345.org.example.notes');
    expect(body.webcredentials.apps).not.toContain('ZZZZZ99999.org.example.blocked');
    expect(body.webcredentials.apps).not.toContain('YYYYY88888.org.example.thirdparty');
    expect(notes).toMatch(/^[0-9a-f]{32}$/);
  });
});
