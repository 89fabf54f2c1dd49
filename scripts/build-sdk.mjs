// The browser SDK (docs/protocol.md §8): src/sdk/*.ts bundled and minified by esbuild into
// <out>/sdk, with source maps. Called by build.mjs once the server is compiled,
// so the SDK's few strings come from the same message catalogues as the pages.
import { build } from 'esbuild';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Scripts served under /sdk/: the two a site includes, and those of Gatehouse's own frames and pages. */
export const SDK_ENTRIES = ['suggest', 'suggest-token', 'frame', 'handoff', 'button-generator', 'passkeys'];

/** The strings the SDK draws itself (its fallback button), per language, from the compiled catalogues. */
async function sdkTexts(out) {
  const { CATALOGUES } = await import(pathToFileURL(path.resolve(out, 'pages/messages/index.js')).href);
  return Object.fromEntries(
    Object.entries(CATALOGUES).map(([lang, m]) => [lang, { logIn: m.suggestLogIn, short: m.suggestShort }]),
  );
}

export async function buildSdk(out) {
  await build({
    entryPoints: SDK_ENTRIES.map((name) => `src/sdk/${name}.ts`),
    outdir: path.join(out, 'sdk'),
    bundle: true,
    minify: true,
    sourcemap: true,
    sourcesContent: true,
    format: 'iife',
    target: ['es2019'],
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    define: { SDK_TEXTS: JSON.stringify(await sdkTexts(out)) },
  });
}
