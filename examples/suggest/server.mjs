#!/usr/bin/env node
// A website with Gatehouse's instant login (docs/protocol.md §8): the login button and the
// widget on /, the token page on /token.html. Run Gatehouse first (`npm start`
// in the repository), then, from the repository:
//
//   node examples/suggest/server.mjs
//
// and open http://127.0.0.1:3000. The first run registers the example app
// with the gatehouse CLI (same database as the server); CLIENT_ID=… uses yours.
// Settings: GATEHOUSE (default: GATEHOUSE_ISSUER, else http://localhost:$GATEHOUSE_PORT, as the
// server itself defaults), PORT (default 3000).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const gatehouse = (process.env.GATEHOUSE || process.env.GATEHOUSE_ISSUER || `http://localhost:${process.env.GATEHOUSE_PORT || 8080}`).replace(/\/$/, '');
const port = Number(process.env.PORT || 3000);
// 127.0.0.1, not localhost: another site than Gatehouse's localhost, so the
// browser treats Gatehouse's frame as third-party, as on the real web.
const origin = `http://127.0.0.1:${port}`;
const NAME = 'Instant login example';

function clientId() {
  if (process.env.CLIENT_ID) return process.env.CLIENT_ID;
  const cli = (...args) => JSON.parse(execFileSync(process.execPath, ['dist/cli/main.js', ...args, '--json'], { encoding: 'utf8' }));
  const existing = cli('app', 'list').find((a) => a.name === NAME);
  if (existing) return existing.client_id;
  return cli('app', 'create', '--name', NAME, '--redirect-uri', `${origin}/token.html`, '--suggest-hostname', origin, '--scope', 'login:info').client_id;
}

const id = clientId();
const page = (file) => readFileSync(new URL(file, import.meta.url), 'utf8')
  .replaceAll('{{GATEHOUSE}}', gatehouse).replaceAll('{{CLIENT_ID}}', id).replaceAll('{{ORIGIN}}', origin);

createServer((req, res) => {
  const path = new URL(req.url ?? '/', origin).pathname;
  const file = path === '/' ? 'index.html' : path === '/token.html' ? 'token.html' : null;
  res.writeHead(file ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
  res.end(file ? page(file) : 'not found');
}).listen(port, '127.0.0.1', () => console.log(`Instant login example: ${origin}  (Gatehouse ${gatehouse}, client_id ${id})`));
