/**
 * The look of the instant-login button (docs/protocol.md §8), in one place for the server
 * that renders the frames and the browser SDK that sizes them. Pure: no Node,
 * no DOM, so esbuild bundles it into the SDK unchanged.
 */

export const BUTTON_VIEWS = ['main', 'additional', 'icon', 'iconBg'] as const;
export const BUTTON_THEMES = ['light', 'dark'] as const;
export const BUTTON_SIZES = ['xs', 's', 'm', 'l', 'xl', 'xxl'] as const;
export const BUTTON_LANGS = ['en', 'ru'] as const;

export type ButtonView = (typeof BUTTON_VIEWS)[number];
export type ButtonTheme = (typeof BUTTON_THEMES)[number];
export type ButtonSize = (typeof BUTTON_SIZES)[number];
export type ButtonLang = (typeof BUTTON_LANGS)[number];

/** Heights of the `main`, `additional` and `iconBg` buttons (docs/protocol.md §8: 36–56 px). */
export const BUTTON_HEIGHTS: Readonly<Record<ButtonSize, number>> = { xs: 36, s: 40, m: 44, l: 48, xl: 52, xxl: 56 };
/** The `icon` view is the bare logo, smaller (docs/protocol.md §8: 28–48 px). */
export const ICON_HEIGHTS: Readonly<Record<ButtonSize, number>> = { xs: 28, s: 32, m: 36, l: 40, xl: 44, xxl: 48 };

/** The custom colours of the `iconBg` view, as `suggestParams` names them. */
export const CUSTOM_COLOURS = ['customBgColor', 'customBgHoveredColor', 'customBorderColor', 'customBorderHoveredColor'] as const;
export type CustomColour = (typeof CUSTOM_COLOURS)[number];

export interface ButtonOptions {
  view: ButtonView;
  theme: ButtonTheme;
  size: ButtonSize;
  /** Corner radius in px, 0 (default) to half the height. */
  borderRadius: number;
  colours: Partial<Record<CustomColour, string>>;
  /** `customBorderWidth`, px. */
  borderWidth: number | null;
}

/**
 * A CSS colour a site may pass: hex, rgb[a](), hsl[a]() of plain numbers, or
 * a colour keyword. Nothing else reaches a stylesheet (no `;`, `}`, `url(`).
 */
const COLOUR = /^(#[0-9a-f]{3,8}|(rgb|hsl)a?\([0-9.,%\s/deg]{1,60}\)|[a-z]{3,24})$/i;

export function isColour(value: string): boolean {
  return COLOUR.test(value);
}

function oneOf<T extends string>(values: readonly T[], value: unknown, fallback: T): T {
  return typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : fallback;
}

function pixels(value: unknown, max: number): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,3}(\.\d+)?$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.round(n), max) : null;
}

/** Reads button options leniently: unknown values fall back to the defaults, as a button must still render. */
export function parseButtonOptions(p: Readonly<Record<string, unknown>>): ButtonOptions {
  const view = oneOf(BUTTON_VIEWS, p.buttonView, 'main');
  const size = oneOf(BUTTON_SIZES, p.buttonSize, 'm');
  const colours: ButtonOptions['colours'] = {};
  for (const name of CUSTOM_COLOURS) {
    const v = p[name];
    if (typeof v === 'string' && isColour(v)) colours[name] = v;
  }
  return {
    view,
    theme: oneOf(BUTTON_THEMES, p.buttonTheme, 'light'),
    size,
    borderRadius: pixels(p.buttonBorderRadius, 100) ?? 0,
    colours,
    borderWidth: pixels(p.customBorderWidth, 8),
  };
}

/** The frame's box: `main` and `additional` fill the container's width; the icons are square. */
export function buttonBox(view: ButtonView, size: ButtonSize): { height: number; square: boolean } {
  if (view === 'icon') return { height: ICON_HEIGHTS[size], square: true };
  return { height: BUTTON_HEIGHTS[size], square: view === 'iconBg' };
}

/** The instant-login SDK's error codes (docs/protocol.md §8). */
export type SuggestErrorCode = 'in_progress' | 'timeout' | 'not_available' | 'denied' | 'blocked' | 'bad_origin' | 'close_widget';

/** Names of the frame URL's own parameters (the rest are the OAuth request's). */
export const FRAME_PARAMS = {
  /** The embedding page's origin, checked against the app's suggest hostnames. */
  location: 'location',
  /** A random id of one `init`, repeated in every message of its frame. */
  channel: 'sid',
  language: 'language',
} as const;

/** Every message between Gatehouse's frames and the SDK carries this tag. */
export const MESSAGE_TAG = 'gatehouse-suggest';
/** The name of the pop-up window a frame opens: Gatehouse's pages in it know a frame is waiting. */
export const POPUP_NAME = 'gatehouse_suggest';
export const POPUP_WIDTH = 640;
export const POPUP_HEIGHT = 720;
