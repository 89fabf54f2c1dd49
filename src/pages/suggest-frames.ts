/**
 * Gatehouse's instant-login frames inside a site's page (docs/protocol.md §8): the button
 * (`/suggest/button`) and the widget (`/suggest`), drawn here on the server
 * from the OAuth parameters and whether Gatehouse knows the user; and the
 * error frame that tells the SDK why it cannot be served. Their behaviour is
 * the SDK build's frame.js; their look is assets/suggest.css.
 */
import { markSvg } from '../suggest/brand.js';
import type { ButtonOptions } from '../suggest/button-options.js';
import type { UserRecord } from '../storage/storage.js';
import { html, trusted, type SafeHtml } from './html.js';
import { format, type Messages } from './messages/en.js';

/** Who the frame is personal for: what it may show of the user, nothing more. */
export interface FrameIdentity {
  /** "Log in as …": the first name, or the display name, or the login. */
  callName: string;
  fullName: string;
  initial: string;
  /** One of eight avatar colours, stable per user. */
  colour: number;
  /** The user's picture (docs/protocol.md §6's avatars, on Gatehouse's own origin), or null for the initial. */
  picture: string | null;
}

export function frameIdentity(user: UserRecord): FrameIdentity {
  const callName = user.firstName ?? user.displayName ?? user.login;
  let h = 0;
  for (const c of user.id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return {
    callName,
    fullName: user.displayName ?? user.login,
    initial: Array.from(callName)[0]?.toUpperCase() ?? '?',
    colour: h % 8,
    picture: user.avatarId ? `/avatars/${user.avatarId}/islands-retina-middle` : null,
  };
}

/** What the frame's script needs: where to send messages, the pop-up's address. */
export interface FrameConfig {
  /** The embedding page's verified origin: the only target of the frame's messages. */
  parentOrigin: string;
  channel: string;
  clientId: string;
  /** The pop-up's /authorize URL, relative to Gatehouse. */
  authorize: string;
  /** A preview on Gatehouse's own button generator: drawn, but does nothing when clicked. */
  preview?: boolean;
}

interface FrameShell {
  msgs: Messages;
  title: string;
  bodyClass: string;
  body: SafeHtml;
  config: FrameConfig | { error: string; description: string; parentOrigin: string; channel: string };
  /** A CSS rule set for the button's custom look; carried by a nonce'd style element. */
  style: { nonce: string; css: string } | null;
  script: string;
}

function configElement(config: FrameShell['config']): SafeHtml {
  if ('error' in config) {
    return html`<div id="gh-config" hidden data-error="${config.error}" data-description="${config.description}" data-parent-origin="${config.parentOrigin}" data-channel="${config.channel}"></div>`;
  }
  return html`<div id="gh-config" hidden data-parent-origin="${config.parentOrigin}" data-channel="${config.channel}" data-client-id="${config.clientId}" data-authorize="${config.authorize}" ${config.preview ? trusted('data-preview') : ''}></div>`;
}

function shell(o: FrameShell): SafeHtml {
  return html`<!doctype html>
<html lang="${o.msgs.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title}</title>
<link rel="stylesheet" href="/assets/suggest.css">
${o.style ? html`<style nonce="${o.style.nonce}">${trusted(o.style.css)}</style>` : null}
</head>
<body class="${o.bodyClass}">
${o.body}
${configElement(o.config)}
<script src="${o.script}"></script>
</body>
</html>`;
}

function avatar(who: FrameIdentity, size: 's' | 'l'): SafeHtml {
  return html`<span class="gh-avatar gh-avatar-${size} gh-c${who.colour}" aria-hidden="true">${who.picture ? html`<img src="${who.picture}" alt="">` : who.initial}</span>`;
}

/** The long and the short label; frame.js shows the short one when the long one does not fit. */
function label(long: string, short: string): SafeHtml {
  return html`<span class="gh-label"><span class="gh-long">${long}</span><span class="gh-short">${short}</span></span>`;
}

/**
 * The button's custom look as CSS: border radius, and the `iconBg` colours.
 * Every value was validated (suggest/button-options.ts), so none can break
 * out of its declaration.
 */
export function buttonCss(o: ButtonOptions): string {
  const vars: string[] = [`--gh-radius:${o.borderRadius}px`];
  const c = o.colours;
  if (c.customBgColor) vars.push(`--gh-bg:${c.customBgColor}`);
  if (c.customBgHoveredColor) vars.push(`--gh-bg-hover:${c.customBgHoveredColor}`);
  if (c.customBorderColor) vars.push(`--gh-border:${c.customBorderColor}`);
  if (c.customBorderHoveredColor) vars.push(`--gh-border-hover:${c.customBorderHoveredColor}`);
  if (o.borderWidth !== null) vars.push(`--gh-border-width:${o.borderWidth}px`);
  return `:root{${vars.join(';')}}`;
}

export interface ButtonFrameOptions {
  msgs: Messages;
  options: ButtonOptions;
  /** Null: "Log in with Gatehouse". */
  who: FrameIdentity | null;
  config: FrameConfig;
  styleNonce: string;
  script: string;
}

export function buttonFrame(o: ButtonFrameOptions): SafeHtml {
  const m = o.msgs;
  const b = o.options;
  // Only the main view is personal (docs/protocol.md §8); the others always say "Log in with Gatehouse".
  const who = b.view === 'main' ? o.who : null;
  const text = who ? format(m.suggestLogInAs, { name: who.callName }) : m.suggestLogIn;
  const iconOnly = b.view === 'icon' || b.view === 'iconBg';
  const classes = `gh-button gh-${b.view} gh-${b.theme} gh-${b.size}${who ? ' gh-personal' : ''}`;
  return shell({
    msgs: m,
    title: text,
    bodyClass: 'gh-frame gh-frame-button',
    style: { nonce: o.styleNonce, css: buttonCss(b) },
    script: o.script,
    config: o.config,
    body: iconOnly
      ? html`<button id="gh-button" type="button" class="${classes}" aria-label="${text}" title="${text}">${trusted(markSvg(48))}</button>`
      : html`<button id="gh-button" type="button" class="${classes}" title="${text}">${who ? avatar(who, 's') : trusted(markSvg(48))}${label(text, who ? who.callName : m.suggestShort)}</button>`,
  });
}

export interface WidgetFrameOptions {
  msgs: Messages;
  appName: string;
  who: FrameIdentity | null;
  config: FrameConfig;
  script: string;
}

/**
 * The widget's greeting, or its pitch when nobody is greeted. Both are always
 * drawn in one grid cell, the one not meant for this visitor invisible (and a
 * stand-in without a name or picture): the widget's height, which it reports
 * to the site's page, is then the same whether it greets someone or not, so
 * the site cannot tell (the name is one line of fixed height).
 */
function intro(m: Messages, appName: string, who: FrameIdentity | null): SafeHtml {
  const pitch = html`<p class="gh-pitch${who ? ' gh-stand-in' : ''}"${who ? trusted(' aria-hidden="true"') : ''}>${format(m.suggestWidgetPitch, { app: appName })}</p>`;
  const greeting = who
    ? html`<div class="gh-who">${avatar(who, 'l')}<div class="gh-who-text"><strong>${who.fullName}</strong><span>${format(m.signInTo, { app: appName })}</span></div></div>`
    : html`<div class="gh-who gh-stand-in" aria-hidden="true"><span class="gh-avatar gh-avatar-l"></span><div class="gh-who-text"><strong>${m.productName}</strong><span>${format(m.signInTo, { app: appName })}</span></div></div>`;
  return html`<div class="gh-intro">${pitch}${greeting}</div>`;
}

export function widgetFrame(o: WidgetFrameOptions): SafeHtml {
  const m = o.msgs;
  const who = o.who;
  const text = who ? format(m.suggestLogInAs, { name: who.callName }) : m.suggestLogIn;
  const close = trusted('<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>');
  return shell({
    msgs: m,
    title: text,
    bodyClass: 'gh-frame gh-frame-widget',
    style: null,
    script: o.script,
    config: o.config,
    body: html`<section class="gh-widget" aria-label="${m.productName}">
<header class="gh-widget-head"><span class="gh-brand">${trusted(markSvg(24))}<span>${m.productName}</span></span>
<button id="gh-close" class="gh-close" type="button" aria-label="${m.suggestClose}" title="${m.suggestClose}">${close}</button></header>
${intro(m, o.appName, who)}
<button id="gh-button" type="button" class="gh-button gh-main gh-light gh-l${who ? ' gh-personal' : ''}">${trusted(markSvg(48))}${label(text, who ? who.callName : m.suggestShort)}</button>
</section>`,
  });
}

/** Says why the frame cannot serve this page; frame.js passes it on to the SDK, which rejects with the code. */
export function errorFrame(msgs: Messages, o: { code: string; description: string; parentOrigin: string; channel: string; script: string }): SafeHtml {
  return shell({
    msgs,
    title: msgs.errorTitle,
    bodyClass: 'gh-frame gh-frame-error',
    style: null,
    script: o.script,
    body: html``,
    config: { error: o.code, description: o.description, parentOrigin: o.parentOrigin, channel: o.channel },
  });
}
