/** The frame every page shares: document head, logo, card, footer. */
import { html, trusted, type SafeHtml } from './html.js';
import type { Messages } from './messages/en.js';

export const LOGO_SVG = trusted(
  '<svg class="logo" viewBox="0 0 48 48" width="40" height="40" aria-hidden="true" focusable="false">' +
    '<rect width="48" height="48" rx="12" fill="currentColor"/>' +
    '<path d="M14 38V20l10-8 10 8v18h-7v-9a3 3 0 0 0-6 0v9z" fill="var(--logo-fg, #fff)"/>' +
    '</svg>',
);

export interface LayoutOptions {
  msgs: Messages;
  title: string;
  body: SafeHtml;
  /** `popup` renders compactly for the 640×720 instant-login window (SPEC §8). */
  display?: 'page' | 'popup';
}

export function layout(o: LayoutOptions): SafeHtml {
  return html`<!doctype html>
<html lang="${o.msgs.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${o.title} · ${o.msgs.productName}</title>
<link rel="stylesheet" href="/assets/gatehouse.css">
<link rel="icon" href="/assets/logo.svg" type="image/svg+xml">
</head>
<body class="${o.display === 'popup' ? 'popup' : 'page'}">
<main class="card">
<div class="brand">${LOGO_SVG}<span>${o.msgs.productName}</span></div>
${o.body}
</main>
</body>
</html>`;
}

/** A hidden CSRF field; every form carries one (see http/csrf.ts). */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
