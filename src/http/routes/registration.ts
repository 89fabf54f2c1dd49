/**
 * Dynamic client registration over HTTP: `POST /register` (RFC 7591 §3) and
 * the app's own `GET|PUT|DELETE /register/{client_id}` (RFC 7592 §2), with
 * JSON bodies. The rules are src/registration/registration.ts's; here are
 * only the wire details: bearer tokens in `Authorization`, 201 with the new
 * registration, 204 on deletion, `Cache-Control: no-store` on every answer
 * that carries a secret or a token, and `WWW-Authenticate` on a 401.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { InvalidClientMetadata, OAuthError } from '../../oauth/errors.js';
import { sendBearerError } from '../bearer.js';
import { sendOAuthError } from '../render.js';

/** Registration metadata is small: a few URIs and at most a JWK Set of 32 KiB. */
const BODY_LIMIT = 64 * 1024;

/** The bearer token of the request (RFC 6750 §2.1); null when none was sent. */
function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match ? match[1]! : '';
}

function sendError(reply: FastifyReply, request: FastifyRequest, err: unknown): FastifyReply {
  if (!(err instanceof OAuthError)) throw err;
  if (err.code === 'invalid_token') return sendBearerError(reply, err, { credentialsSent: request.headers.authorization !== undefined });
  return sendOAuthError(reply, err);
}

export const registrationRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  // JSON is parsed here only: every other endpoint takes forms (server.ts).
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new InvalidClientMetadata('the request body is not JSON'), undefined);
    }
  });
  const registrations = ctx.registrations;

  app.post('/register', async (request, reply) => {
    try {
      if (registrations.mode !== 'off' && !/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
        throw new InvalidClientMetadata('send the client metadata as application/json');
      }
      const body = await registrations.register(request.body, { ip: request.ip, initialAccessToken: bearerToken(request) });
      return reply.code(201).header('Cache-Control', 'no-store').send(body);
    } catch (err) {
      return sendError(reply, request, err);
    }
  });

  app.get<{ Params: { clientId: string } }>('/register/:clientId', async (request, reply) => {
    try {
      return reply.header('Cache-Control', 'no-store').send(await registrations.read(request.params.clientId, bearerToken(request)));
    } catch (err) {
      return sendError(reply, request, err);
    }
  });

  app.put<{ Params: { clientId: string } }>('/register/:clientId', async (request, reply) => {
    try {
      await registrations.authorize(request.params.clientId, bearerToken(request));
      if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new InvalidClientMetadata('send the client metadata as application/json');
      return reply.header('Cache-Control', 'no-store').send(await registrations.update(request.params.clientId, bearerToken(request), request.body, request.ip));
    } catch (err) {
      return sendError(reply, request, err);
    }
  });

  app.delete<{ Params: { clientId: string } }>('/register/:clientId', async (request, reply) => {
    try {
      await registrations.delete(request.params.clientId, bearerToken(request), request.ip);
      return reply.code(204).header('Cache-Control', 'no-store').send();
    } catch (err) {
      return sendError(reply, request, err);
    }
  });
};
