/**
 * How users and apps look in the management API's answers: a zod schema (the
 * OpenAPI document's component) and the function that fills it from a record.
 * The CLI's `--json` prints the same shapes.
 */
import { z } from 'zod';
import { isConfidential, PLATFORM_TYPES } from '../apps/platforms.js';
import type { AppRecord, UserRecord } from '../storage/storage.js';

const dateTime = () => z.string().meta({ format: 'date-time' });
export const iso = (ms: number) => new Date(ms).toISOString();

export const UserSchema = z.object({
  id: z.string().meta({ description: '15 decimal digits, as Yandex ID\'s ids' }),
  login: z.string(),
  display_name: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  default_email: z.string().nullable(),
  emails: z.array(z.string()),
  confirmed_emails: z.array(z.string()),
  phone: z.string().nullable(),
  phone_confirmed: z.boolean(),
  is_developer: z.boolean(),
  is_admin: z.boolean().meta({ description: 'An operator: may use /admin' }),
  status: z.enum(['active', 'blocked']),
  created_at: dateTime(),
  updated_at: dateTime(),
}).meta({ id: 'User' });

export function userView(u: UserRecord): z.input<typeof UserSchema> {
  return {
    id: u.id, login: u.login, display_name: u.displayName, first_name: u.firstName, last_name: u.lastName,
    default_email: u.defaultEmail, emails: u.emails, confirmed_emails: u.confirmedEmails, phone: u.defaultPhone,
    phone_confirmed: u.defaultPhone !== null && u.defaultPhone === u.confirmedPhone, is_developer: u.isDeveloper, is_admin: u.isAdmin,
    status: u.status === 'blocked' ? 'blocked' : 'active', created_at: iso(u.createdAt), updated_at: iso(u.updatedAt),
  };
}

export const PlatformSchema = z.object({
  type: z.enum(PLATFORM_TYPES),
  app_id: z.string().optional().meta({ description: 'iOS: team prefix and bundle id' }),
  package_name: z.string().optional().meta({ description: 'Android package name' }),
  sha256_cert_fingerprints: z.array(z.string()).optional().meta({ description: 'Android signing certificate fingerprints' }),
  store_url: z.string().optional(),
}).meta({ id: 'Platform' });

export const AppSchema = z.object({
  client_id: z.string(),
  name: z.string(),
  description: z.string(),
  icon_url: z.string().nullable(),
  confidential: z.boolean().meta({ description: 'Has a client secret (web apps)' }),
  platforms: z.array(PlatformSchema),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  suggest_hostnames: z.array(z.string()),
  scopes: z.array(z.string()),
  optional_scopes: z.array(z.string()),
  owner_id: z.string().nullable(),
  access_token_ttl: z.int(),
  id_token_alg: z.enum(['ES256', 'RS256']),
  require_two_step: z.boolean(),
  introspects: z.array(z.string()),
  status: z.enum(['active', 'blocked', 'pending']),
  blocked_by: z.enum(['operator', 'owner']).nullable(),
  first_party: z.boolean(),
  created_at: dateTime(),
  updated_at: dateTime(),
}).meta({ id: 'App' });

export function appView(a: AppRecord): z.input<typeof AppSchema> {
  return {
    client_id: a.clientId, name: a.name, description: a.description, icon_url: a.iconUrl, confidential: isConfidential(a.platforms),
    platforms: a.platforms.map((p) => ({
      type: p.type,
      ...(p.appId !== undefined ? { app_id: p.appId } : {}),
      ...(p.packageName !== undefined ? { package_name: p.packageName } : {}),
      ...(p.sha256Fingerprints !== undefined ? { sha256_cert_fingerprints: p.sha256Fingerprints } : {}),
      ...(p.storeUrl !== undefined ? { store_url: p.storeUrl } : {}),
    })),
    redirect_uris: a.redirectUris, post_logout_redirect_uris: a.postLogoutRedirectUris, suggest_hostnames: a.suggestHostnames,
    scopes: a.scopes, optional_scopes: a.optionalScopes, owner_id: a.ownerId, access_token_ttl: a.accessTokenTtlSeconds,
    id_token_alg: a.idTokenAlg, require_two_step: a.requireTwoStep, introspects: a.introspects, status: a.status,
    blocked_by: a.status === 'blocked' ? a.blockedBy ?? 'operator' : null, first_party: a.firstParty,
    created_at: iso(a.createdAt), updated_at: iso(a.updatedAt),
  };
}

/** An app with its client secret, shown once: when created, rotated, or made confidential. */
export const AppWithSecretSchema = AppSchema.extend({
  client_secret: z.string().nullable().meta({ description: 'Shown once: store it now. Null for public apps, or when the secret did not change' }),
}).meta({ id: 'AppWithSecret' });
