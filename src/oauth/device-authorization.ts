/**
 * Starting a device authorization (RFC 8628 §3.1–3.2, Yandex's /device/code,
 * docs/protocol.md §5.1): the app gets a device code to poll with, the user gets a short
 * code to type on /device.
 */
import { randomFromAlphabet, randomToken, sha256Hex, type SecretHash } from '../crypto/random.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { parseDeviceParams } from './device-params.js';
import { resolveRequestedScopes } from './scopes.js';
import { newFamilyId } from './tokens.js';

/** No 0/O, 1/I: nothing a person could misread (docs/protocol.md §5.1). 32 symbols × 8 = 40 bits. */
export const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const USER_CODE_LENGTH = 8;
export const DEVICE_CODE_TTL_SECONDS = 300;
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_url: string;
  verification_uri: string;
  verification_uri_complete: string;
  interval: number;
  expires_in: number;
}

/** `XXXX-XXXX` for display. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What the person typed, reduced to the code itself: case and separators are
 * forgiven (RFC 8628 §6.1). Null when it cannot be a user code.
 */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 32) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

export function userCodeHash(normalized: string): SecretHash {
  return sha256Hex(`user_code:${normalized}`);
}

export async function startDeviceAuthorization(
  storage: Storage,
  clock: Clock,
  issuer: string,
  app: AppRecord,
  params: Readonly<Record<string, string | undefined>>,
): Promise<DeviceAuthorizationResponse> {
  const { scopes, optionalScopes } = resolveRequestedScopes(app, params);
  const device = parseDeviceParams(params);
  const deviceCode = randomToken(32);
  const now = clock();
  for (let attempt = 0; ; attempt++) {
    const userCode = randomFromAlphabet(USER_CODE_ALPHABET, USER_CODE_LENGTH);
    try {
      await storage.createDeviceCode({
        hash: sha256Hex(deviceCode),
        userCodeHash: userCodeHash(userCode),
        clientId: app.clientId,
        scopes,
        optionalScopes,
        deviceId: device.deviceId,
        deviceName: device.deviceName,
        status: 'pending',
        userId: null,
        grantedScopes: null,
        authTime: null,
        amr: [],
        intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
        lastPolledAt: null,
        familyId: newFamilyId(),
        createdAt: now,
        expiresAt: now + DEVICE_CODE_TTL_SECONDS * 1000,
        consumedAt: null,
      });
      const shown = formatUserCode(userCode);
      const verificationUri = `${issuer}/device`;
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_url: verificationUri,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${shown}`,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
        expires_in: DEVICE_CODE_TTL_SECONDS,
      };
    } catch (err) {
      // A user code still on record was drawn again (unique index): draw another.
      if (attempt >= 5) throw err;
    }
  }
}
