/**
 * The button generator (docs/protocol.md §8.1): choose the app, the view, theme, size,
 * corner radius and language; see the real button (Gatehouse's own frame, in
 * preview) on a light and a dark page; copy the code with one click. The form
 * is a GET form, so it works without JavaScript; the SDK build's
 * button-generator.js redraws the preview and the code as you choose.
 */
import {
  BUTTON_HEIGHTS, BUTTON_LANGS, BUTTON_SIZES, buttonBox, type ButtonOptions, type ButtonView, type CustomColour,
} from '../suggest/button-options.js';
import { pageSnippet, previewPath, siteOf, tokenPageSnippet } from '../suggest/snippet.js';
import { html, trusted, type SafeHtml } from './html.js';
import { layout, type NavOptions } from './layout.js';
import { formatHtml } from './parts.js';
import { format, type Messages } from './messages/en.js';

/** An app of the signed-in developer, as the generator offers it. */
export interface GeneratorApp {
  clientId: string;
  name: string;
  redirectUri: string | null;
  hostnames: string[];
}

export interface GeneratorChoice {
  clientId: string;
  kind: 'button' | 'widget';
  button: ButtonOptions;
  lang: string;
}

export interface GeneratorPageOptions {
  msgs: Messages;
  issuer: string;
  /** The signed-in developer's apps; null when nobody is signed in (a client_id field instead). */
  apps: GeneratorApp[] | null;
  choice: GeneratorChoice;
  nav: NavOptions | null;
  here: string;
  script: string;
}

/** `options`: value, text, and the text's language when it is not the page's (a language's own name), or `code` for a value shown as it is written in code. */
function select(name: string, label: string, options: [string, string, string?][], chosen: string): SafeHtml {
  const lang = (tag: string | undefined) => tag === 'code' ? trusted(' translate="no"') : tag ? html` lang="${tag}"` : null;
  return html`<label for="gen-${name}">${label}</label>
<select id="gen-${name}" name="${name}">${options.map(([value, text, tag]) => html`<option value="${value}"${lang(tag)}${value === chosen ? trusted(' selected') : null}>${text}</option>`)}</select>`;
}

function radios(name: string, legend: string, options: [string, string][], chosen: string): SafeHtml {
  return html`<fieldset class="choices"><legend>${legend}</legend>
${options.map(([value, text]) => html`<label class="check"><input type="radio" name="${name}" value="${value}"${value === chosen ? trusted(' checked') : null}> ${text}</label>`)}
</fieldset>`;
}

/** A colour of the iconBg view; only colours the user chose go into the code (`data-chosen`). */
function colourField(name: CustomColour, label: string, value: string | undefined, fallback: string): SafeHtml {
  const chosen = value !== undefined && /^#[0-9a-f]{6}$/i.test(value);
  return html`<label class="colour"><input type="color" name="${name}" value="${chosen ? value : fallback}"${chosen ? trusted(' data-chosen') : null}> ${label}</label>`;
}

function appField(o: GeneratorPageOptions): SafeHtml {
  const m = o.msgs;
  if (o.apps === null) {
    return html`<label for="gen-client_id">${m.generatorClientId}</label>
<input id="gen-client_id" name="client_id" value="${o.choice.clientId}" maxlength="32" spellcheck="false" autocomplete="off" placeholder="0123456789abcdef0123456789abcdef">
<p class="hint">${m.generatorClientIdHint}</p>`;
  }
  if (o.apps.length === 0) return html`<p class="hint">${m.generatorNoApps}</p>`;
  return html`<label for="gen-client_id">${m.generatorApp}</label>
<select id="gen-client_id" name="client_id">${o.apps.map((a) => html`<option value="${a.clientId}" data-redirect-uri="${a.redirectUri ?? ''}" data-hostnames="${a.hostnames.join(' ')}"${a.clientId === o.choice.clientId ? trusted(' selected') : null}>${a.name}</option>`)}</select>`;
}

function hostnameNote(m: Messages, clientId: string, hostnames: string[] | null): SafeHtml | null {
  if (hostnames === null) return null;
  return hostnames.length > 0
    ? html`<p class="hint" id="gen-hostnames">${formatHtml(m.generatorHostnames, { origins: html`<span translate="no">${hostnames.join(', ')}</span>` })}</p>`
    : html`<p class="alert" id="gen-hostnames">${format(m.generatorNoHostnames, { id: clientId })}</p>`;
}

export function buttonGeneratorPage(o: GeneratorPageOptions): SafeHtml {
  const m = o.msgs;
  const c = o.choice;
  const b = c.button;
  const app = o.apps?.find((a) => a.clientId === c.clientId) ?? null;
  const snippetOptions = { issuer: o.issuer, clientId: c.clientId || 'YOUR_CLIENT_ID', kind: c.kind, button: b, lang: c.lang, ...siteOf(app) };
  const { height, square } = buttonBox(b.view, b.size);
  const frame = (theme: 'light' | 'dark') => c.kind === 'widget'
    ? html`<iframe class="gen-frame" title="${m.generatorPreview}" src="${previewPath(c)}" width="360" height="200"></iframe>`
    : html`<iframe class="gen-frame" title="${m.generatorPreview} (${theme === 'light' ? m.generatorThemeLight : m.generatorThemeDark})" src="${previewPath(c)}" width="${square ? height : 300}" height="${height}"></iframe>`;
  const views: [ButtonView, string][] = [
    ['main', m.generatorViewMain], ['additional', m.generatorViewAdditional], ['icon', m.generatorViewIcon], ['iconBg', m.generatorViewIconBg],
  ];
  return layout({
    msgs: m,
    title: m.generatorTitle,
    nav: o.nav ?? undefined,
    here: o.here,
    wide: true,
    body: html`<h1>${m.generatorTitle}</h1>
<p class="subtitle">${m.generatorIntro}</p>
<div class="generator gen-kind-${c.kind}" id="generator" data-issuer="${o.issuer}">
<form class="form gen-form" method="get" action="/button-generator" id="gen-form">
${appField(o)}
${hostnameNote(m, c.clientId, app ? app.hostnames : null)}
${radios('kind', m.generatorKind, [['button', m.generatorKindButton], ['widget', m.generatorKindWidget]], c.kind)}
<div class="gen-button-options">
${select('buttonView', m.generatorButtonView, views, b.view)}
${radios('buttonTheme', m.generatorTheme, [['light', m.generatorThemeLight], ['dark', m.generatorThemeDark]], b.theme)}
${select('buttonSize', m.generatorSize, BUTTON_SIZES.map((s) => [s, `${s} · ${BUTTON_HEIGHTS[s]} px`, 'code']), b.size)}
<label for="gen-radius">${m.generatorRadius}</label>
<input id="gen-radius" name="buttonBorderRadius" type="number" min="0" max="28" step="1" value="${b.borderRadius}">
<fieldset class="choices gen-colours"><legend>${m.generatorColours}</legend>
${colourField('customBgColor', m.generatorBg, b.colours.customBgColor, '#eef1fb')}
${colourField('customBgHoveredColor', m.generatorBgHover, b.colours.customBgHoveredColor, '#dfe5f9')}
${colourField('customBorderColor', m.generatorBorder, b.colours.customBorderColor, '#3b5bdb')}
${colourField('customBorderHoveredColor', m.generatorBorderHover, b.colours.customBorderHoveredColor, '#2f4bc0')}
<label class="colour"><input type="number" name="customBorderWidth" min="0" max="8" value="${b.borderWidth ?? 0}"${b.borderWidth !== null ? trusted(' data-chosen') : null}> ${m.generatorBorderWidth}</label>
</fieldset>
</div>
${select('language', m.generatorLanguage, BUTTON_LANGS.map((l) => [l, l === 'en' ? 'English' : 'Русский', l]), c.lang)}
<noscript><button type="submit" class="primary">${m.generatorPreview}</button></noscript>
</form>
<section class="gen-preview" aria-labelledby="gen-preview-title">
<h2 id="gen-preview-title">${m.generatorPreview}</h2>
<div class="gen-stage gen-light"><span class="gen-stage-label">${m.generatorOnLight}</span>${frame('light')}</div>
<div class="gen-stage gen-dark"><span class="gen-stage-label">${m.generatorOnDark}</span>${frame('dark')}</div>
<p class="hint gen-widget-note">${m.generatorWidgetPreview}</p>
</section>
</div>
<section class="gen-code" aria-labelledby="gen-code-title">
<div class="gen-code-head"><h2 id="gen-code-title">${m.generatorCode}</h2><button type="button" class="primary copy" id="gen-copy" data-copied="${m.copied}">${m.generatorCopy}</button></div>
<h3>${m.generatorPageSnippet}</h3>
<pre tabindex="0"><code id="gen-page-snippet">${pageSnippet(snippetOptions)}</code></pre>
<h3>${m.generatorTokenSnippet}</h3>
<pre tabindex="0"><code id="gen-token-snippet">${tokenPageSnippet(snippetOptions)}</code></pre>
</section>
<script src="${o.script}"></script>`,
  });
}
