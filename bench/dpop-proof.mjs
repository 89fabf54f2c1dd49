#!/usr/bin/env node
/**
 * What a DPoP proof check costs on /userinfo (docs/modern-oauth.md): the same
 * user's token read through the real server (in-process, `inject`, so no
 * socket noise) as a bearer token and as a DPoP-bound token with a fresh
 * proof each time, on a throwaway SQLite database. Prints microseconds per
 * request for both and the difference, and the proof check alone
 * (`DpopVerifier.check`: signature, claims, the jti written to the database).
 *
 *   npm run build && node bench/dpop-proof.mjs [requests] [ES256|EdDSA|RS256|PS256]
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { loadConfig } from '../dist/config.js';
import { createContext } from '../dist/context.js';
import { buildServer } from '../dist/http/server.js';

const N = Number(process.argv[2] ?? 3000);
const ALG = process.argv[3] ?? 'ES256';
const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-dpop-bench-'));
const issuer = 'http://127.0.0.1:9';
const ctx = await createContext(loadConfig({ dataDir, issuer, logLevel: 'silent' }, {}));
const server = await buildServer(ctx, { logger: false });
await server.ready();

const pair = ALG === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : ALG === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = await exportJWK(pair.publicKey);
const user = await ctx.users.create({ login: 'bench', password: randomBytes(12).toString('hex') });
const { app } = await ctx.apps.create({ name: 'Bench', redirectUris: ['https://app.example/cb'], scopes: ['login:info'] });
const { calculateJwkThumbprint } = await import('jose');
const jkt = await calculateJwkThumbprint(jwk);
const bearer = await ctx.tokens.issue({ app, userId: user.id, scopes: ['login:info', 'openid'], withRefresh: false });
const bound = await ctx.tokens.issue({ app, userId: user.id, scopes: ['login:info', 'openid'], withRefresh: false, jkt });
const ath = createHash('sha256').update(bound.access_token).digest('base64url');

const proof = (htu = `${issuer}/userinfo`) => new SignJWT({ jti: randomBytes(16).toString('base64url'), iat: Math.floor(Date.now() / 1000), htm: 'GET', htu, ath })
  .setProtectedHeader({ alg: ALG, typ: 'dpop+jwt', jwk }).sign(pair.privateKey);

async function timed(label, prepare, run) {
  const inputs = [];
  for (let i = 0; i < N; i++) inputs.push(await prepare());
  // Warm up on a tenth, then measure the rest.
  const warm = Math.floor(N / 10);
  for (let i = 0; i < warm; i++) await run(inputs[i]);
  const start = process.hrtime.bigint();
  for (let i = warm; i < N; i++) await run(inputs[i]);
  const us = Number(process.hrtime.bigint() - start) / 1000 / (N - warm);
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs`);
  return us;
}

const request = (headers) => server.inject({ method: 'GET', url: '/userinfo', headers });
const expectOk = (res) => { if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`); };

console.log(`${N} requests each, ${ALG} proofs, SQLite, node ${process.version}`);
const plain = await timed('/userinfo, bearer token', async () => null, async () => expectOk(await request({ authorization: `Bearer ${bearer.access_token}` })));
const dpop = await timed('/userinfo, DPoP-bound token with a proof', () => proof(), async (p) => expectOk(await request({ authorization: `DPoP ${bound.access_token}`, dpop: p })));
const check = await timed('DpopVerifier.check alone', () => proof(), (p) => ctx.dpop.check(p, { method: 'GET', url: `${issuer}/userinfo`, accessToken: bound.access_token }, 401));
const { sha256Hex } = await import('../dist/crypto/random.js');
const jti = await timed('  of which: the jti written to the database', async () => sha256Hex(randomBytes(16).toString('hex')), (k) => ctx.storage.proofs.useDpopProof(k, Date.now() + 61_000, Date.now()));
console.log(`${'  of which: parsing, signature and claims'.padEnd(44)} ${(check - jti).toFixed(1).padStart(8)} µs`);
console.log(`${'cost of the proof on /userinfo'.padEnd(44)} ${(dpop - plain).toFixed(1).padStart(8)} µs (check alone ${check.toFixed(1)} µs)`);

await server.close();
await ctx.close();
rmSync(dataDir, { recursive: true, force: true });
