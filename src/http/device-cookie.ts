/**
 * The device cookie (OWASP's defence against password guessing that does not
 * lock owners out): a browser that signs in to an account is given a random
 * device id for that account, MACed with the server key together with the
 * login, in an HttpOnly cookie kept for a year. A sign-in from a browser that
 * presents it for the typed login is held to that device's own limit instead
 * of the account's shared one (accounts/sign-in-guard.ts). The cookie names
 * the account only through the MAC, holds up to five accounts, and opens
 * nothing by itself: it only decides which guessing budget applies.
 */
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeLogin } from '../accounts/sign-in-guard.js';
import type { Context } from '../context.js';
import { constantTimeEqual, randomToken } from '../crypto/random.js';
import { cookieName, cookieOptions } from './session.js';

const DEVICE = 'gatehouse_device';
const MAX_ACCOUNTS = 5;
const YEAR_SECONDS = 365 * 24 * 3600;
const ENTRY = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

interface Entry {
  id: string;
  mac: string;
}

function macFor(ctx: Context, login: string, id: string): string {
  return createHmac('sha256', ctx.secrets.deriveKey('device cookie')).update(`${normalizeLogin(login)}\n${id}`).digest('base64url');
}

function entries(ctx: Context, request: FastifyRequest): Entry[] {
  const raw = request.cookies[cookieName(ctx, DEVICE)];
  if (!raw || raw.length > 1000) return [];
  return raw.split('~').flatMap((part) => {
    const m = ENTRY.exec(part);
    return m ? [{ id: m[1]!, mac: m[2]! }] : [];
  }).slice(0, MAX_ACCOUNTS);
}

const belongsTo = (ctx: Context, login: string) => (e: Entry) => constantTimeEqual(macFor(ctx, login, e.id), e.mac);

/** This browser's device id for `login`, or null when it has not signed in to that account (or the cookie is forged). */
export function knownDevice(ctx: Context, request: FastifyRequest, login: string): string | null {
  return entries(ctx, request).find(belongsTo(ctx, login))?.id ?? null;
}

/** After a successful sign-in: remembers this browser for the account, keeping its id if it had one. */
export function rememberDevice(ctx: Context, request: FastifyRequest, reply: FastifyReply, login: string): void {
  const all = entries(ctx, request);
  const mine = all.find(belongsTo(ctx, login));
  const id = mine?.id ?? randomToken(16);
  const kept = [{ id, mac: macFor(ctx, login, id) }, ...all.filter((e) => e !== mine)].slice(0, MAX_ACCOUNTS);
  reply.setCookie(cookieName(ctx, DEVICE), kept.map((e) => `${e.id}.${e.mac}`).join('~'), cookieOptions(ctx, YEAR_SECONDS));
}
