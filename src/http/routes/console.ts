/**
 * /console, the developer console (docs/protocol.md §10): a developer's apps; creating
 * and editing them with every field of docs/protocol.md §1 and §9; the client secret
 * shown once after creating and after rotating (the old one dies at once);
 * debug tokens (docs/protocol.md §5.3); counts of tokens and users; icon; block and
 * delete. Only the owner sees an app: anyone else gets the same 404 as for an
 * app that does not exist.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppInput } from '../../apps/apps.js';
import { Console, mayUseConsole } from '../../apps/console.js';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { VERIFICATION_PAGE } from '../../oauth/authorize/request.js';
import { SCOPE_CATALOGUE } from '../../oauth/scopes.js';
import { appFormPage, appPage, consoleClosedPage, consoleHomePage, type AppFormValues } from '../../pages/console-pages.js';
import { format, type Messages } from '../../pages/messages/en.js';
import type { AppRecord, Platform, PlatformType } from '../../storage/storage.js';
import type { Params } from '../params.js';
import { PLATFORM_TYPES } from '../../apps/platforms.js';
import { sendPage } from '../render.js';
import { revealOnce, takeRevealed } from '../reveal-once.js';
import { confirmed, notFound, readForm, redirectWithNotice, signedInPage, type PageContext } from '../signed-in.js';
import { acceptUploads, pictureRefusal, readUpload } from '../uploads.js';

const lines = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function formValuesOf(app: AppRecord): AppFormValues {
  const ios = app.platforms.find((p) => p.type === 'ios');
  const android = app.platforms.find((p) => p.type === 'android');
  const scopeModes: AppFormValues['scopeModes'] = {};
  for (const s of app.scopes) scopeModes[s] = 'required';
  for (const s of app.optionalScopes) scopeModes[s] = 'optional';
  return {
    name: app.name,
    description: app.description,
    redirectUris: app.redirectUris.join('\n'),
    suggestHostnames: app.suggestHostnames.join('\n'),
    postLogoutRedirectUris: app.postLogoutRedirectUris.join('\n'),
    scopeModes,
    platforms: app.platforms.map((p) => p.type),
    iosAppId: ios?.appId ?? '',
    iosStoreUrl: ios?.storeUrl ?? '',
    androidPackage: android?.packageName ?? '',
    androidFingerprints: (android?.sha256Fingerprints ?? []).join('\n'),
    androidStoreUrl: android?.storeUrl ?? '',
    ttl: String(app.accessTokenTtlSeconds),
    idTokenAlg: app.idTokenAlg,
    requireTwoStep: app.requireTwoStep,
    authMethod: app.tokenEndpointAuthMethod === 'none' ? 'client_secret_basic' : app.tokenEndpointAuthMethod,
    jwksUri: app.jwksUri ?? '',
    jwks: app.jwks ? JSON.stringify(app.jwks, null, 1) : '',
    requireDpop: app.requireDpop,
    requirePar: app.requirePar,
  };
}

function blankValues(defaultTtl: number): AppFormValues {
  return {
    name: '', description: '', redirectUris: '', suggestHostnames: '', postLogoutRedirectUris: '',
    scopeModes: { 'login:info': 'required' }, platforms: ['web'],
    iosAppId: '', iosStoreUrl: '', androidPackage: '', androidFingerprints: '', androidStoreUrl: '',
    ttl: String(defaultTtl), idTokenAlg: 'ES256', requireTwoStep: false, requireDpop: false, requirePar: false,
    authMethod: 'client_secret_basic', jwksUri: '', jwks: '',
  };
}

export function formValuesFrom(form: Params): AppFormValues {
  const scopeModes: AppFormValues['scopeModes'] = {};
  for (const s of SCOPE_CATALOGUE) {
    const mode = form[`scope:${s.name}`];
    if (mode === 'required' || mode === 'optional') scopeModes[s.name] = mode;
  }
  return {
    name: form.name ?? '',
    description: form.description ?? '',
    redirectUris: form.redirect_uris ?? '',
    suggestHostnames: form.suggest_hostnames ?? '',
    postLogoutRedirectUris: form.post_logout_redirect_uris ?? '',
    scopeModes,
    // Checkboxes arrive joined by spaces (params.ts), also when a confirmation page repeats them.
    platforms: PLATFORM_TYPES.filter((p) => (form.platform ?? '').split(' ').includes(p)),
    iosAppId: form.ios_app_id ?? '',
    iosStoreUrl: form.ios_store_url ?? '',
    androidPackage: form.android_package ?? '',
    androidFingerprints: form.android_fingerprints ?? '',
    androidStoreUrl: form.android_store_url ?? '',
    ttl: form.ttl ?? '',
    idTokenAlg: form.id_token_alg === 'RS256' ? 'RS256' : 'ES256',
    requireTwoStep: form.require_two_step === 'yes',
    authMethod: form.auth_method ?? 'client_secret_basic',
    jwksUri: form.jwks_uri ?? '',
    jwks: form.jwks ?? '',
    requireDpop: form.require_dpop === 'yes',
    requirePar: form.require_par === 'yes',
  };
}

export function appInputOf(v: AppFormValues): AppInput & { name: string } {
  const optional = (s: string) => (s.trim() === '' ? undefined : s.trim());
  const platforms: Platform[] = v.platforms.map((type: PlatformType): Platform => {
    if (type === 'ios') return { type, appId: optional(v.iosAppId), storeUrl: optional(v.iosStoreUrl) } as Platform;
    if (type === 'android') {
      return { type, packageName: optional(v.androidPackage), sha256Fingerprints: lines(v.androidFingerprints), storeUrl: optional(v.androidStoreUrl) } as Platform;
    }
    return { type };
  });
  // Fields left empty are absent, not empty strings: validatePlatform checks only what is given.
  for (const p of platforms) for (const key of Object.keys(p) as (keyof Platform)[]) if (p[key] === undefined) delete p[key];
  const ttl = Number(v.ttl);
  return {
    name: v.name,
    description: v.description.trim(),
    redirectUris: lines(v.redirectUris),
    suggestHostnames: lines(v.suggestHostnames),
    postLogoutRedirectUris: lines(v.postLogoutRedirectUris),
    scopes: Object.entries(v.scopeModes).filter(([, m]) => m === 'required').map(([s]) => s),
    optionalScopes: Object.entries(v.scopeModes).filter(([, m]) => m === 'optional').map(([s]) => s),
    platforms,
    accessTokenTtlSeconds: Number.isFinite(ttl) ? ttl : NaN,
    idTokenAlg: v.idTokenAlg,
    requireTwoStep: v.requireTwoStep,
    // Only a web app has a method to choose; the others are public (`none`).
    tokenEndpointAuthMethod: v.platforms.includes('web') ? v.authMethod : undefined,
    jwksUri: v.jwksUri.trim() === '' ? null : v.jwksUri.trim(),
    jwks: v.jwks.trim() === '' ? null : v.jwks.trim(),
    requireDpop: v.requireDpop,
    requirePar: v.requirePar,
  };
}

/** The reader's words for a refused form; the validator's own sentence (with the offending value) follows it. */
function appErrorText(m: Messages, err: InputError): string {
  const c = m.console;
  const text = err.message;
  const kind =
    /app name/.test(text) ? c.errName
    : /redirect URI/.test(text) ? c.errRedirect
    : /origin/.test(text) ? c.errOrigin
    : /platform|App ID|package|fingerprint|store URL/i.test(text) ? c.errPlatform
    : /scope/.test(text) ? c.errScope
    : /lifetime/.test(text) ? c.errTtl
    : /jwks|auth_method|client_secret|private_key_jwt|confidential|public client/.test(text) ? c.errClientAuth
    : c.errGeneric;
  return `${kind} (${text})`;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

type Notice = 'created' | 'saved' | 'savedRevoked' | 'rotated' | 'debugRevoked' | 'iconSaved' | 'iconRemoved' | 'blocked' | 'unblocked';
const NOTICES: readonly Notice[] = ['created', 'rotated', 'saved', 'savedRevoked', 'debugRevoked', 'iconSaved', 'iconRemoved', 'blocked', 'unblocked'];

export const consoleRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  await acceptUploads(app);
  const consoleService = new Console(ctx.storage, ctx.apps, ctx.audit, ctx.clock, ctx.pictures);
  const debugTokenUrl = (a: AppRecord) => `/authorize?${new URLSearchParams({
    response_type: 'token', client_id: a.clientId, redirect_uri: ctx.config.issuer + VERIFICATION_PAGE, force_confirm: 'yes',
  }).toString()}`;

  /** The signed-in developer, or null once the reply is sent (sign-in redirect, or the closed console). */
  async function developer(request: FastifyRequest, reply: FastifyReply): Promise<PageContext | null> {
    const page = await signedInPage(ctx, request, reply, 'console');
    if (!page) return null;
    if (!mayUseConsole(page.user, ctx.config)) {
      sendPage(reply, consoleClosedPage(page), 403);
      return null;
    }
    // Before the first operator exists (src/setup/first-run.ts), only developers an operator named may register apps.
    if (!page.user.isDeveloper && !(await ctx.firstRun.operatorExists())) {
      sendPage(reply, consoleClosedPage(page, true), 403);
      return null;
    }
    return page;
  }

  async function ownApp(page: PageContext, request: FastifyRequest, reply: FastifyReply): Promise<AppRecord | null> {
    const found = await consoleService.ownedApp(page.user, (request.params as { id: string }).id);
    if (!found) notFound(page.msgs, reply);
    return found;
  }

  async function showApp(page: PageContext, reply: FastifyReply, a: AppRecord, extra: { secret?: string | null; notice?: string | null; error?: string | null } = {}, status = 200) {
    return sendPage(reply, appPage({
      msgs: page.msgs, nav: page.nav, csrf: page.csrf, here: page.here, app: a,
      overview: await consoleService.overview(a),
      secret: extra.secret ?? null, notice: extra.notice ?? null, error: extra.error ?? null,
      debugTokenUrl: debugTokenUrl(a),
      issuer: ctx.config.issuer,
    }), status);
  }

  app.get('/console', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const deleted = (request.query as Record<string, unknown>).done === 'deleted';
    return sendPage(reply, consoleHomePage({
      ...page,
      apps: await ctx.storage.listApps({ ownerId: page.user.id }),
      notice: deleted ? page.msgs.console.deleted : null,
    }));
  });

  app.get('/console/apps/new', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    return sendPage(reply, appFormPage({ ...page, app: null, values: blankValues(ctx.config.accessTokenTtlSeconds), error: null, maxTtlSeconds: ctx.config.maxAccessTokenTtlSeconds }));
  });

  app.post('/console/apps/new', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const form = readForm(ctx, request, reply, request.body, ['platform']);
    if (!form) return reply;
    const values = formValuesFrom(form);
    let created;
    try {
      created = await ctx.storage.atomically(async () => {
        const made = await ctx.apps.create({ ...appInputOf(values), ownerId: page.user.id });
        await consoleService.becomeDeveloper(page.user);
        await ctx.audit.record({ action: 'app_created', actor: { type: 'user', id: page.user.id }, clientId: made.app.clientId, ip: request.ip, details: { name: made.app.name } });
        return made;
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return sendPage(reply, appFormPage({ ...page, app: null, values, error: appErrorText(page.msgs, err), maxTtlSeconds: ctx.config.maxAccessTokenTtlSeconds }), 400);
    }
    // Post/redirect/get: the app's page shows the secret once (src/http/reveal-once.ts), and a reload creates nothing.
    if (created.clientSecret !== null) revealOnce(ctx, reply, 'client_secret', created.app.clientId, page.user.id, created.clientSecret);
    return redirectWithNotice(reply, `/console/apps/${created.app.clientId}`, 'created');
  });

  app.get('/console/apps/:id', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const a = await ownApp(page, request, reply);
    if (!a) return reply;
    const done = (request.query as Record<string, unknown>).done;
    const notice = NOTICES.find((n) => n === done);
    const secret = takeRevealed(ctx, request, reply, 'client_secret', a.clientId, page.user.id);
    reply.header('Cache-Control', 'no-store');
    return showApp(page, reply, a, { notice: notice ? page.msgs.console[notice] : null, secret });
  });

  app.get('/console/apps/:id/edit', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const a = await ownApp(page, request, reply);
    if (!a) return reply;
    return sendPage(reply, appFormPage({ ...page, app: a, values: formValuesOf(a), error: null, maxTtlSeconds: ctx.config.maxAccessTokenTtlSeconds }));
  });

  app.post('/console/apps/:id/edit', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const a = await ownApp(page, request, reply);
    if (!a) return reply;
    const form = readForm(ctx, request, reply, request.body, ['platform']);
    if (!form) return reply;
    const values = formValuesFrom(form);
    const input = appInputOf(values);
    const scopesChange = !sameSet(input.scopes ?? [], a.scopes) || !sameSet(input.optionalScopes ?? [], a.optionalScopes);
    const c = page.msgs.console;
    if (scopesChange) {
      // docs/protocol.md §1: new scopes revoke every token of the app; say so, with the count, before doing it.
      const stats = await ctx.storage.appTokenStats(a.clientId, ctx.clock());
      if (!confirmed(page, reply, form, {
        title: format(c.scopesConfirmTitle, { app: a.name }),
        text: format(c.scopesConfirmText, { tokens: String(stats.activeTokens) }),
        action: `/console/apps/${a.clientId}/edit`, confirmLabel: c.save, cancelHref: `/console/apps/${a.clientId}/edit`,
      })) return reply;
    }
    let changed;
    try {
      changed = await ctx.storage.atomically(async () => {
        const done = await ctx.apps.update(a.clientId, input);
        await ctx.audit.record({ action: 'app_updated', actor: { type: 'user', id: page.user.id }, clientId: a.clientId, ip: request.ip, details: { scopesChanged: scopesChange } });
        return done;
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return sendPage(reply, appFormPage({ ...page, app: a, values, error: appErrorText(page.msgs, err), maxTtlSeconds: ctx.config.maxAccessTokenTtlSeconds }), 400);
    }
    // Becoming a web app creates a secret: it is shown now or never.
    if (changed.clientSecret) return showApp({ ...page, here: `/console/apps/${a.clientId}` }, reply, changed.app, { secret: changed.clientSecret, notice: c.saved });
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, scopesChange ? 'savedRevoked' : 'saved');
  });

  /** An owned app and its form for a POST action, or null once answered. */
  async function action(request: FastifyRequest, reply: FastifyReply): Promise<[PageContext, AppRecord, Params] | null> {
    const page = await developer(request, reply);
    if (!page) return null;
    const a = await ownApp(page, request, reply);
    if (!a) return null;
    const form = readForm(ctx, request, reply);
    return form ? [page, a, form] : null;
  }

  app.post('/console/apps/:id/secret', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a, form] = got;
    const c = page.msgs.console;
    if (!confirmed(page, reply, form, {
      title: format(c.rotateConfirmTitle, { app: a.name }), text: c.rotateConfirmText,
      action: `/console/apps/${a.clientId}/secret`, confirmLabel: c.rotateSecret, cancelHref: `/console/apps/${a.clientId}`,
    })) return reply;
    let secret: string;
    try {
      secret = await ctx.storage.atomically(async () => {
        const made = await ctx.apps.rotateSecret(a.clientId);
        await ctx.audit.record({ action: 'app_secret_rotated', actor: { type: 'user', id: page.user.id }, clientId: a.clientId, ip: request.ip });
        return made;
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return showApp(page, reply, a, { error: c.publicClient }, 400);
    }
    revealOnce(ctx, reply, 'client_secret', a.clientId, page.user.id, secret);
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'rotated');
  });

  app.post('/console/apps/:id/debug-tokens/revoke', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a, form] = got;
    try {
      await consoleService.revokeDebugToken(a, form.family ?? '', page.user, request.ip);
    } catch (err) {
      if (err instanceof InputError) return notFound(page.msgs, reply);
      throw err;
    }
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'debugRevoked');
  });

  app.post('/console/apps/:id/icon', async (request, reply) => {
    const page = await developer(request, reply);
    if (!page) return reply;
    const a = await ownApp(page, request, reply);
    if (!a) return reply;
    const upload = await readUpload(request);
    const form = readForm(ctx, request, reply, upload.fields);
    if (!form) return reply;
    const refuse = (error = page.msgs.console.errPicture, status = 400) => showApp(page, reply, a, { error }, status);
    if (upload.tooLarge || !upload.file) return refuse();
    try {
      await consoleService.setIcon(a, upload.file, page.user, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const refusal = pictureRefusal(err, page.msgs, page.msgs.console.errPicture);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return refuse(refusal.text, refusal.status);
    }
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'iconSaved');
  });

  app.post('/console/apps/:id/icon/remove', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a] = got;
    await consoleService.removeIcon(a, page.user, request.ip);
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'iconRemoved');
  });

  app.post('/console/apps/:id/block', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a, form] = got;
    const c = page.msgs.console;
    if (!confirmed(page, reply, form, {
      title: format(c.blockConfirmTitle, { app: a.name }), text: c.blockConfirmText,
      action: `/console/apps/${a.clientId}/block`, confirmLabel: c.block, cancelHref: `/console/apps/${a.clientId}`,
    })) return reply;
    await consoleService.setBlocked(a, page.user, true, request.ip);
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'blocked');
  });

  app.post('/console/apps/:id/unblock', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a] = got;
    try {
      await consoleService.setBlocked(a, page.user, false, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return showApp(page, reply, a, { error: page.msgs.console.errOperatorBlock }, 403);
    }
    return redirectWithNotice(reply, `/console/apps/${a.clientId}`, 'unblocked');
  });

  app.post('/console/apps/:id/delete', async (request, reply) => {
    const got = await action(request, reply);
    if (!got) return reply;
    const [page, a, form] = got;
    const c = page.msgs.console;
    if (!confirmed(page, reply, form, {
      title: format(c.deleteConfirmTitle, { app: a.name }), text: c.deleteConfirmText,
      action: `/console/apps/${a.clientId}/delete`, confirmLabel: c.deleteApp, cancelHref: `/console/apps/${a.clientId}`,
    })) return reply;
    await consoleService.delete(a, page.user, request.ip);
    return redirectWithNotice(reply, '/console', 'deleted');
  });
};
