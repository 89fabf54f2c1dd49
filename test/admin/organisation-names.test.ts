/**
 * Where the organisation's name belongs outside the pages: the account an
 * authenticator app lists (the `otpauth://` issuer) and the site a passkey
 * prompt names (the WebAuthn relying party's name). Over HTTP, as /account
 * hands them to the browser.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;

beforeAll(async () => {
  // At localhost, where passkeys are offered (WebAuthn takes no IP address as its relying party).
  gh = await startGatehouse({ issuerHost: 'localhost', config: { orgName: 'Northwind Traders' } });
  await gh.createUser('nina', PASSWORD);
});
afterAll(async () => { await gh?.close(); });

test('an authenticator app lists the account under the organisation\'s name, and a passkey prompt names it', async () => {
  const nina = new HttpUser(gh, 'nina', PASSWORD);
  await nina.signIn();
  const setup = (await (await nina.get('/account/two-step/setup')).text()).replace(/&amp;/g, '&');
  const uri = new URL(/href="(otpauth:\/\/[^"]+)"/.exec(setup)![1]!);
  expect(decodeURIComponent(uri.pathname)).toBe('/Northwind Traders:nina');
  expect(uri.searchParams.get('issuer')).toBe('Northwind Traders');

  const { csrf } = hiddenFields(await (await nina.get('/account')).text());
  const res = await nina.post('/account/passkeys/options', { csrf: csrf! });
  expect(res.status).toBe(200);
  const options = (await res.json()) as { rp: { name: string; id: string } };
  expect(options.rp).toEqual({ name: 'Northwind Traders', id: 'localhost' });
});
