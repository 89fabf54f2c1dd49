/**
 * button-generator.js — the button generator page's script (docs/protocol.md §8.1):
 * redraws the preview (Gatehouse's real button frame) and the code as the
 * form changes, keeps the choice in the address, and copies the code with one
 * click. The page works without it, as a GET form.
 */
import { buttonBox, CUSTOM_COLOURS, parseButtonOptions } from '../suggest/button-options';
import { pageSnippet, previewPath, siteOf, tokenPageSnippet, type PreviewChoice } from '../suggest/snippet';

const root = document.getElementById('generator') as HTMLElement;
const form = document.getElementById('gen-form') as HTMLFormElement;
const frames = Array.from(document.querySelectorAll<HTMLIFrameElement>('.gen-frame'));
const pageCode = document.getElementById('gen-page-snippet') as HTMLElement;
const tokenCode = document.getElementById('gen-token-snippet') as HTMLElement;
const copy = document.getElementById('gen-copy') as HTMLButtonElement;
const issuer = root.dataset.issuer as string;
const copyLabel = copy.textContent;

function field(name: string): HTMLInputElement | HTMLSelectElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
}

/** The form as the server reads its query: custom colours only once the user chose them. */
function formParams(): Record<string, string> {
  const params: Record<string, string> = {};
  new FormData(form).forEach((value, name) => {
    params[name] = String(value);
  });
  for (const name of [...CUSTOM_COLOURS, 'customBorderWidth']) if (field(name)?.dataset.chosen === undefined) delete params[name];
  return params;
}

function choice(params: Record<string, string>): PreviewChoice {
  return {
    clientId: params.client_id ?? '',
    kind: params.kind === 'widget' ? 'widget' : 'button',
    button: parseButtonOptions(params),
    lang: params.language ?? 'en',
  };
}

/** The chosen app's token page and sites, from its option in the app list. */
function chosenApp(): { redirectUri: string | null; hostnames: string[] } | null {
  const select = field('client_id');
  if (!(select instanceof HTMLSelectElement)) return null;
  const option = select.selectedOptions[0];
  if (!option) return null;
  return { redirectUri: option.dataset.redirectUri || null, hostnames: (option.dataset.hostnames ?? '').split(' ').filter(Boolean) };
}

function snippets(c: PreviewChoice): { page: string; token: string } {
  const options = { issuer, clientId: c.clientId || 'YOUR_CLIENT_ID', kind: c.kind, button: c.button, lang: c.lang, ...siteOf(chosenApp()) };
  return { page: pageSnippet(options), token: tokenPageSnippet(options) };
}

function redraw(): void {
  const params = formParams();
  const c = choice(params);
  root.classList.toggle('gen-kind-widget', c.kind === 'widget');
  root.classList.toggle('gen-kind-button', c.kind === 'button');
  const src = previewPath(c);
  const { height, square } = buttonBox(c.button.view, c.button.size);
  for (const frame of frames) {
    const [width, frameHeight] = c.kind === 'widget' ? [360, 200] : [square ? height : 300, height];
    frame.width = String(width);
    frame.height = String(frameHeight);
    if (frame.getAttribute('src') !== src) frame.src = src;
  }
  const code = snippets(c);
  pageCode.textContent = code.page;
  tokenCode.textContent = code.token;
  history.replaceState(null, '', `${location.pathname}?${new URLSearchParams(params).toString()}`);
}

form.addEventListener('input', (event) => {
  const target = event.target as HTMLInputElement;
  if ([...CUSTOM_COLOURS, 'customBorderWidth'].includes(target.name)) target.dataset.chosen = '';
  redraw();
});
// Another app: the server says which sites may show its button.
field('client_id')?.addEventListener('change', (event) => {
  if (event.target instanceof HTMLSelectElement) form.submit();
});
form.addEventListener('submit', () => {
  for (const name of [...CUSTOM_COLOURS, 'customBorderWidth']) {
    const input = field(name);
    if (input && input.dataset.chosen === undefined) input.disabled = true;
  }
});

copy.addEventListener('click', () => {
  const text = `${pageCode.textContent ?? ''}\n\n<!-- The token page -->\n${tokenCode.textContent ?? ''}\n`;
  const done = () => {
    copy.textContent = copy.dataset.copied ?? copyLabel;
    setTimeout(() => {
      copy.textContent = copyLabel;
    }, 2000);
  };
  navigator.clipboard.writeText(text).then(done, () => {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
    done();
  });
});

redraw();
