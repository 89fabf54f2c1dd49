/**
 * /api/v1/apps: OAuth clients, as an operator manages them with `gatehouse
 * app` and on /admin/apps — through the same Admin service. Apps made here
 * may hold management scopes (only operators grant them).
 */
import { z } from 'zod';
import type { AppInput } from '../../apps/apps.js';
import type { Platform } from '../../storage/storage.js';
import type { ClientId, UserId } from '../../types.js';
import { decodeCursor, page, pageOf, PageQuery } from '../paging.js';
import { operation, type Resource } from '../operation.js';
import { ApiProblem } from '../problem.js';
import { AppSchema, appView, AppWithSecretSchema, PlatformSchema } from '../views.js';
import { appOr404, ClientIdParams } from './common.js';
import type { Context } from '../../context.js';

const AppPage = pageOf(AppSchema, 'AppPage');

const AppFields = {
  description: z.string().max(2000).optional(),
  platforms: z.array(PlatformSchema).max(5).optional().meta({ description: 'Default [{"type":"web"}]; web apps are confidential (they get a secret)' }),
  redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
  post_logout_redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
  suggest_hostnames: z.array(z.string().max(300)).max(50).optional(),
  scopes: z.array(z.string().max(100)).max(50).optional().meta({ description: 'Scopes granted by default; may include management scopes (gatehouse:…), for client_credentials' }),
  optional_scopes: z.array(z.string().max(100)).max(50).optional(),
  owner_id: z.string().max(40).nullable().optional().meta({ description: 'The developer who owns the app; null for none' }),
  access_token_ttl: z.int().optional().meta({ description: 'Access-token lifetime in seconds' }),
  id_token_alg: z.enum(['ES256', 'RS256']).optional(),
  require_two_step: z.boolean().optional(),
  first_party: z.boolean().optional().meta({ description: 'The provider\'s own app: listed in the issuer host\'s app-link files' }),
  introspects: z.array(z.string().max(40)).max(50).optional().meta({ description: 'client_ids whose tokens this app may introspect' }),
};

const NewAppSchema = z.object({ name: z.string().min(1).max(100), ...AppFields }).strict().meta({ id: 'NewApp' });
const AppChangeSchema = z.object({ name: z.string().min(1).max(100).optional(), ...AppFields }).strict().meta({ id: 'AppChange' });
const SecretSchema = z.object({ client_id: z.string(), client_secret: z.string().meta({ description: 'Shown once' }) }).meta({ id: 'ClientSecret' });

type AppFieldsInput = z.output<typeof AppChangeSchema>;

/** The API's field names as the Apps service takes them; an owner given by id must exist. */
async function appInput(ctx: Context, body: AppFieldsInput): Promise<AppInput & { firstParty?: boolean | undefined; introspects?: string[] | undefined }> {
  let ownerId: UserId | null | undefined = undefined;
  if (body.owner_id !== undefined) {
    if (body.owner_id !== null && !(/^\d{1,20}$/.test(body.owner_id) && (await ctx.storage.findUserById(body.owner_id as UserId)))) {
      throw new ApiProblem('invalid-input', 'owner_id names no user');
    }
    ownerId = body.owner_id as UserId | null;
  }
  const platforms: Platform[] | undefined = body.platforms?.map((p) => ({
    type: p.type,
    ...(p.app_id !== undefined ? { appId: p.app_id } : {}),
    ...(p.package_name !== undefined ? { packageName: p.package_name } : {}),
    ...(p.sha256_cert_fingerprints !== undefined ? { sha256Fingerprints: p.sha256_cert_fingerprints } : {}),
    ...(p.store_url !== undefined ? { storeUrl: p.store_url } : {}),
  }));
  return {
    name: body.name, description: body.description, platforms, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris,
    suggestHostnames: body.suggest_hostnames, scopes: body.scopes, optionalScopes: body.optional_scopes, ownerId,
    accessTokenTtlSeconds: body.access_token_ttl, idTokenAlg: body.id_token_alg, requireTwoStep: body.require_two_step,
    firstParty: body.first_party, introspects: body.introspects,
  };
}

export const appsResource: Resource = {
  tag: 'Apps',
  description: 'Apps (OAuth clients): the same actions as `gatehouse app` and /admin/apps.',
  operations: [
    operation({
      method: 'GET', path: '/apps', operationId: 'listApps', scope: 'gatehouse:apps:read',
      summary: 'List apps', description: 'Oldest first. `search` matches part of the name (ignoring case) or the whole client_id; `owner_id` only the apps of one developer.',
      query: z.object({ search: z.string().max(100).optional(), owner_id: z.string().max(40).optional(), ...PageQuery }),
      success: { status: 200, description: 'A page of apps', schema: AppPage },
      handler: async ({ ctx, query }) => {
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, z.tuple([z.number(), z.string()]));
        const rows = await ctx.storage.listApps({
          limit: query.limit + 1, ...(query.search ? { search: query.search } : {}), ...(query.owner_id ? { ownerId: query.owner_id as UserId } : {}),
          ...(after ? { after: { createdAt: after[0], clientId: after[1] as ClientId } } : {}),
        });
        return page(rows, query.limit, appView, (a) => [a.createdAt, a.clientId]);
      },
    }),
    operation({
      method: 'GET', path: '/apps/{client_id}', operationId: 'getApp', scope: 'gatehouse:apps:read', summary: 'Get an app',
      params: ClientIdParams, success: { status: 200, description: 'The app', schema: AppSchema }, problems: ['not-found'],
      handler: async ({ ctx, params }) => appView(await appOr404(ctx, params.client_id)),
    }),
    operation({
      method: 'POST', path: '/apps', operationId: 'createApp', scope: 'gatehouse:apps:write', summary: 'Register an app',
      description: 'Web apps get a client secret, shown once in the answer.',
      body: NewAppSchema, success: { status: 201, description: 'The new app, with its secret', schema: AppWithSecretSchema }, problems: ['invalid-input'],
      handler: async ({ ctx, admin, actor, ip, body }) => {
        const made = await admin.createApp(actor, { ...(await appInput(ctx, body)), name: body.name }, ip);
        return { ...appView(made.app), client_secret: made.clientSecret };
      },
    }),
    operation({
      method: 'PATCH', path: '/apps/{client_id}', operationId: 'updateApp', scope: 'gatehouse:apps:write', summary: 'Change an app',
      description: 'What is omitted stays. Changing scopes revokes every token issued to the app; becoming a web app creates a secret (in the answer).',
      params: ClientIdParams, body: AppChangeSchema, success: { status: 200, description: 'The app as changed', schema: AppWithSecretSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params, body }) => {
        const app = await appOr404(ctx, params.client_id);
        const changed = await admin.updateApp(actor, app.clientId, await appInput(ctx, body), ip);
        return { ...appView(changed.app), client_secret: changed.clientSecret };
      },
    }),
    operation({
      method: 'POST', path: '/apps/{client_id}/rotate-secret', operationId: 'rotateAppSecret', scope: 'gatehouse:apps:write',
      summary: 'Rotate the client secret', description: 'The old secret stops working at once.',
      params: ClientIdParams, success: { status: 200, description: 'The new secret', schema: SecretSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const app = await appOr404(ctx, params.client_id);
        return { client_id: app.clientId, client_secret: await admin.rotateAppSecret(actor, app.clientId, ip) };
      },
    }),
    ...(['block', 'unblock'] as const).map((action) => operation({
      method: 'POST', path: `/apps/{client_id}/${action}`, operationId: `${action}App`, scope: 'gatehouse:apps:write',
      summary: action === 'block' ? 'Block an app' : 'Unblock an app',
      description: action === 'block' ? 'Revokes every token it holds; it gets unauthorized_client everywhere.' : 'Lifts any block, the owner\'s or an operator\'s.',
      params: ClientIdParams, success: { status: 200, description: 'The app afterwards', schema: AppSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params, caller }) => {
        const app = await appOr404(ctx, params.client_id);
        // An app that blocked itself could not call again to undo it: an operator at the CLI or on /admin must.
        if (action === 'block' && app.clientId === caller.clientId) throw new ApiProblem('invalid-input', 'an app cannot block itself through the API');
        await admin.setAppBlocked(actor, app, action === 'block', ip);
        return appView((await ctx.storage.findApp(app.clientId)) ?? app);
      },
    })),
    operation({
      method: 'DELETE', path: '/apps/{client_id}', operationId: 'deleteApp', scope: 'gatehouse:apps:write', summary: 'Delete an app',
      description: 'Its tokens, codes and consents end.',
      params: ClientIdParams, success: { status: 204, description: 'Deleted' }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params, caller }) => {
        const app = await appOr404(ctx, params.client_id);
        if (app.clientId === caller.clientId) throw new ApiProblem('invalid-input', 'an app cannot delete itself through the API');
        await admin.deleteApp(actor, app, ip);
      },
    }),
  ],
};
