/**
 * `grant_type=device_code` (Yandex, with `code`) and
 * `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, with
 * `device_code`): the app polls until the user decides on /device.
 */
import { sha256Hex } from '../../crypto/random.js';
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, InvalidRequest, SlowDown } from '../errors.js';
import type { GrantHandler } from './grant.js';
import { chooseResource } from '../../resources/resources.js';

export const deviceCodeGrant: GrantHandler = async (ctx, client, params, meta) => {
  const { app } = client;
  const raw = params.device_code ?? params.code;
  if (!raw) throw new InvalidRequest('device_code is required');
  const now = ctx.clock();
  const poll = raw.length <= 512 ? await ctx.storage.pollDeviceCode(sha256Hex(raw), app.clientId, now) : null;
  if (!poll) throw new InvalidGrant('the device code is unknown');
  const { record } = poll;
  if (record.consumedAt !== null) throw new InvalidGrant('the device code was already used');
  if (record.expiresAt <= now) throw new ExpiredToken('the device code has expired: start again');
  // RFC 8628 §3.5: polling faster than the interval adds 5 seconds to it.
  if (poll.slowDown) throw new SlowDown(`polling too fast: wait at least ${record.intervalSeconds} seconds between requests`);
  if (record.status === 'pending') throw new AuthorizationPending('the user has not yet entered the code or decided');
  if (record.status === 'denied') throw new AccessDenied('the user denied the request');

  const won = await ctx.storage.consumeDeviceCode(record.hash, now);
  if (won.outcome !== 'consumed') throw new InvalidGrant('the device code was already used');
  const user = record.userId === null ? null : await ctx.storage.findUserById(record.userId);
  if (!user || user.status !== 'active') throw new InvalidGrant('the user who approved this code is no longer active');
  return ctx.tokens.issue({
    app,
    userId: user.id,
    scopes: record.grantedScopes ?? record.scopes,
    familyId: record.familyId,
    deviceId: record.deviceId,
    deviceName: record.deviceName,
    authTime: record.authTime,
    amr: record.amr,
    withRefresh: true,
    generation: record.generation,
    resource: await chooseResource(ctx.storage, params.resource, []),
    jkt: meta.dpopJkt ?? null,
  });
};
