/**
 * The one shape every mail has: a plain-text part and an HTML part saying the
 * same, in the reader's language, with at most one action (a link to this
 * Gatehouse, shown as a button and as the address itself) and the issuer
 * named at the bottom, so a reader can tell which server wrote. HTML is
 * escaped by the same helper the pages use (pages/html.ts).
 */
import { html, type SafeHtml } from '../pages/html.js';

export type MailLanguage = 'en' | 'ru';

export function mailLanguage(lang: string | null | undefined): MailLanguage {
  return lang === 'ru' ? 'ru' : 'en';
}

/** A mail ready to record and send. */
export interface ComposedMail {
  /** Which mail (mails.ts), as the outbox and the audit log name it. */
  kind: string;
  language: MailLanguage;
  subject: string;
  text: string;
  html: string;
}

export interface MailContent {
  kind: string;
  language: MailLanguage;
  subject: string;
  greeting: string;
  /** Paragraphs before the action. */
  lead: string[];
  action?: { label: string; url: string; fallback: string };
  /** Paragraphs after the action. */
  after: string[];
  /** "Sent by Gatehouse at {issuer}". */
  signature: string;
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif";

function htmlPart(c: MailContent): SafeHtml {
  const p = (text: string) => html`<p style="margin:0 0 16px;line-height:1.5">${text}</p>`;
  return html`<!doctype html>
<html lang="${c.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${c.subject}</title></head>
<body style="margin:0;padding:24px 12px;background:#f4f4f5;color:#18181b;font-family:${FONT};font-size:16px">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:28px 24px">
<p style="margin:0 0 24px;font-size:18px;font-weight:600">Gatehouse</p>
${p(c.greeting)}
${c.lead.map(p)}
${c.action ? html`<p style="margin:28px 0"><a href="${c.action.url}" style="display:inline-block;background:#1d4ed8;color:#ffffff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600">${c.action.label}</a></p>
<p style="margin:0 0 16px;font-size:14px;line-height:1.5;color:#52525b">${c.action.fallback}<br><a href="${c.action.url}" style="color:#1d4ed8;word-break:break-all">${c.action.url}</a></p>` : null}
${c.after.map(p)}
<p style="margin:24px 0 0;font-size:13px;color:#71717a">${c.signature}</p>
</div>
</body></html>`;
}

function textPart(c: MailContent): string {
  const blocks = [c.greeting, ...c.lead];
  if (c.action) blocks.push(`${c.action.label}:\n${c.action.url}`);
  blocks.push(...c.after, `-- \n${c.signature}`);
  return blocks.join('\n\n') + '\n';
}

export function compose(c: MailContent): ComposedMail {
  return { kind: c.kind, language: c.language, subject: c.subject, text: textPart(c), html: htmlPart(c).value };
}

/** Fills `{name}` placeholders. */
export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}
