/**
 * Gatehouse's mark, drawn once for every place that shows it outside the
 * pages' stylesheet: the frames' buttons and the SDK's fallback button. A gate
 * (an arched doorway under a pitched roof) on a rounded square.
 */
export const BRAND_COLOUR = '#3b5bdb';
/** The square, in a 48-unit box. */
export const MARK_SQUARE = { size: 48, radius: 12 } as const;
/** The gate, filled with white on the square. */
export const MARK_GATE_PATH = 'M14 38V20l10-8 10 8v18h-7v-9a3 3 0 0 0-6 0v9z';

/** The mark as SVG markup (trusted: no input goes in). */
export function markSvg(size: number, className = 'gh-mark'): string {
  return `<svg class="${className}" viewBox="0 0 48 48" width="${size}" height="${size}" aria-hidden="true" focusable="false">` +
    `<rect width="48" height="48" rx="${MARK_SQUARE.radius}" fill="${BRAND_COLOUR}"/>` +
    `<path d="${MARK_GATE_PATH}" fill="#fff"/></svg>`;
}
