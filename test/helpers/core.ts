/**
 * The protocol core without HTTP, for unit tests: the same services the server
 * wires (`createContext`) on a fresh SQLite file, with a clock the test moves.
 * Codes are issued the way /authorize issues them: a validated request, then
 * the user's consent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { AppInput } from '../../src/apps/apps.js';
import { loadConfig, type ConfigInput } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { completeAuthorization } from '../../src/oauth/authorize/decision.js';
import { validateAuthorizationRequest, type AuthorizeParams } from '../../src/oauth/authorize/request.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { handleTokenRequest } from '../../src/oauth/token-endpoint.js';
import type { TokenResponse } from '../../src/oauth/tokens.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { testClock } from './gatehouse.js';

export const PASSWORD = 'correct horse battery';

export interface Core {
  ctx: Context;
  clock: ReturnType<typeof testClock>;
  dataDir: string;
  /** A new active user (argon2 makes this cost ~50 ms: share users between tests). */
  user(login?: string): Promise<UserRecord>;
  /** A new app; web (confidential) unless `platforms` says otherwise. */
  app(input?: Partial<AppInput>): Promise<{ app: AppRecord; secret: string | null }>;
  /** Runs /authorize's validation and the user's consent; returns the code from the redirect. */
  code(user: UserRecord, app: AppRecord, params?: Record<string, string>): Promise<string>;
  /** POST /token as the protocol core sees it. */
  token(params: Record<string, string>, authorization?: string): Promise<TokenResponse>;
  close(): Promise<void>;
}

export const REDIRECT_URI = 'https://app.example/callback';

/** The PKCE pair of RFC 7636 Appendix B. */
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

let counter = 0;

export async function openCore(config: ConfigInput = {}): Promise<Core> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-core-'));
  const clock = testClock(Date.UTC(2025, 0, 1));
  const ctx = await createContext(loadConfig({ dataDir, logLevel: 'silent', ...config }, {}), { clock });
  return {
    ctx,
    clock,
    dataDir,
    user: (login) => ctx.users.create({ login: login ?? `user${++counter}`, password: PASSWORD, email: 'someone@example.org', emailConfirmed: true, firstName: 'Some', lastName: 'One' }),
    async app(input = {}) {
      const created = await ctx.apps.create({ name: `App ${++counter}`, redirectUris: [REDIRECT_URI], scopes: ['login:info', 'login:email'], ...input });
      return { app: created.app, secret: created.clientSecret };
    },
    async code(user, app, params = {}) {
      const req = await validateAuthorizationRequest(ctx.storage, { response_type: 'code', client_id: app.clientId, ...params }, ctx.issuer);
      const response = await completeAuthorization(
        { storage: ctx.storage, clock, issuer: ctx.issuer, codeTtlSeconds: ctx.config.codeTtlSeconds, tokens: ctx.tokens, idTokens: ctx.idTokens },
        user, req, req.scopes, { authTime: clock(), amr: ['pwd'] },
      );
      const code = response.params.code;
      if (!code) throw new Error(`no code in ${JSON.stringify(response.params)}`);
      return code;
    },
    token: (params, authorization) => handleTokenRequest(ctx, params, authorization),
    async close() {
      await ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `Authorization: Basic` with both parts form-urlencoded (RFC 6749 §2.3.1). */
export function basic(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64');
}

/** Awaits a rejection with the given OAuth error code (and status, when given); returns the error. */
export async function oauthError(promise: Promise<unknown>, code: string, status?: number): Promise<OAuthError> {
  const err = await promise.then(
    (value) => { throw new Error(`expected ${code}, got success: ${JSON.stringify(value)}`); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OAuthError);
  const oauth = err as OAuthError;
  expect(oauth.code, oauth.description).toBe(code);
  if (status !== undefined) expect(oauth.status).toBe(status);
  return oauth;
}
