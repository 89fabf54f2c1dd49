/**
 * The code a site pastes (docs/protocol.md §8.1): the page with the button or the widget,
 * and the token page. Pure, so the button generator shows the same snippet
 * when the server draws the page and when its script redraws it live.
 */
import type { ButtonOptions } from './button-options.js';

export interface SnippetOptions {
  issuer: string;
  clientId: string;
  kind: 'button' | 'widget';
  button: ButtonOptions;
  lang: string;
  /** The site's token page; the app's first redirect URI. */
  redirectUri: string;
  /** The site's origin: where the token page posts the token. */
  origin: string;
}

/** A JavaScript string literal that is also safe inside an HTML script element. */
const js = (value: string | number) => JSON.stringify(value).replace(/</g, '\\u003c');

function customLook(b: ButtonOptions): [string, string | number][] {
  const entries: [string, string | number][] = Object.entries(b.colours);
  if (b.borderWidth !== null) entries.push(['customBorderWidth', b.borderWidth]);
  return entries;
}

export function pageSnippet(o: SnippetOptions): string {
  const b = o.button;
  const suggest: [string, string | number][] =
    o.kind === 'widget'
      ? [['lang', o.lang]]
      : [
          ['view', 'button'], ['parentId', 'gatehouse-login'], ['buttonView', b.view], ['buttonTheme', b.theme],
          ['buttonSize', b.size], ['buttonBorderRadius', b.borderRadius],
          ...(b.view === 'iconBg' ? customLook(b) : []),
          ['lang', o.lang],
        ];
  return [
    `<script src=${js(`${o.issuer}/sdk/suggest.js`)}></script>`,
    ...(o.kind === 'button' ? ['', '<div id="gatehouse-login"></div>'] : []),
    '<script>',
    '  Gatehouse.suggest.init(',
    '    {',
    `      client_id: ${js(o.clientId)},`,
    '      response_type: "token",',
    `      redirect_uri: ${js(o.redirectUri)}`,
    '    },',
    `    ${js(o.origin)},`,
    '    {',
    suggest.map(([k, v]) => `      ${k}: ${js(v)}`).join(',\n'),
    '    }',
    '  )',
    '    .then(({ handler }) => handler())',
    '    .then((data) => console.log("Token", data))',
    '    .catch((error) => console.log("Not signed in", error));',
    '</script>',
  ].join('\n');
}

export function tokenPageSnippet(o: Pick<SnippetOptions, 'issuer' | 'origin'>): string {
  return [
    `<script src=${js(`${o.issuer}/sdk/suggest-token.js`)}></script>`,
    '<script>',
    `  YaSendSuggestToken(${js(o.origin)}, {});`,
    '</script>',
  ].join('\n');
}

/** What the generator's preview frame shows: Gatehouse's real button, drawn for Gatehouse's own page. */
export interface PreviewChoice {
  clientId: string;
  kind: 'button' | 'widget';
  button: ButtonOptions;
  lang: string;
}

export function previewPath(choice: PreviewChoice): string {
  const b = choice.button;
  const q = new URLSearchParams({ preview: '1', client_id: choice.clientId, language: choice.lang });
  if (choice.kind === 'widget') return `/suggest?${q.toString()}`;
  q.set('buttonView', b.view);
  q.set('buttonTheme', b.theme);
  q.set('buttonSize', b.size);
  q.set('buttonBorderRadius', String(b.borderRadius));
  for (const [name, value] of Object.entries(b.colours)) q.set(name, value);
  if (b.borderWidth !== null) q.set('customBorderWidth', String(b.borderWidth));
  return `/suggest/button?${q.toString()}`;
}

const PLACEHOLDER_ORIGIN = 'https://your.site';

/** The token page and the site the snippet names: the app's, or placeholders to edit. */
export function siteOf(app: { redirectUri: string | null; hostnames: string[] } | null): { redirectUri: string; origin: string } {
  const origin = app?.hostnames[0] ?? PLACEHOLDER_ORIGIN;
  return { redirectUri: app?.redirectUri ?? `${origin}/suggest/token`, origin };
}
