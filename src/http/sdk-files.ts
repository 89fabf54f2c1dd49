/**
 * The browser SDK's built files (dist/sdk, made by scripts/build-sdk.mjs):
 * loaded once, with one version — a hash of them all — for the immutable
 * `/sdk/v/<version>/…` URLs that Gatehouse's own pages use.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { PACKAGE_ROOT } from '../package-root.js';

const SDK_DIR = path.join(PACKAGE_ROOT, 'dist', 'sdk');

export interface SdkFile {
  body: Buffer;
  type: string;
  etag: string;
}

export interface SdkFiles {
  /** Hash of every file: changes whenever any of them does. */
  version: string;
  files: ReadonlyMap<string, SdkFile>;
  /** The immutable URL of one file, for Gatehouse's own pages. */
  url(name: string): string;
}

function load(): SdkFiles | null {
  let names: string[];
  try {
    names = readdirSync(SDK_DIR).filter((n) => n.endsWith('.js') || n.endsWith('.js.map')).sort();
  } catch {
    return null;
  }
  const files = new Map<string, SdkFile>();
  const all = createHash('sha256');
  for (const name of names) {
    const body = readFileSync(path.join(SDK_DIR, name));
    all.update(name).update(body);
    const type = name.endsWith('.map') ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8';
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  if (!files.has('suggest.js')) return null;
  const version = all.digest('hex').slice(0, 12);
  return { version, files, url: (name) => `/sdk/v/${version}/${name}` };
}

let cached: SdkFiles | null | undefined;

/** The built SDK, or null when it has not been built (`npm run build`). */
export function sdkFiles(): SdkFiles | null {
  if (cached === undefined) cached = load();
  return cached;
}

/** The answer while the SDK is not built: pages and scripts that need it cannot be served. */
export function sdkNotBuilt(reply: FastifyReply): FastifyReply {
  return reply.code(503).send({ error: 'temporarily_unavailable', error_description: 'the browser SDK is not built: run npm run build' });
}
