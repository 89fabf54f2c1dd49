/**
 * The organisation that runs this Gatehouse, as its users see it: its name
 * (in place of "Gatehouse" on every page and in every mail), a logo, a brand
 * colour, where to ask for help, and links to its terms and privacy policy.
 *
 * GATEHOUSE_ORG_* variables give the starting values; what an operator saves
 * on /admin/settings is kept in the database and wins over them, so every
 * process serving the same database shows the same (each reads it again
 * after `CACHE_MS`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import { randomHex } from '../crypto/random.js';
import { InputError } from '../errors.js';
import type { PictureUploads } from '../images/picture-uploads.js';
import type { Storage } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';

export const PRODUCT_NAME = 'Gatehouse';

/** What pages and mails show. */
export interface OrganisationLook {
  /** "Gatehouse" when unset. */
  name: string;
  /** A same-origin picture URL (an upload at /icons/…, or the GATEHOUSE_ORG_LOGO file), or null for Gatehouse's own. */
  logoUrl: string | null;
  /** `#rrggbb`, or null for Gatehouse's blue. */
  colour: string | null;
  /** An email address or a web address. */
  support: string | null;
  termsUrl: string | null;
  privacyUrl: string | null;
}

/** No organisation set: Gatehouse's own name, logo and colour, no links. */
export const DEFAULT_LOOK: OrganisationLook = Object.freeze({ name: PRODUCT_NAME, logoUrl: null, colour: null, support: null, termsUrl: null, privacyUrl: null });

/** The fields an operator sets, with their names in the database, in forms and in errors. */
export const ORGANISATION_FIELDS = ['name', 'colour', 'support', 'terms', 'privacy'] as const;
export type OrganisationField = (typeof ORGANISATION_FIELDS)[number];

/** Where the GATEHOUSE_ORG_LOGO file is served. */
export const CONFIGURED_LOGO_PATH = '/assets/organisation-logo';
const ICON_PATH = '/icons/';
const CACHE_MS = 5000;
const MAX_LOGO_FILE = 512 * 1024;

/** Checks one field; returns the value to keep ('' for unset) or throws an InputError naming what is wrong. */
export function checkOrganisationField(field: OrganisationField, raw: string): string {
  const value = raw.trim();
  if (value === '') return '';
  switch (field) {
    case 'name':
      if (value.length > 80 || /[\u0000-\u001f\u007f]/.test(value)) throw new InputError('the name must be at most 80 characters on one line');
      return value;
    case 'colour': {
      const short = /^#?([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
      const hex = short ? `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}` : /^#?[0-9a-f]{6}$/i.test(value) ? `#${value.replace('#', '')}` : null;
      if (!hex) throw new InputError('the colour must be written #rrggbb, e.g. #0b7a75');
      return hex.toLowerCase();
    }
    case 'support':
      if (/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(value) && value.length <= 254) return value;
      return checkWebAddress(value, 'the support contact must be an email address or a web address (https://…)');
    case 'terms':
    case 'privacy':
      return checkWebAddress(value, `the ${field === 'terms' ? 'terms' : 'privacy policy'} link must be a web address (https://…)`);
  }
}

function checkWebAddress(value: string, message: string): string {
  if (value.length > 500 || !URL.canParse(value)) throw new InputError(message);
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(message);
  return url.href;
}

/** A logo file named by GATEHOUSE_ORG_LOGO: PNG, JPEG, WebP or SVG, read once at start. */
export interface LogoFile {
  body: Buffer;
  type: string;
}

const LOGO_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.svg': 'image/svg+xml' };

export function readLogoFile(file: string): LogoFile | null {
  if (file === '') return null;
  const type = LOGO_TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new InputError(`GATEHOUSE_ORG_LOGO must name a .png, .jpg, .webp or .svg file: ${file}`);
  const body = readFileSync(file);
  if (body.length > MAX_LOGO_FILE) throw new InputError(`GATEHOUSE_ORG_LOGO is larger than ${MAX_LOGO_FILE / 1024} KB: ${file}`);
  return { body, type };
}

export class Organisation {
  private cached: { look: OrganisationLook; at: number } | null = null;
  readonly logoFile: LogoFile | null;

  constructor(
    private readonly storage: Storage,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly pictures: PictureUploads,
  ) {
    this.logoFile = readLogoFile(config.orgLogo);
  }

  /** What the configuration alone says (GATEHOUSE_ORG_*). */
  private configured(): Record<OrganisationField | 'logo', string> {
    const c = this.config;
    return { name: c.orgName, colour: c.orgColour, support: c.orgSupport, terms: c.orgTermsUrl, privacy: c.orgPrivacyUrl, logo: this.logoFile ? CONFIGURED_LOGO_PATH : '' };
  }

  /** The values in effect: saved on /admin, else configured, else unset (''). */
  async values(): Promise<Record<OrganisationField | 'logo', string>> {
    const saved = await this.storage.settings.readSettings();
    const out = this.configured();
    for (const key of [...ORGANISATION_FIELDS, 'logo'] as const) {
      const stored = saved[`organisation.${key}`];
      if (stored !== undefined) out[key] = stored;
    }
    return out;
  }

  /** The look now, read again from the database when older than `CACHE_MS`. */
  async look(): Promise<OrganisationLook> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.look;
    return this.refresh();
  }

  /**
   * The look for a page being rendered, without waiting: the last one read,
   * refreshed in the background when old (a page may show a change another
   * process saved a few seconds late). Before the first read, the default.
   */
  lookNow(): OrganisationLook | null {
    if (!this.cached || Date.now() - this.cached.at >= CACHE_MS) this.refreshing ??= this.refresh().catch(() => this.cached?.look ?? null).finally(() => { this.refreshing = null; });
    return this.cached?.look ?? null;
  }

  private refreshing: Promise<unknown> | null = null;

  private async refresh(): Promise<OrganisationLook> {
    const v = await this.values();
    const look: OrganisationLook = Object.values(v).every((x) => x === '') ? DEFAULT_LOOK : {
      name: v.name || PRODUCT_NAME,
      logoUrl: v.logo || null,
      colour: v.colour || null,
      support: v.support || null,
      termsUrl: v.terms || null,
      privacyUrl: v.privacy || null,
    };
    this.cached = { look, at: Date.now() };
    return look;
  }

  /** Saves what an operator typed on /admin/settings; an empty field goes back to the configured value. */
  async save(input: Partial<Record<OrganisationField, string>>, actor: AuditActor, ip: string | null): Promise<void> {
    const values: Record<string, string | null> = {};
    const configured = this.configured();
    for (const field of ORGANISATION_FIELDS) {
      const raw = input[field];
      if (raw === undefined) continue;
      const value = checkOrganisationField(field, raw);
      values[`organisation.${field}`] = value === '' || value === configured[field] ? null : value;
    }
    await this.storage.settings.writeSettings(values, this.clock());
    await this.refresh();
    await this.audit.record({ action: 'settings_changed', actor, ip, details: { fields: Object.keys(values).map((k) => k.slice('organisation.'.length)) } });
  }

  /** A new logo, redrawn as a square PNG by the picture worker (counted against the operator's uploads). */
  async setLogo(file: Buffer, by: UserId, ip: string | null): Promise<void> {
    const data = await this.pictures.icon(by, file);
    const id = randomHex(16);
    const now = this.clock();
    const before = (await this.values()).logo;
    await this.storage.saveImages([{ id, variant: 'icon', contentType: 'image/png', data, createdAt: now }]);
    await this.storage.settings.writeSettings({ 'organisation.logo': ICON_PATH + id }, now);
    await this.dropUpload(before);
    await this.refresh();
    await this.audit.record({ action: 'settings_changed', actor: { type: 'user', id: by }, ip, details: { fields: ['logo'] } });
  }

  /** Back to the configured logo, or Gatehouse's own. */
  async removeLogo(by: UserId, ip: string | null): Promise<void> {
    const before = (await this.values()).logo;
    await this.storage.settings.writeSettings({ 'organisation.logo': null }, this.clock());
    await this.dropUpload(before);
    await this.refresh();
    await this.audit.record({ action: 'settings_changed', actor: { type: 'user', id: by }, ip, details: { fields: ['logo'] } });
  }

  private async dropUpload(logo: string): Promise<void> {
    if (logo.startsWith(ICON_PATH)) await this.storage.deleteImages(logo.slice(ICON_PATH.length));
  }
}
