/**
 * Confirmation codes for apps without a browser or a backend (docs/protocol.md §5):
 * the device flow (`POST /device/code`, the `/device` page) and the page that
 * shows a confirmation code or debug token (`/verification_code`).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import type { SecretHash } from '../../crypto/random.js';
import { recordFailure, sourceAddress, TooManyAttempts } from '../../oauth/attempts.js';
import { authenticateClient, clientCredentials } from '../../oauth/client-auth.js';
import { normalizeUserCode, startDeviceAuthorization, userCodeHash } from '../../oauth/device-authorization.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { unmetTwoStepDemand } from '../../oauth/authorize/two-step-demand.js';
import { hasSecondFactor, secondFactorsOf } from '../../accounts/second-factors.js';
import { messagePage } from '../../pages/account-pages.js';
import { deviceCodePage, deviceConfirmPage } from '../../pages/device-page.js';
import { format } from '../../pages/messages/en.js';
import { verificationPage } from '../../pages/verification-page.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { edgeParams, PARAMS } from '../edge-params.js';
import { messagesFor, pageParams, sendErrorPage, sendPage } from '../render.js';
import { twoStepUrl } from '../pending-sign-in.js';
import { currentSession, type SignedIn } from '../session.js';

export const confirmationRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.get('/verification_code', async (request, reply) => sendPage(reply, verificationPage(messagesFor(request))));

  app.post('/device/code', async (request, reply) => {
    const params = edgeParams(PARAMS.deviceCode, request.body);
    // docs/protocol.md §5.1: client_secret is optional here; the poll at /token authenticates fully.
    const client = await authenticateClient(ctx, clientCredentials(request.headers.authorization, params), { secretOptional: true });
    // Only the app itself (with its secret) spends the app's budget; anyone can
    // send a secret-less start, so those count per address (issue 15).
    const [key, limit] = client.method === 'none'
      ? [`device_code:client:${client.app.clientId}:${sourceAddress(request.ip)}`, ctx.limits.deviceCodePerAddress]
      : [`device_code:client:${client.app.clientId}`, ctx.limits.deviceCodePerClient];
    const started = await recordFailure(ctx.storage, ctx.clock, key, limit);
    if (started > limit.max) throw new TooManyAttempts('too many device authorizations for this app: wait a minute');
    const response = await startDeviceAuthorization(ctx.storage, ctx.clock, ctx.config.issuer, client.app, params);
    return reply.header('Cache-Control', 'no-store').send(response);
  });

  /** Wrong codes are counted per session and per address (RFC 8628 §5.1). */
  const limitKeys = (request: FastifyRequest, signedIn: SignedIn) => [`user_code:session:${signedIn.session.hash}`, `user_code:ip:${sourceAddress(request.ip)}`];

  async function requireSignIn(request: FastifyRequest, reply: FastifyReply, userCode: string): Promise<SignedIn | null> {
    const signedIn = await currentSession(ctx, request);
    if (signedIn) return signedIn;
    const back = userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : '/device';
    reply.redirect(`/login?return_to=${encodeURIComponent(back)}`, request.method === 'POST' ? 303 : 302);
    return null;
  }

  app.get('/device', async (request, reply) => {
    const q = pageParams(request, reply, request.query);
    if (!q) return reply;
    const userCode = (q.user_code ?? '').slice(0, 32);
    if (!(await requireSignIn(request, reply, userCode))) return reply;
    return sendPage(reply, deviceCodePage(messagesFor(request), csrfToken(ctx, request, reply), userCode, null));
  });

  app.post('/device', async (request, reply) => {
    const form = pageParams(request, reply, request.body, ['granted_optional']);
    if (!form) return reply;
    const msgs = messagesFor(request);
    if (!csrfValid(ctx, request, form.csrf)) return sendErrorPage(request, reply, new InvalidRequest(msgs.csrfFailed), 403);
    const typed = (form.user_code ?? '').slice(0, 32);
    const signedIn = await requireSignIn(request, reply, typed);
    if (!signedIn) return reply;
    const csrf = csrfToken(ctx, request, reply);

    // Every code typed counts before it is looked up, so parallel guesses cannot
    // slip past the limit; a right one is forgiven below.
    const keys = limitKeys(request, signedIn);
    const counts = await ctx.storage.countAttempts(keys.map((key) => ({ key, windowMs: ctx.limits.userCode.windowMs })), ctx.clock());
    if (counts.some((n) => n > ctx.limits.userCode.max)) {
      return sendPage(reply, deviceCodePage(msgs, csrf, typed, msgs.deviceTooMany), 429);
    }
    const normalized = normalizeUserCode(typed);
    const hash: SecretHash | null = normalized ? userCodeHash(normalized) : null;
    const pending = hash ? await ctx.storage.findPendingDeviceCode(hash, ctx.clock()) : null;
    const appRecord = pending ? await ctx.storage.findApp(pending.clientId) : null;
    if (!pending || !hash || !appRecord || appRecord.status !== 'active') {
      if (form.decision !== undefined) return sendPage(reply, messagePage(msgs, msgs.deviceTitle, msgs.deviceGone), 400);
      return sendPage(reply, deviceCodePage(msgs, csrf, typed, msgs.deviceWrongCode), 400);
    }
    await Promise.all(keys.map((key) => ctx.storage.forgiveAttempt(key)));

    // An app that requires two-step sign-in: the second step first, or, with no factor to take it with, the device is refused.
    if (unmetTwoStepDemand(appRecord, [], signedIn.session.amr)) {
      if (hasSecondFactor(await secondFactorsOf(ctx, signedIn.user.id))) return reply.redirect(twoStepUrl(`/device?user_code=${encodeURIComponent(typed)}`), 303);
      // The decision and its entry are one unit of work.
      const refused = await ctx.storage.atomically(async () => {
        const decided = await ctx.storage.decideDeviceCode(hash, { approved: false, userId: signedIn.user.id, grantedScopes: [], authTime: signedIn.session.authTime, amr: signedIn.session.amr }, ctx.clock());
        if (decided) {
          await ctx.audit.record({
            action: 'consent', outcome: 'refused', actor: { type: 'user', id: signedIn.user.id }, clientId: appRecord.clientId, ip: request.ip,
            details: { flow: 'device', reason: 'the app requires two-step sign-in, which this account has not set up' },
          });
        }
        return decided;
      });
      if (!refused) return sendPage(reply, messagePage(msgs, msgs.deviceTitle, msgs.deviceGone), 400);
      return sendPage(reply, messagePage(msgs, msgs.deviceTitle, format(msgs.deviceNeedsTwoStep, { app: appRecord.name })), 403);
    }

    if (form.decision === undefined) {
      const owner = appRecord.ownerId ? await ctx.storage.findUserById(appRecord.ownerId) : null;
      return sendPage(reply, deviceConfirmPage({
        msgs,
        csrf,
        userCode: typed,
        appName: appRecord.name,
        deviceName: pending.deviceName,
        developer: owner?.login ?? null,
        requestedAt: pending.createdAt,
        user: { displayName: signedIn.user.displayName ?? signedIn.user.login, login: signedIn.user.login },
        scopes: pending.scopes,
        optionalScopes: pending.optionalScopes,
      }));
    }

    const approved = form.decision === 'allow';
    const ticked = (form.granted_optional ?? '').split(' ');
    const granted = [...pending.scopes, ...pending.optionalScopes.filter((s) => ticked.includes(s))];
    // The decision and its entry are one unit of work (webhooks announce a consent): the device's next poll sees both or neither.
    const decided = await ctx.storage.atomically(async () => {
      const done = await ctx.storage.decideDeviceCode(hash, { approved, userId: signedIn.user.id, grantedScopes: granted, authTime: signedIn.session.authTime, amr: signedIn.session.amr }, ctx.clock());
      if (done) {
        await ctx.audit.record({
          action: 'consent', outcome: approved ? 'ok' : 'refused', actor: { type: 'user', id: signedIn.user.id }, clientId: appRecord.clientId, ip: request.ip,
          details: { flow: 'device', scopes: approved ? granted : pending.scopes, device: pending.deviceName },
        });
      }
      return done;
    });
    if (!decided) return sendPage(reply, messagePage(msgs, msgs.deviceTitle, msgs.deviceGone), 400);
    const vars = { app: appRecord.name };
    return approved
      ? sendPage(reply, messagePage(msgs, msgs.deviceApprovedTitle, format(msgs.deviceApprovedText, vars)))
      : sendPage(reply, messagePage(msgs, msgs.deviceDeniedTitle, format(msgs.deviceDeniedText, vars)));
  });
};
