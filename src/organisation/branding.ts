/**
 * The organisation's look applied to pages: its name in place of "Gatehouse"
 * in every message, and its colour as the pages' accent, adjusted so that
 * links and buttons keep a 4.5:1 contrast (WCAG 2.1 §1.4.3) on the light and
 * the dark card alike.
 */
import type { Messages } from '../pages/messages/en.js';
import { DEFAULT_LOOK, PRODUCT_NAME, type OrganisationLook } from './organisation.js';

/** Which look a catalogue was branded with; a plain catalogue has the default look. */
const looks = new WeakMap<object, OrganisationLook>();
/** Branded catalogues by language and look; looks change rarely, so this stays small. */
const branded = new Map<string, Messages>();

function rename<T>(value: T, name: string): T {
  if (typeof value === 'string') return value.replace(/\bGatehouse\b/g, () => name) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => rename(v, name)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, name)])) as T;
  }
  return value;
}

/** The catalogue with the organisation's name where "Gatehouse" stood, remembered with its look. */
export function brandMessages(msgs: Messages, look: OrganisationLook): Messages {
  if (look === DEFAULT_LOOK) return msgs;
  const key = `${msgs.lang}\n${JSON.stringify(look)}`;
  let out = branded.get(key);
  if (!out) {
    if (branded.size > 50) branded.clear();
    // The settings page itself speaks of the product these settings rename.
    out = look.name === PRODUCT_NAME ? { ...msgs } : { ...rename(msgs, look.name), organisation: msgs.organisation };
    looks.set(out, look);
    branded.set(key, out);
  }
  return out;
}

export function lookOf(msgs: Messages): OrganisationLook {
  return looks.get(msgs) ?? DEFAULT_LOOK;
}

type Rgb = [number, number, number];

const parse = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const toHex = (c: Rgb) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Moves `colour` towards `target` (black or white) until it has 4.5:1 against `background`. */
function readableOn(colour: Rgb, background: Rgb, target: Rgb): Rgb {
  for (let step = 0; step <= 20; step++) {
    const t = step / 20;
    const mixed = colour.map((v, i) => v + (target[i]! - v) * t) as Rgb;
    if (contrast(mixed, background) >= 4.6) return mixed;
  }
  return target;
}

const LIGHT_CARD: Rgb = [255, 255, 255];
const DARK_CARD: Rgb = [0x1c, 0x1f, 0x27];
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

function accents(colour: Rgb, card: Rgb, towards: Rgb): string {
  const accent = readableOn(colour, card, towards);
  const hover = accent.map((v, i) => v + (towards[i]! - v) * 0.15) as Rgb;
  const text = contrast(accent, WHITE) >= contrast(accent, BLACK) ? WHITE : [0x0d, 0x10, 0x20] as Rgb;
  return `--accent: ${toHex(accent)}; --accent-hover: ${toHex(hover)}; --accent-text: ${toHex(text)}; --focus: ${toHex(accent)};`;
}

/** /assets/organisation.css: the brand colour as the pages' accent, or nothing. */
export function organisationCss(look: OrganisationLook): string {
  if (!look.colour) return '/* no brand colour set */\n';
  const colour = parse(look.colour);
  return `:root { ${accents(colour, LIGHT_CARD, BLACK)} }\n@media (prefers-color-scheme: dark) { :root { ${accents(colour, DARK_CARD, WHITE)} } }\n`;
}
