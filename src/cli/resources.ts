/** `gatehouse resource …`: the resource servers (APIs) apps may ask tokens for with `resource` (RFC 8707). */
import type { Command } from 'commander';
import type { ResourceServerRecord } from '../storage/resource-store.js';
import { print, withContext } from './support.js';

function publicResource(r: ResourceServerRecord) {
  return { uri: r.uri, name: r.name, jwt: r.jwt, app: r.clientId, created_at: new Date(r.createdAt).toISOString() };
}

export function resourceCommands(cli: Command): void {
  const resource = cli.command('resource').description('resource servers (APIs) that tokens can be restricted to (RFC 8707)');

  resource.command('add').description('register a resource server: apps may then ask for tokens whose audience is it alone')
    .requiredOption('--uri <uri>', 'its identifier, an https URI (the `resource` apps send, the `aud` of its tokens)')
    .option('--name <name>', 'a name for operators (default: the URI\'s host)')
    .option('--jwt', 'its access tokens are RFC 9068 JWTs, which it verifies offline against /jwks (default: opaque tokens it introspects)')
    .option('--app <client_id>', 'the confidential app the resource server authenticates as to introspect the tokens issued for it')
    .option('--json', 'print JSON')
    .action(async (o: { uri: string; name?: string; jwt?: boolean; app?: string; json?: boolean }) => {
      const added = await withContext((ctx) => ctx.resources.add({ uri: o.uri, name: o.name, jwt: !!o.jwt, clientId: o.app ?? null }));
      print(!!o.json, publicResource(added), `resource server: ${added.uri}\nname:            ${added.name}\naccess tokens:   ${added.jwt ? 'JWT (RFC 9068, verify against /jwks)' : 'opaque (introspect them)'}${added.clientId ? `\nintrospects as:  ${added.clientId}` : ''}`);
    });

  resource.command('list').description('list resource servers')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const all = await withContext((ctx) => ctx.resources.list());
      print(!!o.json, all.map(publicResource), all.length ? all.map((r) => `${r.uri}  ${r.jwt ? 'jwt   ' : 'opaque'}  ${r.name}${r.clientId ? `  (app ${r.clientId})` : ''}`).join('\n') : 'no resource servers');
    });

  resource.command('remove').description('remove a resource server: apps can no longer ask for tokens for it')
    .requiredOption('--uri <uri>', 'its URI')
    .option('--json', 'print JSON')
    .action(async (o: { uri: string; json?: boolean }) => {
      await withContext((ctx) => ctx.resources.remove(o.uri));
      print(!!o.json, { removed: o.uri }, `removed ${o.uri}`);
    });
}
