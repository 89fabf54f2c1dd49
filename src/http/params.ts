/**
 * Query strings and form bodies, parsed the same way: every parameter once
 * (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more
 * than once"). Duplicates are kept visible so endpoints can refuse them.
 */
import { InvalidRequest } from '../oauth/errors.js';

export type RawParams = Record<string, string | string[]>;
export type Params = Record<string, string | undefined>;

export function parseUrlEncoded(source: string): RawParams {
  const out: RawParams = Object.create(null);
  for (const [key, value] of new URLSearchParams(source)) {
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  }
  return out;
}

/**
 * One value per name. Parameters sent more than once are refused, except
 * those listed in `repeatable` (form checkboxes), which are returned joined by
 * spaces. Empty values count as absent (RFC 6749 §3.1).
 */
export function singleValued(raw: unknown, repeatable: readonly string[] = []): Params {
  const out: Params = Object.create(null);
  if (raw === null || typeof raw !== 'object') return out;
  for (const [key, value] of Object.entries(raw as RawParams)) {
    if (Array.isArray(value)) {
      if (!repeatable.includes(key)) throw new InvalidRequest(`parameter ${key.slice(0, 40)} was sent more than once`);
      out[key] = value.join(' ');
    } else if (value !== '') {
      out[key] = value;
    }
  }
  return out;
}

/** `singleValued` for pages that must render whatever comes (the instant-login frames): a repeated parameter counts as absent. */
export function lenientParams(raw: unknown): Params {
  try {
    return singleValued(raw);
  } catch {
    return Object.create(null) as Params;
  }
}
