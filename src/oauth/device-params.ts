/** `device_id` and `device_name` (SPEC §3): identify the user's device so its tokens can be revoked per device. */
import { InvalidRequest } from './errors.js';

export interface DeviceInfo {
  deviceId: string | null;
  deviceName: string | null;
}

export function parseDeviceParams(params: Readonly<Record<string, string | undefined>>): DeviceInfo {
  const deviceId = params.device_id || null;
  const deviceName = params.device_name || null;
  if (deviceId !== null && !/^[\x20-\x7e]{6,50}$/.test(deviceId)) {
    throw new InvalidRequest('device_id must be 6 to 50 printable ASCII characters');
  }
  if (deviceName !== null && (deviceName.length > 100 || /[\u0000-\u001f\u007f]/.test(deviceName))) {
    throw new InvalidRequest('device_name must be at most 100 printable characters');
  }
  return { deviceId, deviceName: deviceId === null ? null : deviceName };
}
