/**
 * The operator's mail commands, run as the operator runs them (the built
 * CLI): `gatehouse mail test` reports in one line that the mail went, or what
 * the SMTP server said; `user create --email` vouches for the address unless
 * `--confirm-email` asks for a confirmation mail; `user update` sets an
 * address or number (confirmed, or confirmed by mail); `user confirm-emails`
 * confirms what existing users have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { SMTP_USER, startSmtpServer, type SmtpCatcher } from '../helpers/smtp.js';
import { gatehouseCli, type Run } from './support.js';

// Each command is a Node process plus npm's start-up: on a busy machine, tens of seconds.
const SLOW = { timeout: 240_000 };
let dataDir: string;
let smtp: SmtpCatcher;
const ISSUER = 'https://id.example.org';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-mail-cli-'));
  smtp = await startSmtpServer();
  // The server's database, as an operator's commands find it (a new, empty one would be warned about).
  await (await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent' }, {}))).close();
});
afterAll(async () => {
  await smtp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_SMTP_URL: smtp.url, ...extra });
const run = (args: string[], extra: Record<string, string> = {}, input = '') => gatehouseCli(env(extra), args, input);

function oneLineError(result: Run, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^gatehouse: /)]);
  expect(result.stderr).toMatch(message);
}

/** A user as stored, read the way the server reads it. */
async function stored(login: string) {
  const ctx = await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent' }, {}));
  try {
    return (await ctx.storage.findUserByLogin(login))!;
  } finally {
    await ctx.close();
  }
}

describe('gatehouse mail test', SLOW, () => {
  test('sends a test mail through the SMTP server and says so in one line', async () => {
    const result = await run(['mail', 'test', '--to', 'ops@example.org', '--lang', 'ru'], { GATEHOUSE_MAIL_FROM: 'Gatehouse <id@example.org>' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`sent a test mail to ops@example.org through smtp://127.0.0.1:${smtp.port} from Gatehouse <id@example.org>\n`);
    const mail = await smtp.next('ops@example.org');
    expect(mail).toMatchObject({ from: 'id@example.org', subject: 'Gatehouse умеет отправлять почту', user: SMTP_USER });
    expect(mail.text).toContain(ISSUER);
  });

  test('reports the SMTP server\'s refusal in one line, without the password of the URL', async () => {
    const wrong = smtp.url.replace(/:[^:@]+@/, ':wrong-password@');
    const result = await run(['mail', 'test', '--to', 'ops@example.org'], { GATEHOUSE_SMTP_URL: wrong });
    oneLineError(result, /not sent through smtp:\/\/127\.0\.0\.1:\d+: .*(Invalid|auth|535)/i);
    expect(result.stderr).not.toContain('wrong-password');
  });

  test('reports a server that cannot be reached in one line', async () => {
    oneLineError(await run(['mail', 'test', '--to', 'ops@example.org'], { GATEHOUSE_SMTP_URL: 'smtp://127.0.0.1:1' }), /ECONNREFUSED/);
  });

  test('without GATEHOUSE_SMTP_URL says nothing was sent and where the mail waits', async () => {
    oneLineError(await run(['mail', 'test', '--to', 'ops@example.org'], { GATEHOUSE_SMTP_URL: '' }), /GATEHOUSE_SMTP_URL is not set.*\/admin\/mail/);
  });

  test('refuses a malformed address and a malformed SMTP URL', async () => {
    oneLineError(await run(['mail', 'test', '--to', 'not-an-address']), /not an email address/);
    oneLineError(await run(['mail', 'test', '--to', 'ops@example.org'], { GATEHOUSE_SMTP_URL: 'http://mail.example.org' }), /GATEHOUSE_SMTP_URL/);
  });
});

describe('addresses the operator sets', SLOW, () => {
  test('user create --email vouches for the address; with --confirm-email it mails a link instead', async () => {
    expect((await run(['user', 'create', '--login', 'vouched', '--password-stdin', '--email', 'vouched@example.org'], {}, 'correct horse battery\n')).code).toBe(0);
    expect((await stored('vouched')).confirmedEmails).toEqual(['vouched@example.org']);

    const asked = await run(['user', 'create', '--login', 'asked', '--password-stdin', '--email', 'asked@example.org', '--confirm-email'], {}, 'correct horse battery\n');
    expect(asked.code).toBe(0);
    expect((await stored('asked')).confirmedEmails).toEqual([]);
    const mail = await smtp.next('asked@example.org');
    expect(mail.text).toMatch(new RegExp(`${ISSUER}/confirm-email\\?token=`));
  });

  test('user update sets the main address and a number, confirmed; --confirm-email mails a link instead', async () => {
    const updated = await run(['user', 'update', 'asked', '--email', 'new@example.org', '--phone', '+44 20 7946 0958', '--phone-confirmed', '--json']);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      default_email: 'new@example.org', emails: ['new@example.org', 'asked@example.org'], confirmed_emails: ['new@example.org'],
      phone: '+442079460958', phone_confirmed: true,
    });
    const byMail = await run(['user', 'update', 'vouched', '--email', 'other@example.org', '--confirm-email']);
    expect(byMail.stdout).toBe('updated user vouched (active): a confirmation link is mailed to other@example.org\n');
    await smtp.next('other@example.org');
    expect((await stored('vouched')).confirmedEmails).toEqual(['vouched@example.org']);
    oneLineError(await run(['user', 'update', 'nobody', '--email', 'x@example.org']), /no user with the login nobody/);
    oneLineError(await run(['user', 'update', 'vouched']), /nothing to change/);
  });

  test('user confirm-emails --all confirms every address of every user, once', async () => {
    const first = await run(['user', 'confirm-emails', '--all', '--json']);
    expect(JSON.parse(first.stdout)).toEqual({ users: 2, addresses: 2 });
    expect((await stored('asked')).confirmedEmails).toEqual(['new@example.org', 'asked@example.org']);
    expect((await run(['user', 'confirm-emails', '--all'])).stdout).toBe('confirmed 0 addresses of 0 users\n');
    oneLineError(await run(['user', 'confirm-emails']), /either --all or --login/);
  });
});
