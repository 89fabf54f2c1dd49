/**
 * The sign-in floor: a bare `node:http` server whose `POST /login` reads the
 * form, verifies its password against one stored argon2id hash with
 * Gatehouse's own hashing (same parameters, same threads at the same
 * priority: src/crypto/password-pool.ts) and answers 303, and whose
 * `GET /info` answers a constant. No account, guessing limit, session,
 * cookie, audit entry or database: what a server that did nothing but the
 * hash would reach, measured the way Gatehouse's sign-ins are (beside /info,
 * on the same machine as the load generator). Gatehouse's share of the hash
 * rate is read against it: the distance between the two is Gatehouse's own.
 */
import { createServer } from 'node:http';
import { hashPassword, verifyPassword } from '../../src/crypto/passwords.js';
import { BENCH_PASSWORD } from '../targets/target.js';

const stored = await hashPassword(BENCH_PASSWORD);
const INFO = Buffer.from('{"ok":true}');

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': INFO.length });
    return void response.end(INFO);
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    void verifyPassword(stored, form.get('password') ?? '').then((right) => {
      response.writeHead(right ? 303 : 401, { Location: right ? '/account' : '/login', 'Content-Length': 0 });
      response.end();
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
