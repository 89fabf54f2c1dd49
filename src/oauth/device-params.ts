/** `device_id` and `device_name` (docs/protocol.md §3): identify the user's device so its tokens can be revoked per device. */
import { InvalidRequest } from './errors.js';

export interface DeviceInfo {
  deviceId: string | null;
  deviceName: string | null;
}

/** A device name is at most this many characters (code points): a name, not a sentence. */
export const DEVICE_NAME_MAX = 40;

/**
 * What no device name may hold. Whoever starts an authorization picks the
 * name, and people read it on Gatehouse's pages (/device, the consent page,
 * /account), so it may not change how the text around it reads: no controls,
 * no format characters (Unicode category Cf: bidi overrides, isolates and
 * marks, zero-width characters, soft hyphens), no private-use or unassigned
 * code points, no line or paragraph separators, and no space but U+0020
 * (UTR #36 §2.4 on bidi spoofing).
 */
const NOT_IN_A_NAME = /[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** Why `name` cannot be a device name, or null when it can. */
export function deviceNameProblem(name: string): 'too_long' | 'characters' | null {
  if ([...name].length > DEVICE_NAME_MAX) return 'too_long';
  if (NOT_IN_A_NAME.test(name) || name !== name.trim() || name.includes('  ')) return 'characters';
  return null;
}

export function parseDeviceParams(params: Readonly<Record<string, string | undefined>>): DeviceInfo {
  const deviceId = params.device_id || null;
  const deviceName = params.device_name || null;
  if (deviceId !== null && !/^[\x20-\x7e]{6,50}$/.test(deviceId)) {
    throw new InvalidRequest('device_id must be 6 to 50 printable ASCII characters');
  }
  const problem = deviceName === null ? null : deviceNameProblem(deviceName);
  if (problem === 'too_long') throw new InvalidRequest('device_name is too long');
  if (problem === 'characters') {
    throw new InvalidRequest(`device_name must be at most ${DEVICE_NAME_MAX} characters: letters, digits, marks, punctuation, symbols and single spaces`);
  }
  return { deviceId, deviceName: deviceId === null ? null : deviceName };
}
