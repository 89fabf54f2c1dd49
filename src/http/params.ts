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
 * Parameter names an error may mention: Gatehouse's own words. Any other name
 * is input, and error descriptions never repeat input (RFC 6749 §5.2; it could
 * carry CR/LF, quotes or markup into a header, a redirect or a page).
 */
const NAMED_PARAMETERS = new Set([
  'client_id', 'client_secret', 'grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'device_code',
  'scope', 'optional_scope', 'state', 'response_type', 'response_mode', 'nonce', 'prompt', 'display', 'login_hint',
  'max_age', 'ui_locales', 'force_confirm', 'code_challenge', 'code_challenge_method', 'device_id', 'device_name',
  'token', 'token_type_hint', 'access_token', 'oauth_token', 'format', 'jwt_secret', 'csrf', 'decision',
  'client_assertion', 'client_assertion_type', 'resource',
]);

/** "parameter scope was sent more than once", or without the name when the name is not one of Gatehouse's. */
function sentTwice(name: string): InstanceType<typeof InvalidRequest> {
  return new InvalidRequest(NAMED_PARAMETERS.has(name) ? `parameter ${name} was sent more than once` : 'a parameter was sent more than once');
}

/**
 * One value per name. Parameters sent more than once are refused, except
 * those listed in `repeatable` (form checkboxes), which are returned joined by
 * spaces. Empty values count as absent (RFC 6749 §3.1).
 */
export function singleValued(raw: unknown, repeatable: readonly string[] = []): Params {
  const out: Params = Object.create(null);
  if (raw === null || typeof raw !== 'object') return out;
  const params = raw as RawParams;
  for (const key of Object.keys(params)) {
    const value = params[key]!;
    if (Array.isArray(value)) {
      if (!repeatable.includes(key)) throw sentTwice(key);
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
