/**
 * A real HTTP server receiving webhooks in tests: it keeps every request
 * (headers and raw body), verifies each with the `standardwebhooks` package
 * when given the endpoint's secret, and answers as the test says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body, when the signature verified; null when it did not (or no secret was set). */
  verified: { type: string; timestamp: string; data: Record<string, any> } | null;
  /** The status answered. */
  answered: number | 'held';
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** The secret to verify with (the `whsec_…` of the endpoint). */
  secret: string | null;
  /** What to answer each request: a status, or `hold` (never answer). Default 204. */
  respond: (r: Omit<Received, 'answered'>) => number | 'hold';
  /** Resolves once `predicate` holds for the requests received (polling), or rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(host = '127.0.0.1', port = 0): Promise<WebhookReceiver> {
  const held: http.ServerResponse[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secret: null,
    respond: () => 204,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms; received ${JSON.stringify(receiver.received.map((r) => [r.id, r.verified?.type, r.answered]))}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return receiver.received;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let verified: Received['verified'] = null;
      if (receiver.secret !== null) {
        try {
          verified = new Webhook(receiver.secret).verify(body, headers) as Received['verified'];
        } catch {
          verified = null;
        }
      }
      const r = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, verified };
      const answer = receiver.respond(r);
      receiver.received.push({ ...r, answered: answer === 'hold' ? 'held' : answer });
      if (answer === 'hold') held.push(res);
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 400 ? 'receiver says no' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  receiver.url = `http://${host}:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
