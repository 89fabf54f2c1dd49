/**
 * Paging by opaque cursor: a list answers `next_cursor`, which the client
 * sends back as `cursor` for the next page. Inside it is the position of the
 * last item in the list's fixed order (keyset paging), so items created or
 * deleted meanwhile neither repeat nor shift the pages; clients must not read
 * or build it.
 */
import { z } from 'zod';
import { ApiProblem } from './problem.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE)
    .meta({ description: `At most this many items (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE})` }),
  cursor: z.string().max(200).optional().meta({ description: 'The next_cursor of the previous page' }),
};

/** The list answer: items and the cursor of the next page, null on the last. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().meta({ description: 'Send as cursor for the next page; null when this is the last' }),
  }).meta({ id });
}

export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in a cursor, shaped as `shape` says; a cursor that is not one of ours is an invalid request. */
export function decodeCursor<T extends z.ZodType>(cursor: string, shape: T): z.output<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = shape.safeParse(parsed);
  if (!result.success) throw new ApiProblem('invalid-request', 'the cursor is not one this list gave', [{ pointer: '/query/cursor', detail: 'unknown cursor' }]);
  return result.data;
}

/**
 * One page from a lister asked for one item more than the page holds: the
 * extra one only says there is a next page, whose cursor is the last item's position.
 */
export function page<R, T>(rows: R[], limit: number, view: (row: R) => T, position: (row: R) => (string | number)[]): { items: T[]; next_cursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return { items: shown.map(view), next_cursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}
