/**
 * One HTTP POST of a webhook: the signed body to the endpoint's URL, with a
 * deadline for the whole exchange, no redirects followed (a 3xx is a failed
 * attempt), and the address checked as the socket connects (address-guard.ts).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from './address-guard.js';

export interface SendResult {
  /** The HTTP status; null when no answer came. */
  status: number | null;
  /** Why the attempt failed, one line; null on 2xx. */
  error: string | null;
}

export class PrivateAddressError extends Error {
  constructor(address: string) {
    super(`refused to connect to the private address ${address} (set GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=true to allow)`);
  }
}

/** A `lookup` for the socket that resolves as usual and refuses private addresses. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      if (usable.length === 0) return callback(new PrivateAddressError(addresses[0]?.address ?? hostname), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/** Bytes of the answer read for the delivery log; the rest is discarded. */
const MAX_ANSWER = 200;

export function post(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish({ status: null, error: 'the URL is not valid' });
    }
    // An address written in the URL is never looked up, so it is checked here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(literal) !== 0 && isPrivateAddress(literal)) {
      return finish({ status: null, error: new PrivateAddressError(literal).message });
    }
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Gatehouse-Webhooks/1' },
      lookup: guardedLookup(options.allowPrivate),
      agent: false,
    }, (response) => {
      const status = response.statusCode ?? 0;
      let answer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (answer.length < MAX_ANSWER) answer += chunk.slice(0, MAX_ANSWER - answer.length);
      });
      response.on('end', () => {
        const ok = status >= 200 && status < 300;
        finish({ status, error: ok ? null : `HTTP ${status}${answer.trim() ? `: ${answer.trim().replace(/\s+/g, ' ')}` : ''}` });
      });
      response.on('error', (err) => finish({ status, error: err.message }));
    });
    const deadline = setTimeout(() => {
      finish({ status: null, error: `no answer within ${options.timeoutMs} ms` });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (err) => finish({ status: null, error: err.message.split('\n')[0]! }));
    request.end(body);
  });
}
