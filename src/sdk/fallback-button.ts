/**
 * The local login button the SDK draws when Gatehouse's frame does not answer
 * within 5 s (docs/protocol.md §8): not personal, but the same size, colours and mark, and
 * it opens the pop-up directly. Built with DOM calls and CSSOM styles only, so
 * it works under the site's CSP (no inline markup, no style attributes).
 */
import { BRAND_COLOUR, MARK_GATE_PATH, MARK_SQUARE } from '../suggest/brand';
import { buttonBox, type ButtonOptions } from '../suggest/button-options';

function svg(tag: string, attributes: Record<string, string | number>): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const name of Object.keys(attributes)) el.setAttribute(name, String(attributes[name]));
  return el;
}

/** Draws the button into `container` (emptied first); `onClick` opens the pop-up. */
export function drawLocalButton(container: HTMLElement, o: ButtonOptions, words: { logIn: string; short: string }, onClick: () => void): void {
  const { height, square } = buttonBox(o.view, o.size);
  const dark = o.theme === 'dark';
  const ink = dark ? '#ffffff' : '#1b1e27';
  const button = document.createElement('button');
  button.type = 'button';
  const s = button.style;
  Object.assign(s, {
    boxSizing: 'border-box', height: `${height}px`, width: square ? `${height}px` : '100%', display: 'flex',
    alignItems: 'center', justifyContent: 'center', gap: '10px', padding: square ? '0' : '0 16px', cursor: 'pointer',
    borderRadius: `${o.borderRadius}px`, font: `600 ${Math.round(height / 3 + 2)}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`,
    border: '0', background: 'transparent', color: ink, whiteSpace: 'nowrap', overflow: 'hidden',
  });
  if (o.view === 'main') Object.assign(s, { background: dark ? '#ffffff' : '#1b1e27', color: dark ? '#1b1e27' : '#ffffff' });
  if (o.view === 'additional') Object.assign(s, { background: dark ? '#000000' : '#ffffff', border: `1px solid ${dark ? '#e8eaf0' : '#1b1e27'}` });
  if (o.view === 'iconBg') {
    Object.assign(s, {
      background: o.colours.customBgColor || (dark ? '#262b3a' : '#eef1fb'),
      border: `${o.borderWidth ?? 0}px solid ${o.colours.customBorderColor || 'transparent'}`,
    });
  }
  const mark = svg('svg', { viewBox: '0 0 48 48', width: Math.round(height * 0.55), height: Math.round(height * 0.55), 'aria-hidden': 'true' });
  mark.appendChild(svg('rect', { width: MARK_SQUARE.size, height: MARK_SQUARE.size, rx: MARK_SQUARE.radius, fill: BRAND_COLOUR }));
  mark.appendChild(svg('path', { d: MARK_GATE_PATH, fill: '#fff' }));
  button.appendChild(mark);
  if (square) button.setAttribute('aria-label', words.logIn);
  else button.appendChild(document.createTextNode(container.clientWidth > 0 && container.clientWidth < 200 ? words.short : words.logIn));
  button.addEventListener('click', onClick);
  container.textContent = '';
  container.appendChild(button);
}
