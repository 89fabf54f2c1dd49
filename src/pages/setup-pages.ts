/**
 * The first-run setup page (/setup, src/setup/first-run.ts) and the
 * organisation's settings on /admin/settings, which the setup leads to.
 */
import type { OrganisationField } from '../organisation/organisation.js';
import { newAccountFields, type NewAccountValues } from './account-pages.js';
import { frame, type AdminPage } from './admin-pages.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import type { Messages } from './messages/en.js';
import { formatHtml } from './parts.js';

export interface SetupPageOptions {
  msgs: Messages;
  csrf: string;
  token: string;
  here: string;
  values?: NewAccountValues;
  error?: string | null;
}

export function setupPage(o: SetupPageOptions): SafeHtml {
  const m = o.msgs;
  const v = o.values ?? {};
  return layout({
    msgs: m,
    title: m.setup.title,
    here: o.here,
    body: html`<h1>${m.setup.title}</h1>
<p>${m.setup.intro}</p>
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<form method="post" action="/setup" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="token" value="${o.token}">
${newAccountFields(m, v)}
<button type="submit" class="primary">${m.setup.create}</button>
</form>`,
  });
}

export function setupInvalidPage(msgs: Messages, here: string): SafeHtml {
  return layout({
    msgs,
    title: msgs.setup.invalidTitle,
    here,
    body: html`<h1>${msgs.setup.invalidTitle}</h1><p>${msgs.setup.invalidText}</p>
<p class="actions"><a class="button primary" href="/login">${msgs.signIn}</a></p>`,
  });
}

export interface OrganisationPageOptions extends AdminPage {
  /** What is saved or configured now, or what was typed when the form was refused. */
  values: Record<OrganisationField, string>;
  logoUrl: string | null;
  /** Right after the first-run setup. */
  welcome: boolean;
  notice?: string | null;
  error?: string | null;
}

export function organisationPage(o: OrganisationPageOptions): SafeHtml {
  const m = o.msgs;
  const t = m.organisation;
  const field = (name: OrganisationField, label: string, hint: string, type: string, extra: SafeHtml | null = null) => html`<label for="org-${name}">${label}</label>
<input id="org-${name}" name="${name}" type="${type}" value="${o.values[name]}" maxlength="500" aria-describedby="org-${name}-hint"${extra}>
<small id="org-${name}-hint" class="hint">${hint}</small>`;
  return frame(o, 'settings', t.title, html`<h1>${t.title}</h1>
${o.welcome ? html`<p class="notice" role="status">${t.welcome}</p>` : null}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<p>${t.intro}</p>
<form method="post" action="/admin/settings" class="form">
${csrfField(o.csrf)}
${field('name', t.name, t.nameHint, 'text', html` autocomplete="organization"`)}
${field('colour', t.colour, t.colourHint, 'text', html` placeholder="#0b7a75" spellcheck="false"`)}
${field('support', t.support, t.supportHint, 'text', html` spellcheck="false"`)}
${field('terms', t.terms, t.linkHint, 'url', html` spellcheck="false"`)}
${field('privacy', t.privacy, t.linkHint, 'url', html` spellcheck="false"`)}
<small class="hint">${formatHtml(t.fromEnvironment, { vars: html`<code>GATEHOUSE_ORG_*</code>` })}</small>
<div class="actions start"><button type="submit" class="primary">${t.save}</button></div>
</form>

<section aria-labelledby="logo">
<h2 id="logo">${t.logo}</h2>
${o.logoUrl ? html`<div class="settings-logo"><img class="logo" src="${o.logoUrl}" alt="${t.logoCurrent}" width="64" height="64"></div>` : null}
<form method="post" action="/admin/settings/logo" enctype="multipart/form-data" class="form">
${csrfField(o.csrf)}
<label for="logo-file">${t.logoFile}</label>
<input id="logo-file" name="logo" type="file" accept="image/png,image/jpeg" required aria-describedby="logo-hint">
<small id="logo-hint" class="hint">${t.logoHint}</small>
<div class="actions start"><button type="submit">${t.uploadLogo}</button></div>
</form>
${o.logoUrl ? html`<form method="post" action="/admin/settings/logo/remove" class="inline">${csrfField(o.csrf)}<button type="submit" class="small">${t.removeLogo}</button></form>` : null}
</section>
${o.welcome ? html`<p class="actions"><a class="button" href="/console/apps/new">${t.next}</a></p>` : null}`);
}
