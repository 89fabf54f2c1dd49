/**
 * Every migration, in order. Each lives in its own file and is written with
 * Kysely's schema builder, so one file serves SQLite and PostgreSQL alike and
 * the two engines cannot drift apart. Add new ones at the end; never edit one
 * that has shipped.
 */
import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as deviceCodes from './0002-device-codes-and-limits.js';
import * as oidcAppSettings from './0003-oidc-app-settings.js';
import * as revokedFamilies from './0004-revoked-families.js';
import * as suggestGrants from './0005-suggest-grants.js';
import * as auditLog from './0006-audit-log.js';
import * as images from './0007-images.js';
import * as appTrust from './0008-app-trust.js';
import * as revocationMarks from './0009-revocation-marks.js';
import * as introspection from './0011-introspection.js';
import * as signingKeyActivation from './0012-signing-key-activation.js';
import * as sessionActivityAndAuditCounts from './0013-session-activity-and-audit-counts.js';
import * as mailAndConfirmedAddresses from './0015-mail-and-confirmed-addresses.js';
import * as authenticationMethods from './0016-authentication-methods.js';
import * as twoStep from './0017-two-step.js';
import * as passkeys from './0018-passkeys.js';
import * as appTwoStep from './0019-app-two-step.js';
import * as upstreams from './0021-upstreams.js';
import * as settings from './0022-settings.js';
import * as dpopAndPar from './0023-dpop-and-par.js';
import * as clientKeysAndRegistration from './0025-client-keys-and-registration.js';
import * as resourceServers from './0026-resource-servers.js';
import * as apiIdempotency from './0027-api-idempotency.js';
import * as webhooks from './0028-webhooks.js';
import * as rowVersions from './0029-row-versions.js';
import * as codeOwnerIndexes from './0030-code-owner-indexes.js';
import * as partialOwnerIndexes from './0031-partial-owner-indexes.js';

export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-device-codes-and-limits': deviceCodes,
  '0003-oidc-app-settings': oidcAppSettings,
  '0004-revoked-families': revokedFamilies,
  '0005-suggest-grants': suggestGrants,
  '0006-audit-log': auditLog,
  '0007-images': images,
  '0008-app-trust': appTrust,
  '0009-revocation-marks': revocationMarks,
  '0011-introspection': introspection,
  '0012-signing-key-activation': signingKeyActivation,
  '0013-session-activity-and-audit-counts': sessionActivityAndAuditCounts,
  '0015-mail-and-confirmed-addresses': mailAndConfirmedAddresses,
  '0016-authentication-methods': authenticationMethods,
  '0017-two-step': twoStep,
  '0018-passkeys': passkeys,
  '0019-app-two-step': appTwoStep,
  '0021-upstreams': upstreams,
  '0022-settings': settings,
  '0023-dpop-and-par': dpopAndPar,
  '0025-client-keys-and-registration': clientKeysAndRegistration,
  '0026-resource-servers': resourceServers,
  '0027-api-idempotency': apiIdempotency,
  '0028-webhooks': webhooks,
  '0029-row-versions': rowVersions,
  '0030-code-owner-indexes': codeOwnerIndexes,
  '0031-partial-owner-indexes': partialOwnerIndexes,
};
