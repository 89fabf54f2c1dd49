/**
 * The mail part of the storage contract (src/storage/mail-store.ts): the
 * outbox (a mail claimed for delivery by exactly one of many processes,
 * retried, given up, its body dropped once sent) and single-use links (used
 * once however many race, dead after expiry), plus the users' confirmed
 * addresses: kept lowercased, and found by the address for a password reset.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import type { MailLinkRecord, OutboxRecord } from '../../src/storage/mail-store.js';
import type { Storage, UserRecord } from '../../src/storage/storage.js';
import type { Millis, UserId } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;
const MINUTE = 60_000;

export function mailContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, mail: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    let seq = 0;
    const user = (over: Partial<UserRecord> = {}): UserRecord => ({
      id: String(100000000000700 + ++seq) as UserId, login: `mailer${seq}`, passwordHash: null, firstName: null, lastName: null,
      displayName: null, sex: null, birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null,
      confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false, status: 'active', createdAt: T0 + seq, updatedAt: T0 + seq, ...over,
    });
    const mail = (over: Partial<OutboxRecord> = {}): OutboxRecord => ({
      id: `${String(T0 + ++seq).padStart(15, '0')}-${String(seq).padStart(16, '0')}`, kind: 'test', to: 'to@example.org', subject: 'Hello',
      userId: null, bodySealed: 'v1.sealed', status: 'pending', attempts: 0, nextAttemptAt: T0, lastError: null, createdAt: T0 + seq, sentAt: null, ...over,
    });
    const link = (userId: UserId, over: Partial<MailLinkRecord> = {}): MailLinkRecord => ({
      hash: sha256Hex(`link ${++seq}`), kind: 'confirm_email', userId, address: 'a@example.org', createdAt: T0, expiresAt: T0 + 10 * MINUTE, consumedAt: null, ...over,
    });

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    test('keeps a mail as given and lists the newest first', async () => {
      const older = mail({ kind: 'address_confirmation', status: 'kept' });
      const newer = mail({ userId: '100000000000001' as UserId });
      await s.mail.addMail(older);
      await s.mail.addMail(newer);
      expect(await s.mail.findMail(older.id)).toEqual(older);
      expect(await s.mail.listMails()).toEqual([newer, older]);
      expect(await s.mail.listMails({ userId: '100000000000001' as UserId })).toEqual([newer]);
      expect(await s.mail.findMail('nope')).toBeNull();
    });

    test('claims a due mail for exactly one of many racing callers, also across connections', async () => {
      const due = mail();
      await s.mail.addMail(due);
      const other = opened.reopen ? await opened.reopen() : s;
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : s).mail.claimMail(due.id, T0, 5 * MINUTE)));
      const won = claims.filter((c) => c !== null);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ attempts: 1, nextAttemptAt: T0 + 5 * MINUTE });
      // Held for its lease; then another process may take it up.
      expect(await s.mail.claimMail(due.id, T0 + MINUTE, 5 * MINUTE)).toBeNull();
      expect(await s.mail.dueMails(T0 + MINUTE, 10)).toEqual([]);
      expect((await s.mail.dueMails(T0 + 5 * MINUTE, 10)).map((m) => m.id)).toEqual([due.id]);
      expect(await s.mail.claimMail(due.id, T0 + 5 * MINUTE, 5 * MINUTE)).toMatchObject({ attempts: 2 });
    });

    test('never claims a mail that is kept, sent or failed, or not yet due', async () => {
      const kept = mail({ status: 'kept' });
      const later = mail({ nextAttemptAt: T0 + MINUTE });
      await s.mail.addMail(kept);
      await s.mail.addMail(later);
      expect(await s.mail.claimMail(kept.id, T0, MINUTE)).toBeNull();
      expect(await s.mail.claimMail(later.id, T0, MINUTE)).toBeNull();
      expect(await s.mail.dueMails(T0, 10)).toEqual([]);
    });

    test('drops the body of a sent mail; a failed attempt waits for its retry, the last one gives up', async () => {
      const sent = mail();
      const failing = mail();
      await s.mail.addMail(sent);
      await s.mail.addMail(failing);
      await s.mail.markMailSent(sent.id, T0 + 5);
      expect(await s.mail.findMail(sent.id)).toMatchObject({ status: 'sent', sentAt: T0 + 5, bodySealed: null });
      await s.mail.markMailFailed(failing.id, '451 Try again later', T0 + MINUTE);
      expect(await s.mail.findMail(failing.id)).toMatchObject({ status: 'pending', nextAttemptAt: T0 + MINUTE, lastError: '451 Try again later' });
      await s.mail.markMailFailed(failing.id, 'x'.repeat(500), null);
      const gaveUp = (await s.mail.findMail(failing.id))!;
      expect(gaveUp.status).toBe('failed');
      expect(gaveUp.lastError).toHaveLength(300);
      // A sent mail is never marked failed afterwards.
      await s.mail.markMailFailed(sent.id, 'late', null);
      expect((await s.mail.findMail(sent.id))!.status).toBe('sent');
    });

    test('a link is used once however many race; an expired or unknown one never', async () => {
      const owner = user();
      await s.createUser(owner);
      const fresh = link(owner.id);
      const expired = link(owner.id, { expiresAt: T0 + 1 });
      await s.mail.createMailLink(fresh);
      await s.mail.createMailLink(expired);
      expect(await s.mail.findMailLink(fresh.hash, T0)).toEqual(fresh);
      expect(await s.mail.findMailLink(expired.hash, T0 + 1)).toBeNull();

      const other = opened.reopen ? await opened.reopen() : s;
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : s).mail.consumeMailLink(fresh.hash, T0 + 2)));
      expect(results.filter((r) => r.outcome === 'consumed')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'already_consumed')).toHaveLength(7);
      expect(await s.mail.findMailLink(fresh.hash, T0 + 3)).toBeNull();
      expect(await s.mail.consumeMailLink(expired.hash, T0 + 2)).toEqual({ outcome: 'not_found' });
      expect(await s.mail.consumeMailLink(sha256Hex('unknown'), T0)).toEqual({ outcome: 'not_found' });
    });

    test('drops a user\'s links of one kind, and clean-up drops expired links and old mails', async () => {
      const owner = user();
      await s.createUser(owner);
      const confirm = link(owner.id);
      const reset = link(owner.id, { kind: 'reset_password', address: null });
      const old = link(owner.id, { expiresAt: T0 + 1 });
      for (const l of [confirm, reset, old]) await s.mail.createMailLink(l);
      await s.mail.deleteMailLinks(owner.id, 'reset_password');
      expect(await s.mail.findMailLink(reset.hash, T0)).toBeNull();
      expect(await s.mail.findMailLink(confirm.hash, T0)).toEqual(confirm);

      const oldMail = mail({ createdAt: T0 - 40 * 24 * 60 * MINUTE });
      const newMail = mail();
      await s.mail.addMail(oldMail);
      await s.mail.addMail(newMail);
      expect(await s.mail.deleteExpiredMail(T0 + 2, { mailsBefore: T0 - 30 * 24 * 60 * MINUTE })).toBe(2);
      expect(await s.mail.findMail(oldMail.id)).toBeNull();
      expect(await s.mail.findMail(newMail.id)).not.toBeNull();
      expect(await s.mail.consumeMailLink(old.hash, T0)).toEqual({ outcome: 'not_found' });
      expect((await s.mail.consumeMailLink(confirm.hash, T0)).outcome).toBe('consumed');
    });

    test('keeps confirmed addresses lowercased and finds active users by one, whole and ignoring case', async () => {
      const ada = user({ emails: ['Ada@Example.org'], confirmedEmails: ['Ada@Example.org'] });
      const twin = user({ emails: ['ada@example.org'], confirmedEmails: ['ada@example.org'] });
      const claimed = user({ emails: ['ada@example.org'], confirmedEmails: [] });
      const blocked = user({ emails: ['ada@example.org'], confirmedEmails: ['ada@example.org'], status: 'blocked' });
      const odd = user({ emails: ['a_b%c\\d@example.org'], confirmedEmails: ['a_b%c\\d@example.org'] });
      for (const u of [ada, twin, claimed, blocked, odd]) await s.createUser(u);
      expect((await s.findUserById(ada.id))!.confirmedEmails).toEqual(['ada@example.org']);
      expect((await s.findUsersByConfirmedEmail('ADA@example.ORG')).map((u) => u.id)).toEqual([ada.id, twin.id]);
      expect(await s.findUsersByConfirmedEmail('da@example.org')).toEqual([]);
      expect(await s.findUsersByConfirmedEmail('a_b%c')).toEqual([]);
      expect((await s.findUsersByConfirmedEmail('A_B%C\\D@example.org')).map((u) => u.id)).toEqual([odd.id]);
      expect(await s.findUsersByConfirmedEmail('axb%c\\d@example.org')).toEqual([]);

      await s.updateUser(claimed.id, { confirmedEmails: ['ADA@example.org'], defaultPhone: '+15551234567', confirmedPhone: '+15551234567' });
      expect(await s.findUserById(claimed.id)).toMatchObject({ confirmedEmails: ['ada@example.org'], confirmedPhone: '+15551234567' });
    });
  });
}
