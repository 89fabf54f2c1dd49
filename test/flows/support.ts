/**
 * What the flow tests share: a TV-style device client that polls /token the
 * way RFC 8628 §3.4–3.5 asks, a person approving on /device over plain HTTP
 * (from any loopback address, so per-IP limits can be told apart from
 * per-session ones), and small checks against /info.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import type { Clock } from '../../src/types.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, CookieJar, hiddenFields, postForm } from '../helpers/http-client.js';

export const PASSWORD = 'correct horse battery';

/** What POST /device/code answers (RFC 8628 §3.2, docs/protocol.md §5.1). */
export interface DeviceCodeResponse {
  device_code: string;
  user_code: string;
  verification_url: string;
  verification_uri: string;
  verification_uri_complete: string;
  interval: number;
  expires_in: number;
}

export interface PollAnswer {
  status: number;
  body: Record<string, string | number | undefined>;
}

/**
 * A clock that runs `speed` times faster than real time, so that a client
 * polling every `interval` seconds *of server time* waits only
 * `interval / speed` seconds of test time, while still polling on its own
 * schedule, unaware of what the person in the browser is doing.
 */
export function timeLapseClock(speed: number): Clock {
  const start = Date.now();
  return () => Math.floor(start + (Date.now() - start) * speed);
}

/** The app on the TV: starts a device authorization and polls /token. */
export class DeviceClient {
  constructor(
    private readonly gh: TestGatehouse,
    readonly clientId: string,
    private readonly clientSecret: string | null,
  ) {}

  private auth(): Record<string, string> {
    return this.clientSecret === null ? {} : { authorization: basicAuth(this.clientId, this.clientSecret) };
  }

  async start(params: Record<string, string> = {}): Promise<DeviceCodeResponse> {
    const res = await postForm(`${this.gh.url}/device/code`, { client_id: this.clientId, ...params });
    const body = (await res.json()) as DeviceCodeResponse;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  /** One poll; `style` picks Yandex's (`grant_type=device_code&code=`) or RFC 8628's parameters. */
  async poll(deviceCode: string, style: 'yandex' | 'rfc8628' = 'rfc8628'): Promise<PollAnswer> {
    const form: Record<string, string> = style === 'yandex'
      ? { grant_type: 'device_code', code: deviceCode }
      : { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode };
    const body = this.clientSecret === null ? { ...form, client_id: this.clientId } : form;
    const res = await postForm(`${this.gh.url}/token`, body, this.auth());
    return { status: res.status, body: (await res.json()) as PollAnswer['body'] };
  }
}

/** `error` of a poll answer, or `tokens` for a 200. */
export const outcome = (a: PollAnswer): string => (a.status === 200 ? 'tokens' : String(a.body.error));

/** The status /info answers for this access token. */
export async function infoStatus(gh: TestGatehouse, accessToken: string): Promise<number> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

export async function info(gh: TestGatehouse, accessToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info?format=json`, { headers: { authorization: `OAuth ${accessToken}` } });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/**
 * fetch's shape over node:http, bound to a local address: every request of
 * this person comes from that loopback address (127.0.0.0/8 is all loopback).
 */
export function fetchFrom(localAddress: string, url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve(new Response(res.statusCode === 304 ? null : Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A person with a browser session, over plain HTTP, from one loopback address. */
export class Person {
  readonly jar = new CookieJar();

  constructor(
    private readonly gh: TestGatehouse,
    readonly login: string,
    private readonly password = PASSWORD,
    /** Where this person's requests come from; move them with `from`. */
    public address = '127.0.0.1',
  ) {}

  async get(path: string): Promise<Response> {
    const res = await fetchFrom(this.address, new URL(path, this.gh.url), { method: 'GET', headers: { cookie: this.jar.header() } });
    this.jar.store(res);
    return res;
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const res = await fetchFrom(this.address, new URL(path, this.gh.url), {
      method: 'POST',
      headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    this.jar.store(res);
    return res;
  }

  async signIn(): Promise<this> {
    const page = await this.get('/login?return_to=%2Fdevice');
    const res = await this.post('/login', { ...hiddenFields(await page.text()), login: this.login, password: this.password });
    expect(res.status, `sign-in of ${this.login}`).toBe(303);
    return this;
  }

  /** Types a code on /device and presses Continue; returns the answer page. */
  async typeCode(userCode: string): Promise<{ status: number; page: string }> {
    const form = await this.get('/device');
    expect(form.status).toBe(200);
    const res = await this.post('/device', { ...hiddenFields(await form.text()), user_code: userCode });
    return { status: res.status, page: await res.text() };
  }

  /** Types the code and answers the confirmation page; returns the final page. */
  async decide(userCode: string, decision: 'allow' | 'deny', grantedOptional: string[] = []): Promise<{ status: number; page: string }> {
    const confirm = await this.typeCode(userCode);
    expect(confirm.status, confirm.page.slice(0, 400)).toBe(200);
    expect(confirm.page).toContain('name="decision"');
    const form: Record<string, string> = { ...hiddenFields(confirm.page), decision };
    if (grantedOptional.length > 0) form.granted_optional = grantedOptional.join(' ');
    const res = await this.post('/device', form);
    return { status: res.status, page: await res.text() };
  }
}

/** The text of a page's first `<h1>`. */
export function heading(page: string): string {
  return /<h1>([^<]*)<\/h1>/.exec(page)?.[1] ?? '';
}
