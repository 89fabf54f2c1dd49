/**
 * Mail over SMTP, against a real SMTP server on loopback: what arrives (text
 * and HTML, the reader's language, links to the issuer), how it gets there
 * (AUTH from the URL, STARTTLS when offered, TLS with smtps://), and that no
 * mail is lost or blocks a request: each is recorded in the outbox first and
 * tried again when the server refuses it.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testMail } from '../../src/mail/mails.js';
import { MAX_ATTEMPTS } from '../../src/mail/mail-service.js';
import { PASSWORD } from '../console/support.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { SMTP_USER, startSmtpServer, type SmtpCatcher } from '../helpers/smtp.js';

const OPERATOR = { type: 'operator' } as const;

describe('mail over SMTP', () => {
  let smtp: SmtpCatcher;
  let gh: TestGatehouse;
  const clock = testClock();
  beforeAll(async () => {
    smtp = await startSmtpServer({ tls: 'starttls' });
    // The built-in certificate of the test server is self-signed: nodemailer's URL option accepts it.
    gh = await startGatehouse({ clock, config: { smtpUrl: `${smtp.url}?tls.rejectUnauthorized=false`, mailFrom: 'Gatehouse <id@example.org>' } });
  });
  afterAll(async () => {
    await gh?.close();
    await smtp?.close();
  });

  test('arrives in the reader\'s language as text and HTML, from GATEHOUSE_MAIL_FROM, over STARTTLS with the URL\'s credentials', async () => {
    await gh.ctx.mail.send({ to: 'ivan@example.org', mail: testMail('ru', { issuer: gh.url, name: 'Иван' }), userId: null, actor: OPERATOR, ip: null });
    const mail = await smtp.next('ivan@example.org');
    expect(mail).toMatchObject({ from: 'id@example.org', subject: 'Gatehouse умеет отправлять почту', secure: true, user: SMTP_USER });
    expect(mail.headers['content-language']).toBe('ru');
    expect(mail.text).toContain('Здравствуйте, Иван!');
    expect(mail.text).toContain(gh.url);
    expect(mail.html).toContain('<html lang="ru">');
    expect(mail.html).toContain('Здравствуйте, Иван!');
  });

  test('escapes what users typed in the HTML part', async () => {
    await gh.ctx.mail.send({ to: 'x@example.org', mail: testMail('en', { issuer: gh.url, name: '<script>alert(1)</script>' }), userId: null, actor: OPERATOR, ip: null });
    const mail = await smtp.next('x@example.org');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
  });

  test('is recorded before it is sent, keeps no body once sent, and is tried again after the server refuses it', async () => {
    smtp.refuseNext(1);
    const id = await gh.ctx.mail.send({ to: 'retry@example.org', mail: testMail('en', { issuer: gh.url, name: 'R' }), userId: null, actor: OPERATOR, ip: null });
    await gh.ctx.mail.idle();
    const refused = (await gh.ctx.storage.mail.findMail(id))!;
    expect(refused).toMatchObject({ status: 'pending', attempts: 1 });
    expect(refused.lastError).toMatch(/451/);
    expect(refused.bodySealed).not.toBeNull();
    expect(refused.bodySealed).not.toContain('retry');

    await gh.ctx.mail.deliverDue();
    expect((await gh.ctx.storage.mail.findMail(id))!.attempts).toBe(1); // not due yet
    clock.advance(31_000);
    await gh.ctx.mail.deliverDue();
    await smtp.next('retry@example.org');
    expect(await gh.ctx.storage.mail.findMail(id)).toMatchObject({ status: 'sent', attempts: 2, bodySealed: null, lastError: null });
  });

  test('is given up after a few attempts, and the audit log names its kind, not its text', async () => {
    smtp.refuseNext(MAX_ATTEMPTS);
    const id = await gh.ctx.mail.send({ to: 'never@example.org', mail: testMail('en', { issuer: gh.url, name: 'N' }), userId: null, actor: OPERATOR, ip: null });
    await gh.ctx.mail.idle();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      clock.advance(2 * 60 * 60_000);
      await gh.ctx.mail.deliverDue();
    }
    expect(await gh.ctx.storage.mail.findMail(id)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    const [entry] = await gh.ctx.storage.listAudit({ action: 'mail_sent', limit: 1 });
    expect(entry!.details).toEqual({ kind: 'test', to: 'never@example.org', transport: 'smtp' });
  });
});

describe('mail over smtps://', () => {
  test('speaks TLS from the first byte', async () => {
    const smtp = await startSmtpServer({ tls: 'implicit' });
    const gh = await startGatehouse({ config: { smtpUrl: `${smtp.url}?tls.rejectUnauthorized=false` } });
    try {
      await gh.ctx.mail.send({ to: 'tls@example.org', mail: testMail('en', { issuer: gh.url, name: 'T' }), userId: null, actor: OPERATOR, ip: null });
      expect(await smtp.next('tls@example.org')).toMatchObject({ secure: true, subject: 'Gatehouse can send mail' });
    } finally {
      await gh.close();
      await smtp.close();
    }
  });
});

describe('a mail server that never answers', () => {
  let silent: Server;
  let gh: TestGatehouse;
  beforeAll(async () => {
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    gh = await startGatehouse({ config: { smtpUrl: `smtp://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await gh?.close();
    await new Promise((resolve) => silent?.close(resolve));
  }, 60_000);

  test('does not slow sign-up down: the mail waits in the outbox', async () => {
    const user = new HttpUser(gh, 'patient', PASSWORD);
    const form = hiddenFields(await (await user.get('/signup')).text());
    const started = Date.now();
    const res = await user.post('/signup', { ...form, login: 'patient', password: PASSWORD, email: 'patient@example.org' });
    const took = Date.now() - started;
    expect(res.status).toBe(303);
    expect(took).toBeLessThan(3_000);
    const [mail] = await gh.ctx.storage.mail.listMails({ limit: 1 });
    expect(mail).toMatchObject({ kind: 'address_confirmation', to: 'patient@example.org', status: 'pending' });
  });
});
