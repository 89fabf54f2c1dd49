/**
 * Delivery over SMTP with nodemailer. `smtp://` connects in plain text and
 * upgrades with STARTTLS whenever the server offers it; `smtps://` speaks TLS
 * from the first byte. Credentials come from the URL; nodemailer's URL
 * options apply too (e.g. `?tls.rejectUnauthorized=false` for a relay with a
 * self-signed certificate). Timeouts are short, so a dead server fails an
 * attempt in seconds and the outbox retries later (mail-service.ts).
 */
import type { Transporter, TransportOptions } from 'nodemailer';
import type { Mailer, OutgoingMail } from './mailer.js';

export class SmtpMailer implements Mailer {
  readonly transport = 'smtp' as const;
  // nodemailer is loaded with the first mail, not at every start of the server.
  private smtp: Promise<Transporter> | null = null;

  constructor(private readonly url: string) {}

  private transporter(): Promise<Transporter> {
    return (this.smtp ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
      url: this.url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as TransportOptions)));
  }

  async deliver(mail: OutgoingMail): Promise<void> {
    await (await this.transporter()).sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { 'Content-Language': mail.language, 'Auto-Submitted': 'auto-generated' },
    });
  }

  close(): void {
    void this.smtp?.then((smtp) => smtp.close(), () => {});
  }
}

/** One line for people, without the credentials of the URL: what went wrong talking to the SMTP server. */
export function describeSmtpError(err: unknown): string {
  const e = err as { message?: string; code?: string; responseCode?: number } | null;
  const message = (e?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  return (e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message).slice(0, 300);
}
