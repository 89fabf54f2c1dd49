/**
 * The parameters each API endpoint accepts, as schemas checked at the edge —
 * right after parsing, before any protocol code or storage sees them: every
 * value within its length and in the character set RFC 6749 Appendix A gives
 * it (VSCHAR, printable ASCII, for codes, tokens, client credentials and URIs;
 * device names follow `deviceNameProblem`: short, and nothing that changes how
 * the text around them reads). A value outside
 * its schema is `invalid_request` (RFC 6749 §5.2: "otherwise malformed"),
 * described by the parameter's name and never by its value. Parameters not
 * listed are ignored, as RFC 6749 §3.1 requires.
 *
 * What a well-formed value means — an unknown code, an unsupported grant type,
 * a scope the app may not ask for — stays with the protocol code, which
 * answers it with its own error (`invalid_grant`, `unsupported_grant_type`,
 * `invalid_scope`). `/authorize` checks its parameters in
 * `oauth/authorize/request.ts`, because whether an error goes back to the app
 * or is shown on a page depends on which parameters were valid.
 */
import { deviceNameProblem } from '../oauth/device-params.js';
import { InvalidRequest } from '../oauth/errors.js';
import { singleValued, type Params } from './params.js';

/**
 * What one parameter may be: printable ASCII and space (RFC 6749 Appendix A,
 * VSCHAR) of at most `vschar` characters, or a device name. Absent is fine
 * (the protocol code says what is required).
 */
type Rule = { readonly vschar: number } | 'device_name';

/** A parameter's rule, by the name the endpoint accepts it under, in the order they are checked. */
export type ParamSchema = readonly (readonly [name: string, rule: Rule])[];

/** Printable ASCII and space, at most `max` characters. */
const vschar = (max: number): Rule => ({ vschar: max });
/** A device name, by the rule the protocol code applies (`deviceNameProblem`, src/oauth/device-params.ts). */
const deviceName: Rule = 'device_name';
/** An endpoint's parameters and their rules, checked in the order written. */
const schema = (rules: Readonly<Record<string, Rule>>): ParamSchema => Object.freeze(Object.entries(rules));

/** The longest code or refresh token Gatehouse ever looks up: it issues 51 characters; Yandex-style clients send no more. */
const TOKEN = vschar(512);
/** An access token: opaque (51 characters) or an RFC 9068 JWT for a resource server (src/resources/jwt-access-token.ts). */
const ACCESS_TOKEN = vschar(4096);

const CLIENT = {
  client_id: vschar(128),
  client_secret: vschar(512),
  /** RFC 7521 §4.2; a JWT of a few hundred characters, a few thousand with an RSA key's certificate chain. */
  client_assertion: vschar(8192),
  client_assertion_type: vschar(256),
};

const DEVICE = {
  device_id: vschar(50),
  device_name: deviceName,
};

export const PARAMS = {
  token: schema({
    ...CLIENT,
    grant_type: vschar(256),
    code: TOKEN,
    redirect_uri: vschar(2048),
    code_verifier: vschar(256),
    refresh_token: TOKEN,
    device_code: TOKEN,
    scope: vschar(1024),
    /** RFC 8707 §2: the resource server the access token is for. */
    resource: vschar(2048),
    ...DEVICE,
  }),
  deviceCode: schema({ ...CLIENT, scope: vschar(1024), optional_scope: vschar(1024), ...DEVICE }),
  revoke: schema({ ...CLIENT, token: ACCESS_TOKEN, token_type_hint: vschar(64) }),
  revokeToken: schema({ ...CLIENT, access_token: ACCESS_TOKEN }),
  introspect: schema({ ...CLIENT, token: ACCESS_TOKEN, token_type_hint: vschar(64) }),
  /** `/par` (RFC 9126): the authorization request's own parameters are checked as /authorize checks them. */
  par: schema({ ...CLIENT, request_uri: vschar(2048), request: vschar(8192) }),
  /** `/info` and `/userinfo`: the token may come as a parameter (Yandex's `oauth_token`, RFC 6750's `access_token`). */
  resource: schema({ oauth_token: ACCESS_TOKEN, access_token: ACCESS_TOKEN, format: vschar(8), jwt_secret: vschar(512) }),
} as const;

const VSCHAR = /^[\x20-\x7e]*$/;

/** What is wrong with `value` under `rule`, if anything. A value that is not text (a JSON body's number or object) is never right. */
function problemOf(rule: Rule, value: unknown): 'too_long' | 'characters' | null {
  if (typeof value !== 'string') return 'characters';
  if (rule === 'device_name') return deviceNameProblem(value);
  if (value.length > rule.vschar) return 'too_long';
  return VSCHAR.test(value) ? null : 'characters';
}

/**
 * Parameters of one request: one value per name (`singleValued`), each within the endpoint's schema. The first
 * parameter in the schema's order that is not is refused, too long before bad characters.
 */
export function edgeParams(schema: ParamSchema, ...sources: unknown[]): Params {
  // One source (a form body) is most requests: its parameters as they are, without copying them into another object.
  const params: Params = sources.length === 1 ? singleValued(sources[0]) : Object.assign(Object.create(null) as Params, ...sources.map((s) => singleValued(s)));
  for (const [name, rule] of schema) {
    const value: unknown = params[name];
    if (value === undefined) continue;
    const problem = problemOf(rule, value);
    // The name comes from the schema: it is never input.
    if (problem !== null) throw new InvalidRequest(problem === 'too_long' ? `${name} is too long` : `${name} contains characters that are not allowed`);
  }
  return params;
}
