/**
 * A single-page app signing in with Gatehouse: a public client using the
 * authorization code flow with PKCE (RFC 7636), the tokens kept in memory only.
 * The pending request (state and verifier) survives the redirect in
 * sessionStorage, which only this tab of this origin can read.
 */
import { GatehouseClient, GatehouseError } from '@gatehouse/client';

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)!.content;
const PENDING = 'gatehouse.pending';
const redirectUri = location.origin + location.pathname;
const client = new GatehouseClient({ issuer: meta('gatehouse-issuer'), clientId: meta('gatehouse-client-id'), redirectUri, scope: 'login:info' });

const status = document.getElementById('status')!;
const signIn = document.getElementById('sign-in') as HTMLButtonElement;
const signOut = document.getElementById('sign-out') as HTMLButtonElement;

signIn.addEventListener('click', async () => {
  const pending = await client.authorize();
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  location.assign(pending.url);
});

signOut.addEventListener('click', async () => {
  await client.revoke();
  status.textContent = 'You are signed out.';
  signOut.hidden = true;
  signIn.hidden = false;
});

async function finishSignIn(): Promise<void> {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return;
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', redirectUri);
  try {
    await client.handleRedirect(location.origin + location.pathname + '?' + query.toString(), saved ? JSON.parse(saved) : null);
    const me = await client.getUserInfo();
    status.textContent = `Signed in as ${String(me.display_name ?? me.login)}.`;
    signIn.hidden = true;
    signOut.hidden = false;
  } catch (err) {
    status.textContent = err instanceof GatehouseError ? `Sign-in failed: ${err.code}` : 'Sign-in failed.';
  }
}

void finishSignIn();
// For the tests and the curious: the client, whose tokens live only in this page's memory.
(window as unknown as { gatehouse: GatehouseClient }).gatehouse = client;
