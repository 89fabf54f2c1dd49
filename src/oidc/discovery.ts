/**
 * Server metadata (OIDC Discovery 1.0 §3, RFC 8414 §2): exactly what Gatehouse
 * supports, so client libraries configure themselves from it.
 */
import { ACR_VALUES } from '../accounts/authentication.js';
import { ASSERTION_KEY_ALGS, ASSERTION_SECRET_ALGS } from '../apps/client-keys.js';
import { DPOP_ALGS } from '../oauth/dpop.js';
import { GRANTS } from '../oauth/grants/index.js';
import { OFFLINE_ACCESS, SCOPE_CATALOGUE } from '../oauth/scopes.js';
import { SIGNING_ALGS } from './keys.js';
import { LANGUAGES } from '../pages/messages/index.js';
import { STANDARD_CLAIMS } from './userinfo.js';

/** Client authentication at every endpoint that authenticates clients (src/oauth/client-auth.ts). */
const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'];
const CLIENT_AUTH_ALGS = [...ASSERTION_KEY_ALGS.filter((a) => a !== 'Ed25519'), ...ASSERTION_SECRET_ALGS];

/** `registration`: whether `POST /register` is open to anyone or with a token; `off` leaves it out. */
export function serverMetadata(issuer: string, options: { registration?: 'off' | 'token' | 'open' } = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    device_authorization_endpoint: `${issuer}/device/code`,
    end_session_endpoint: `${issuer}/logout`,
    // RFC 9126 §5: PAR is offered to every app; an app may require it for itself.
    pushed_authorization_request_endpoint: `${issuer}/par`,
    require_pushed_authorization_requests: false,
    scopes_supported: [...SCOPE_CATALOGUE.map((s) => s.name), OFFLINE_ACCESS],
    response_types_supported: ['code', 'token', 'id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    // RFC 8414 §2: a listed value replaces the default ["authorization_code", "implicit"], so implicit
    // (response_type token and id_token) is named; Yandex's short `device_code` alias is not a registered grant type.
    grant_types_supported: ['authorization_code', 'implicit', ...[...GRANTS.keys()].filter((g) => g !== 'authorization_code' && g !== 'device_code')],
    code_challenge_methods_supported: ['S256', 'plain'],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH, 'none'],
    token_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_ALGS,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH, 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_ALGS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_ALGS,
    ...(options.registration && options.registration !== 'off' ? { registration_endpoint: `${issuer}/register` } : {}),
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'acr', 'amr', ...STANDARD_CLAIMS],
    acr_values_supported: [...ACR_VALUES],
    claim_types_supported: ['normal'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    ui_locales_supported: LANGUAGES,
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    // RFC 9449 §5.1.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  };
}
