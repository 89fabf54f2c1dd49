/**
 * The first-run setup link as an outsider would attack it, over real HTTP
 * against a Gatehouse without an operator: guessed and used tokens, two
 * submissions racing with one link, a setup after an operator exists, and
 * `gatehouse user create --admin` in another process closing the link. Until
 * an operator exists, nobody signs up and no ordinary user registers apps.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { gatehouseCli } from '../cli/support.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse | null = null;

afterEach(async () => {
  await gh?.close();
  gh = null;
});

async function fresh(): Promise<{ gh: TestGatehouse; link: URL }> {
  gh = await startGatehouse({ firstRun: true });
  const link = await gh.ctx.firstRun.open();
  expect(link).not.toBeNull();
  return { gh, link: new URL(link!) };
}

/** Opens the setup page with `token` and submits it as a visitor: the answer's status. */
async function submitSetup(gh: TestGatehouse, link: URL, token: string, login: string): Promise<number> {
  const visitor = new HttpUser(gh, login, PASSWORD);
  const page = await visitor.get(`${link.pathname}${link.search}`);
  const fields = hiddenFields(await page.text());
  // The form carries the CSRF token; the setup token is what the attacker chooses.
  const res = await visitor.post('/setup', { csrf: fields.csrf ?? (await csrfOfLogin(visitor)), token, login, password: PASSWORD });
  return res.status;
}

async function csrfOfLogin(visitor: HttpUser): Promise<string> {
  return hiddenFields(await (await visitor.get('/login')).text()).csrf!;
}

async function operators(gh: TestGatehouse): Promise<string[]> {
  return (await gh.ctx.storage.listUsers()).filter((u) => u.isAdmin).map((u) => u.login);
}

describe('first-run setup', () => {
  test('sign-up and app registration are closed until an operator exists', async () => {
    const { gh } = await fresh();
    const visitor = new HttpUser(gh, 'eve', PASSWORD);
    // The sign-in page offers no sign-up that would only say it is closed.
    expect(await (await visitor.get('/login')).text()).not.toContain('href="/signup');
    const form = await visitor.get('/signup');
    expect(form.status).toBe(403);
    expect(await form.text()).toContain('sign-up opens once its first operator account exists');
    const post = await visitor.post('/signup', { csrf: await csrfOfLogin(visitor), login: 'eve', password: PASSWORD });
    expect(post.status).toBe(403);
    expect(await gh.ctx.storage.findUserByLogin('eve')).toBeNull();

    // An ordinary account made with the CLI may not register apps either (GATEHOUSE_DEVELOPERS=anyone waits for an operator).
    await gh.createUser('mallory', PASSWORD);
    const mallory = new HttpUser(gh, 'mallory', PASSWORD);
    await mallory.signIn('/console');
    expect((await mallory.get('/console/apps/new')).status).toBe(403);
    const created = await mallory.post('/console/apps/new', { csrf: await csrfOfLogin(mallory), name: 'Sneaky', platform: 'web', redirect_uris: 'https://evil.example/cb', scopes: 'login:info' });
    expect(created.status).toBe(403);
    expect(await gh.ctx.storage.listApps()).toEqual([]);

    // Once the operator exists, the sign-in page offers sign-up again.
    await gh.createUser('root', PASSWORD, { isAdmin: true });
    expect(await (await new HttpUser(gh, 'eve', PASSWORD).get('/login')).text()).toContain('href="/signup');
  });

  test('a wrong token opens nothing and creates nothing; the right one creates exactly one operator, then is dead', async () => {
    const { gh, link } = await fresh();
    const wrong = new URL(link);
    wrong.searchParams.set('token', 'A'.repeat(32));
    expect((await fetch(wrong)).status).toBe(404);
    expect((await fetch(`${gh.url}/setup`)).status).toBe(404);
    expect(await submitSetup(gh, link, 'A'.repeat(32), 'intruder')).toBe(404);
    expect(await operators(gh)).toEqual([]);

    expect(await submitSetup(gh, link, link.searchParams.get('token')!, 'olga')).toBe(303);
    expect(await operators(gh)).toEqual(['olga']);
    const audit = await gh.ctx.storage.listAudit({ limit: 10 });
    expect(audit.map((e) => e.action)).toContain('setup_completed');

    // Used: the page says so, and a replayed form creates nobody.
    expect((await fetch(link)).status).toBe(404);
    expect(await submitSetup(gh, link, link.searchParams.get('token')!, 'second')).toBe(404);
    expect(await operators(gh)).toEqual(['olga']);
    // And sign-up is open now.
    expect((await fetch(`${gh.url}/signup`)).status).toBe(200);
  });

  test('two submissions racing with one link make one operator', async () => {
    const { gh, link } = await fresh();
    const token = link.searchParams.get('token')!;
    const statuses = await Promise.all(['racer1', 'racer2', 'racer3'].map((login) => submitSetup(gh, link, token, login)));
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(await operators(gh)).toHaveLength(1);
  });

  test('no setup link once an operator exists, and `gatehouse user create --admin` closes an open one', async () => {
    const { gh, link } = await fresh();
    expect((await fetch(link)).status).toBe(200);
    const env: Record<string, string> = { GATEHOUSE_DATA_DIR: gh.dataDir, ...(gh.ctx.config.databaseUrl ? { GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl } : {}) };
    const run = await gatehouseCli(env, ['user', 'create', '--login', 'cli-operator', '--admin', '--password-stdin'], PASSWORD);
    expect(run.code, run.stderr).toBe(0);
    expect((await fetch(link)).status).toBe(404);
    expect(await submitSetup(gh, link, link.searchParams.get('token')!, 'late')).toBe(404);
    expect(await operators(gh)).toEqual(['cli-operator']);
    expect(await gh.ctx.firstRun.open()).toBeNull();
  });
});

describe.skipIf(testEngine() !== 'sqlite')('first-run setup, engine-independent', () => {
  test('a server past setup prints no link', async () => {
    gh = await startGatehouse();
    expect(await gh.ctx.firstRun.open()).toBeNull();
    expect((await fetch(`${gh.url}/setup?token=${'x'.repeat(32)}`)).status).toBe(404);
  });
});
