/**
 * How a mail leaves Gatehouse. Two transports behind one interface: SMTP
 * (smtp.ts, nodemailer) when `GATEHOUSE_SMTP_URL` is set, and the outbox
 * otherwise: the mail stays in the database (it is recorded there before any
 * transport sees it, mail-service.ts) and operators read it on /admin/mail.
 */
import type { Config } from '../config.js';
import { SmtpMailer } from './smtp.js';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `en` or `ru`: the mail's Content-Language. */
  language: string;
}

export interface Mailer {
  /** `smtp` delivers; `outbox` keeps every mail for operators. */
  readonly transport: 'smtp' | 'outbox';
  /** Hands the mail over; throws with the server's answer when it is refused or unreachable. */
  deliver(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** No SMTP configured: delivering is keeping, and the mail is already kept. */
export class OutboxMailer implements Mailer {
  readonly transport = 'outbox' as const;
  async deliver(): Promise<void> {}
  close(): void {}
}

export function mailerFor(config: Pick<Config, 'smtpUrl'>): Mailer {
  return config.smtpUrl === '' ? new OutboxMailer() : new SmtpMailer(config.smtpUrl);
}
