#!/usr/bin/env node
// A console program that signs in once and remembers the user: @gatehouse/client with a 0600 token file.
//   node examples/node-cli/notes.mjs --issuer http://localhost:8080 --client-id <desktop app's client_id> [--device]
// The first run opens the browser (or shows a code with --device); later runs reuse and refresh the tokens.
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GatehouseClient } from '@gatehouse/client';
import { FileTokenStore, loopbackLogin } from '@gatehouse/client/node';

const { values } = parseArgs({ options: { issuer: { type: 'string' }, 'client-id': { type: 'string' }, device: { type: 'boolean' }, 'token-file': { type: 'string' } } });
if (!values.issuer || !values['client-id']) {
  console.error('usage: notes.mjs --issuer URL --client-id ID [--device] [--token-file FILE]');
  process.exit(2);
}
const store = new FileTokenStore(values['token-file'] ?? path.join(homedir(), '.config', 'notes-cli', 'tokens.json'));
const client = new GatehouseClient({ issuer: values.issuer, clientId: values['client-id'], scope: 'login:info', store });

if (!(await store.get())) {
  if (values.device) {
    await client.deviceLogin({ onCode: (c) => console.error(`Open ${c.verificationUri} and enter ${c.userCode}\n${c.qr.text}`) });
  } else {
    await loopbackLogin(client, { onUrl: (url) => console.error(`Sign in at: ${url}`) });
  }
}
// getUserInfo() refreshes the access token first when it is about to expire.
const me = await client.getUserInfo();
console.log(`Hello, ${me.display_name ?? me.login}!`);
