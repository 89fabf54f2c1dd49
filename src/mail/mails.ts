/**
 * Every mail Gatehouse sends, one function per kind, in English and Russian.
 * Each returns the composed mail (templates.ts); the mail service records and
 * sends it. Links always point at the issuer: a mail never names another site.
 */
import { compose, fill, type ComposedMail, type MailLanguage } from './templates.js';

export type MailKind = 'address_confirmation' | 'password_reset' | 'test';

const TEXTS = {
  en: {
    greeting: 'Hello, {name}!',
    fallback: 'If the button does not work, copy this address into your browser:',
    signature: 'Sent by Gatehouse at {issuer}. This mail was written by a machine; replies are not read.',
    confirm: {
      subject: 'Confirm your email address',
      lead: 'Someone, hopefully you, added {address} to the Gatehouse account {login}. Apps you sign in to will see this address only once you confirm that it is yours.',
      action: 'Confirm the address',
      after: 'The link works once, for 24 hours. If you did not add this address, ignore this mail: it stays unconfirmed and no app sees it.',
    },
    reset: {
      subject: 'Reset your Gatehouse password',
      lead: 'Someone, hopefully you, asked to reset the password of the Gatehouse account {login}.',
      action: 'Choose a new password',
      after: 'The link works once, for one hour. A new password signs you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is.',
    },
    test: {
      subject: 'Gatehouse can send mail',
      lead: 'This is a test mail from Gatehouse, sent with `gatehouse mail test`. If you are reading it, mail is set up correctly.',
    },
  },
  ru: {
    greeting: 'Здравствуйте, {name}!',
    fallback: 'Если кнопка не работает, скопируйте этот адрес в браузер:',
    signature: 'Письмо отправил Gatehouse по адресу {issuer}. Его написала программа; ответы на него никто не читает.',
    confirm: {
      subject: 'Подтвердите адрес электронной почты',
      lead: 'Кто-то, надеемся, что вы, добавил адрес {address} в аккаунт Gatehouse {login}. Приложения, в которые вы входите, увидят этот адрес, только когда вы подтвердите, что он ваш.',
      action: 'Подтвердить адрес',
      after: 'Ссылка работает один раз в течение 24 часов. Если вы не добавляли этот адрес, просто не обращайте внимания на письмо: адрес останется неподтверждённым, и ни одно приложение его не увидит.',
    },
    reset: {
      subject: 'Сброс пароля Gatehouse',
      lead: 'Кто-то, надеемся, что вы, попросил сбросить пароль аккаунта Gatehouse {login}.',
      action: 'Задать новый пароль',
      after: 'Ссылка работает один раз в течение часа. С новым паролем вы выйдете из аккаунта на всех устройствах. Если вы не просили сбросить пароль, не обращайте внимания на письмо: пароль останется прежним.',
    },
    test: {
      subject: 'Gatehouse умеет отправлять почту',
      lead: 'Это проверочное письмо от Gatehouse, отправленное командой `gatehouse mail test`. Раз вы его читаете, почта настроена правильно.',
    },
  },
} satisfies Record<MailLanguage, unknown>;

interface Common {
  issuer: string;
  /** How to greet the reader: their name, or their login. */
  name: string;
}

function frame(language: MailLanguage, v: Common) {
  const t = TEXTS[language];
  return { t, greeting: fill(t.greeting, { name: v.name }), signature: fill(t.signature, { issuer: v.issuer }) };
}

/** Sent to an address a user added (at sign-up or on /account): the link confirms it is theirs. */
export function addressConfirmationMail(language: MailLanguage, v: Common & { login: string; address: string; link: string }): ComposedMail {
  const { t, greeting, signature } = frame(language, v);
  return compose({
    kind: 'address_confirmation', language, subject: t.confirm.subject, greeting, signature,
    lead: [fill(t.confirm.lead, { address: v.address, login: v.login })],
    action: { label: t.confirm.action, url: v.link, fallback: t.fallback },
    after: [t.confirm.after],
  });
}

/** Sent on "Forgot your password?" to the account's confirmed address. */
export function passwordResetMail(language: MailLanguage, v: Common & { login: string; link: string }): ComposedMail {
  const { t, greeting, signature } = frame(language, v);
  return compose({
    kind: 'password_reset', language, subject: t.reset.subject, greeting, signature,
    lead: [fill(t.reset.lead, { login: v.login })],
    action: { label: t.reset.action, url: v.link, fallback: t.fallback },
    after: [t.reset.after],
  });
}

/** `gatehouse mail test`: proves the SMTP settings work. */
export function testMail(language: MailLanguage, v: Common): ComposedMail {
  const { t, greeting, signature } = frame(language, v);
  return compose({ kind: 'test', language, subject: t.test.subject, greeting, signature, lead: [t.test.lead], after: [] });
}
