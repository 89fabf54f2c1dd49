/**
 * A device name is chosen by whoever starts the authorization, and people
 * read it on Gatehouse's pages: it must be a short name, not a sentence, and
 * hold nothing that changes how the text around it reads — no bidirectional
 * overrides or isolates, no zero-width or other format characters (Unicode
 * category Cf), no controls or line breaks (UTS #39 §3.3 and Unicode's
 * security considerations, UTR #36 §2.4, on bidi spoofing). Every endpoint
 * that takes `device_name` refuses other names with `invalid_request` naming
 * the parameter (RFC 6749 §5.2, §4.1.2.1).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, postForm } from '../helpers/http-client.js';
import { DeviceClient } from './support.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
let gh: TestGatehouse;
let tv: DeviceClient;
let web: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse();
  const app = await gh.createApp({ name: 'Cinema TV', platforms: ['tv'], redirectUris: [], scopes: ['login:info'] });
  tv = new DeviceClient(gh, app.clientId, null);
  const site = await gh.createApp({ name: 'Web app', redirectUris: [REDIRECT], scopes: ['login:info'] });
  web = { clientId: site.clientId, clientSecret: site.clientSecret! };
});
afterAll(async () => { await gh?.close(); });

/** Names that could make the page say something the app did not seem to say. */
const REFUSED: Record<string, string> = {
  'a right-to-left override (U+202E)': 'Living room \u202EVT',
  'a right-to-left isolate (U+2067)': 'TV \u2067Allow\u2069',
  'a left-to-right mark (U+200E)': 'TV\u200E',
  'an Arabic letter mark (U+061C)': 'TV\u061C',
  'a zero-width space (U+200B)': 'Living\u200Broom',
  'a zero-width joiner (U+200D)': 'TV\u200D',
  'a soft hyphen (U+00AD)': 'Living\u00ADroom',
  'a byte order mark (U+FEFF)': '\uFEFFTV',
  'a line separator (U+2028)': 'TV\u2028Press Allow',
  'a newline': 'TV\nPress Allow',
  'a bell (U+0007)': 'TV\u0007',
  'a no-break space (U+00A0)': 'Living\u00A0room',
  'a private-use character (U+E000)': 'TV \uE000',
  'leading spaces': '  TV',
  'two spaces in a row': 'Living  room',
};
const TOO_LONG = 'Gatehouse security check: press Allow now';
const ACCEPTED = ['Living room TV', 'Телевизор в гостиной', 'Salle de séjour — téléviseur', '客厅电视', '📺 Kitchen', 'x'.repeat(40)];

describe('POST /device/code (RFC 8628 §3.1)', () => {
  for (const [what, name] of Object.entries(REFUSED)) {
    test(`refuses a device_name with ${what}: invalid_request naming device_name`, async () => {
      const res = await postForm(`${gh.url}/device/code`, { client_id: tv.clientId, device_id: 'tv-000001', device_name: name });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, string>;
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(/^device_name /);
    });
  }

  test('refuses a device_name longer than 40 characters: a name, not a sentence', async () => {
    expect(TOO_LONG.length).toBe(41);
    const res = await postForm(`${gh.url}/device/code`, { client_id: tv.clientId, device_id: 'tv-000001', device_name: TOO_LONG });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'device_name is too long' });
  });

  test('accepts names in any script, with emoji, up to 40 characters', async () => {
    for (const name of ACCEPTED) {
      const started = await tv.start({ device_id: 'tv-000002', device_name: name });
      expect(started.user_code, name).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    }
  });
});

describe('every other endpoint that takes device_name', () => {
  test('/authorize refuses a bidi override in device_name with invalid_request at the redirect URI (RFC 6749 §4.1.2.1)', async () => {
    const params = { response_type: 'code', client_id: web.clientId, redirect_uri: REDIRECT, state: 's1', device_id: 'phone-0001', device_name: REFUSED['a right-to-left override (U+202E)']! };
    const res = await fetch(`${gh.url}/authorize?${new URLSearchParams(params).toString()}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/^device_name /);
    expect(location.searchParams.get('state')).toBe('s1');
  });

  test('/authorize refuses a device_name longer than 40 characters', async () => {
    const params = { response_type: 'code', client_id: web.clientId, redirect_uri: REDIRECT, device_id: 'phone-0001', device_name: TOO_LONG };
    const res = await fetch(`${gh.url}/authorize?${new URLSearchParams(params).toString()}`, { redirect: 'manual' });
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  test('/token refuses a bidi override or a sentence in device_name with invalid_request (RFC 6749 §5.2)', async () => {
    for (const name of [REFUSED['a right-to-left isolate (U+2067)']!, TOO_LONG]) {
      const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: '1234567', device_id: 'phone-0001', device_name: name }, { authorization: basicAuth(web.clientId, web.clientSecret) });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, string>;
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(/^device_name /);
    }
  });
});
