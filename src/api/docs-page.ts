/**
 * /api/v1/docs: the OpenAPI document as a page, rendered on the server from
 * the document itself (no script, nothing from elsewhere): each endpoint with
 * its scope, parameters, body and answers, and the kinds of problem, in
 * Gatehouse's own page layout. The content is the document's, in English.
 */
import { html, type SafeHtml } from '../pages/html.js';
import { layout } from '../pages/layout.js';
import type { Messages } from '../pages/messages/en.js';
import { PROBLEM_TYPES, type ProblemType } from './problem.js';

type Json = Record<string, unknown>;

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function refName(schema: unknown): string | null {
  const ref = (schema as Json | undefined)?.$ref;
  return typeof ref === 'string' ? ref.split('/').pop()! : null;
}

function schemaLink(schema: unknown): SafeHtml {
  const name = refName(schema);
  return name ? html`<a href="#schema-${name}">${name}</a>` : html`<code>${pretty(schema)}</code>`;
}

function operationSection(path: string, method: string, op: Json): SafeHtml {
  const params = (op.parameters as Json[] | undefined) ?? [];
  const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
  const responses = Object.entries(op.responses as Json);
  return html`<section class="api-op" id="op-${String(op.operationId)}">
<h3><code>${method.toUpperCase()} ${path}</code> — ${String(op.summary)}</h3>
<p>Scope: <code>${String(op['x-required-scope'])}</code></p>
${op.description ? html`<p>${String(op.description).split('\n\n')[0]}</p>` : ''}
${params.length ? html`<h4>Parameters</h4><ul>${params.map((p) => {
    if (p.$ref) return html`<li><code>Idempotency-Key</code> (header, optional): see <a href="#idempotency">idempotency</a></li>`;
    return html`<li><code>${String(p.name)}</code> (${String(p.in)}${p.required ? '' : ', optional'})${p.description ? html`: ${String(p.description)}` : ''}</li>`;
  })}</ul>` : ''}
${body ? html`<h4>Body</h4><p>${schemaLink(body.schema)}</p>` : ''}
<h4>Answers</h4><ul>${responses.map(([status, r]) => {
    const resp = r as Json;
    if (resp.$ref) {
      const kind = refName(resp) as ProblemType;
      return html`<li>${status}: <a href="#problem-${kind}">${PROBLEM_TYPES[kind]?.title ?? kind}</a></li>`;
    }
    const content = (resp.content as Json | undefined)?.['application/json'] as Json | undefined;
    return html`<li>${status}: ${String(resp.description)}${content ? html` — ${schemaLink(content.schema)}` : ''}</li>`;
  })}</ul>
</section>`;
}

export function apiDocsPage(doc: Json, msgs: Messages): SafeHtml {
  const info = doc.info as Json;
  const tags = doc.tags as { name: string; description: string }[];
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const schemas = (doc.components as Json).schemas as Record<string, unknown>;
  const ops = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const body = html`<h1>${String(info.title)}</h1>
<p>${String(info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1). Base URL: <code>${String((doc.servers as Json[])[0]!.url)}</code></p>
<nav><ul>${tags.map((t) => html`<li><a href="#tag-${t.name.replace(/\W+/g, '-')}">${t.name}</a></li>`)}<li><a href="#problems">Problems</a></li><li><a href="#paging">Paging</a></li><li><a href="#idempotency">Idempotency</a></li><li><a href="#schemas">Schemas</a></li></ul></nav>
${tags.map((t) => html`<h2 id="tag-${t.name.replace(/\W+/g, '-')}">${t.name}</h2><p>${t.description}</p>
${ops.filter(({ op }) => (op.tags as string[]).includes(t.name)).map(({ path, method, op }) => operationSection(path, method, op))}`)}
<h2 id="problems">Problems</h2>
<p>Every error is an RFC 9457 problem (<code>application/problem+json</code>) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and <code>instance</code>; invalid requests list each wrong field in <code>errors</code> as a JSON pointer.</p>
<dl>${(Object.keys(PROBLEM_TYPES) as ProblemType[]).map((k) => html`<dt id="problem-${k}"><code>${k}</code> — ${PROBLEM_TYPES[k].status} ${PROBLEM_TYPES[k].title}</dt><dd>${PROBLEM_TYPES[k].about}</dd>`)}</dl>
<h2 id="paging">Paging</h2>
<p>Lists answer <code>{"items": […], "next_cursor": "…"}</code>. Send <code>next_cursor</code> back as <code>cursor</code> (with the same filters) for the next page; it is null on the last. Cursors are opaque.</p>
<h2 id="idempotency">Idempotency</h2>
<p>Writes (POST, PATCH, DELETE) accept an <code>Idempotency-Key</code> header. The same key with the same request from the same app within 24 hours gets the first answer again (with <code>Idempotent-Replayed: true</code>) and the change is made once; with a different request, 422; while the first is still being answered, 409.</p>
<h2 id="schemas">Schemas</h2>
${Object.entries(schemas).map(([name, schema]) => html`<h3 id="schema-${name}">${name}</h3><pre class="api-schema">${pretty(schema)}</pre>`)}
`;
  return layout({ msgs, title: String(info.title), body, wide: true, here: '/api/v1/docs' });
}
