/** The grants Gatehouse answers at /token, by `grant_type`. Adding a grant adds a row here. */
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant } from './device-code.js';
import type { GrantHandler } from './grant.js';
import { refreshTokenGrant } from './refresh-token.js';

export const GRANTS: ReadonlyMap<string, GrantHandler> = new Map([
  ['authorization_code', authorizationCodeGrant],
  ['refresh_token', refreshTokenGrant],
  ['client_credentials', clientCredentialsGrant],
  // Yandex ID's name, and RFC 8628's.
  ['device_code', deviceCodeGrant],
  ['urn:ietf:params:oauth:grant-type:device_code', deviceCodeGrant],
]);
