/** The frame every page shares: document head, logo, card, footer. */
import { html, trusted, type SafeHtml } from './html.js';
import type { Messages } from './messages/en.js';
import { lookOf } from '../organisation/branding.js';
import type { OrganisationLook } from '../organisation/organisation.js';

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
  /** `popup` renders compactly for the 640×720 instant-login window (docs/protocol.md §8). */
  display?: 'page' | 'popup';
  /** Signed-in pages with room for tables (account, console, admin): a top bar with navigation. */
  nav?: NavOptions;
  /** This page's path and query, for the language links (`?lang=`) in the footer. */
  here?: string;
  /** A wide card without the top bar (the button generator, also for visitors). */
  wide?: boolean;
  /** A page with Allow and Deny (parts.ts decisionButtons): assets/decision.js, in the head so it guards them from the start. */
  decision?: boolean;
  /** A page with copy buttons but no top bar (the recovery codes at sign-in): assets/pages.js. */
  copy?: boolean;
  /** A page script of Gatehouse's own (an immutable /sdk/v/… URL), loaded at the end of the page. */
  script?: string | null;
}

export type NavSection = 'account' | 'console' | 'admin';

export interface NavOptions {
  current: NavSection | null;
  csrf: string;
  showConsole: boolean;
  showAdmin: boolean;
}

export function layout(o: LayoutOptions): SafeHtml {
  const look = lookOf(o.msgs);
  return html`<!doctype html>
<html lang="${o.msgs.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${o.title} · ${o.msgs.productName}</title>
<link rel="stylesheet" href="/assets/gatehouse.css">
${look.colour ? html`<link rel="stylesheet" href="/assets/organisation.css?v=${look.colour.slice(1)}">` : null}
<link rel="icon" href="/assets/logo.svg" type="image/svg+xml">
${o.decision ? html`<script src="/assets/decision.js"></script>` : null}
</head>
<body class="${o.display === 'popup' ? 'popup' : 'page'}${o.nav ? ' wide' : ''}">
${o.nav ? topBar(o.msgs, o.nav) : null}
<main class="card${o.nav || o.wide ? ' wide' : ''}" id="content">
${o.nav ? null : html`<div class="brand">${logo(look)}<span>${o.msgs.productName}</span></div>`}
${o.body}
</main>
${footer(o.msgs, look, o.here)}
${o.nav || o.copy ? html`<script src="/assets/pages.js"></script>` : null}
${o.script ? html`<script src="${o.script}"></script>` : null}
</body>
</html>`;
}

function topBar(msgs: Messages, nav: NavOptions): SafeHtml {
  const link = (section: NavSection, href: string, label: string) =>
    html`<li><a href="${href}"${nav.current === section ? trusted(' aria-current="page"') : null}>${label}</a></li>`;
  return html`<a class="skip" href="#content">${msgs.skipToContent}</a>
<header class="topbar">
<a class="brand" href="/">${logo(lookOf(msgs))}<span>${msgs.productName}</span></a>
<nav aria-label="${msgs.navLabel}"><ul>
${link('account', '/account', msgs.navAccount)}
${nav.showConsole ? link('console', '/console', msgs.navConsole) : null}
${nav.showAdmin ? link('admin', '/admin', msgs.navAdmin) : null}
</ul></nav>
<form method="post" action="/logout" class="signout">${csrfField(nav.csrf)}<button type="submit">${msgs.signOut}</button></form>
</header>`;
}

/**
 * Where the language links go on a page that does not know its own address
 * (sign-in, consent, device, error pages): `sendPage` fills it in with the
 * request's (`withLanguageLinks`). Page text is escaped, so no input can make one.
 */
const SLOT = /<!--gatehouse:languages:([a-z]{2})-->/;

function languageSlot(msgs: Messages): SafeHtml {
  return trusted(`<!--gatehouse:languages:${msgs.lang}-->`);
}

/** The page with its language links pointing at `here` (this request's path and query), when it left a slot for them. */
export function withLanguageLinks(page: string, here: string, catalogue: (lang: string) => Messages | null): string {
  const slot = SLOT.exec(page);
  const msgs = slot ? catalogue(slot[1]!) : null;
  return slot && msgs ? page.replace(slot[0], languageLinks(msgs, here).value) : page;
}

/** Each language named in itself, marked with its own `lang` for screen readers. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = { en: 'English', ru: 'Русский' };

/** The organisation's logo (a same-origin picture), or Gatehouse's own drawn in the accent colour. */
function logo(look: OrganisationLook): SafeHtml {
  return look.logoUrl ? html`<img class="logo" src="${look.logoUrl}" alt="" width="40" height="40">` : LOGO_SVG;
}

/** The organisation's help, terms and privacy links, then the language links (or their slot, see `languageSlot`). */
function footer(msgs: Messages, look: OrganisationLook, here: string | undefined): SafeHtml {
  const support = look.support === null ? null : look.support.includes('@') && !look.support.includes('/') ? `mailto:${look.support}` : look.support;
  const links = [
    support ? html`<li><a href="${support}">${msgs.footerHelp}</a></li>` : null,
    look.termsUrl ? html`<li><a href="${look.termsUrl}">${msgs.footerTerms}</a></li>` : null,
    look.privacyUrl ? html`<li><a href="${look.privacyUrl}">${msgs.footerPrivacy}</a></li>` : null,
  ].filter((l) => l !== null);
  return html`<footer class="footer">${links.length ? html`<nav aria-label="${msgs.footerLabel}" class="organisation"><ul>${links}</ul></nav>` : null}${here !== undefined ? languageLinks(msgs, here) : languageSlot(msgs)}</footer>`;
}

function languageLinks(msgs: Messages, here: string): SafeHtml {
  const url = new URL(here, 'http://x');
  // One leading slash, whatever the address was: a link on this server, never `//elsewhere`.
  const path = `/${url.pathname.replace(/^[/\\]+/, '')}`;
  const links = Object.entries(LANGUAGE_NAMES).map(([lang, name]) => {
    url.searchParams.set('lang', lang);
    return lang === msgs.lang
      ? html`<li><span lang="${lang}" aria-current="true">${name}</span></li>`
      : html`<li><a href="${path + url.search}" lang="${lang}" hreflang="${lang}">${name}</a></li>`;
  });
  return html`<nav aria-label="${msgs.languageLabel}"><ul>${links}</ul></nav>`;
}

/** A hidden CSRF field; every form carries one (see http/csrf.ts). */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
