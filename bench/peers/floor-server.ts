/**
 * The floor: a bare `node:http` server answering every request with the same
 * small JSON document. No Node.js server doing real work can be faster; the
 * benchmark reports Gatehouse as a percentage of it.
 */
import { createServer } from 'node:http';

const BODY = Buffer.from('{"ok":true}');

const server = createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': BODY.length });
  response.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
