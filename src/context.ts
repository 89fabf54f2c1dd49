/**
 * Wiring: builds every service from a configuration, in one visible place.
 * The server, the CLI and the tests all start here.
 */
import { AddressConfirmations } from './accounts/addresses.js';
import { Passkeys } from './accounts/passkeys.js';
import { PasswordResets } from './accounts/password-reset.js';
import { SignInGuard } from './accounts/sign-in-guard.js';
import { TwoStep } from './accounts/two-step.js';
import { Users } from './accounts/users.js';
import { Apps } from './apps/apps.js';
import { AuditLog } from './audit/audit-log.js';
import type { Config } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { PictureUploads } from './images/picture-uploads.js';
import { mailerFor } from './mail/mailer.js';
import { MailService } from './mail/mail-service.js';
import { LIMITS, type Limits } from './oauth/attempts.js';
import type { GrantContext } from './oauth/grants/grant.js';
import { ClientAssertions } from './oauth/client-assertion.js';
import { ClientJwksFetcher } from './oauth/client-jwks.js';
import { TokenService } from './oauth/tokens.js';
import { IdTokens } from './oidc/id-token.js';
import { ensureSigningKeys, KeyStore } from './oidc/keys.js';
import { Organisation } from './organisation/organisation.js';
import { FirstRun } from './setup/first-run.js';
import { Registrations } from './registration/registration.js';
import { JwtAccessTokens } from './resources/jwt-access-token.js';
import { ResourceServers } from './resources/resources.js';
import { openStorage, type OpenOptions } from './storage/open.js';
import type { Storage } from './storage/storage.js';
import { systemClock, type Clock } from './types.js';
import { Federation } from './upstreams/federation.js';
import { Upstreams } from './upstreams/upstreams.js';
import { WebhookDelivery } from './webhooks/delivery.js';
import { Webhooks } from './webhooks/webhooks.js';
import { DpopVerifier } from './oauth/dpop.js';

export interface Context extends GrantContext {
  config: Config;
  storage: Storage;
  clock: Clock;
  secrets: SecretBox;
  users: Users;
  apps: Apps;
  tokens: TokenService;
  limits: Limits;
  signInGuard: SignInGuard;
  keys: KeyStore;
  idTokens: IdTokens;
  /** DPoP proofs (RFC 9449): checked at /token and where bound tokens are used. */
  dpop: DpopVerifier;
  /** Who did what, when and from where (issue 10). */
  audit: AuditLog;
  /** Avatar and icon uploads: limited per user, decoded in a worker thread. */
  pictures: PictureUploads;
  /** Every mail goes through here: recorded in the outbox, then sent (issue 16). */
  mail: MailService;
  /** Confirmation of the addresses users add; what apps may see (src/accounts/addresses.ts). */
  addresses: AddressConfirmations;
  /** "Forgot your password?" by mail. */
  passwordResets: PasswordResets;
  /** Two-step sign-in: authenticator apps and recovery codes (src/accounts/two-step.ts). */
  twoStep: TwoStep;
  /** Passkeys and security keys (WebAuthn): adding them, signing in with them, the second step. */
  passkeys: Passkeys;
  /** The identity providers users sign in through, as the operator configured them (src/upstreams/upstreams.ts). */
  upstreams: Upstreams;
  /** Signing in through them: state, callback, linking (src/upstreams/federation.ts). */
  federation: Federation;
  /** The organisation's name, logo, colour and links, shown instead of Gatehouse's (src/organisation/). */
  organisation: Organisation;
  /** The first-run setup link, and whether an operator exists yet (src/setup/first-run.ts). */
  firstRun: FirstRun;
  /** Webhook endpoints (API, /admin, CLI): src/webhooks/webhooks.ts. */
  webhooks: Webhooks;
  /** Sends the webhook outbox; started by the server (src/main.ts), not by the CLI. */
  webhookDelivery: WebhookDelivery;
  /** `private_key_jwt` and `client_secret_jwt` (src/oauth/client-assertion.ts). */
  clientAssertions: ClientAssertions;
  /** Dynamic client registration and its management (src/registration/registration.ts). */
  registrations: Registrations;
  /** Resource servers (RFC 8707) operators register (src/resources/resources.ts). */
  resources: ResourceServers;
  close(): Promise<void>;
}

/**
 * `requireUnits`: every audit entry that causes webhook events must be written
 * in the unit of work of its change (AuditLog); the test suite's servers run
 * so, to catch a door that forgets. `walSyncer`: what syncs SQLite's log
 * (open.ts), for tests that make a sync fail.
 */
export async function createContext(config: Config, options: { clock?: Clock; requireUnits?: boolean } & OpenOptions = {}): Promise<Context> {
  const clock = options.clock ?? systemClock;
  const secrets = SecretBox.fromConfig(config);
  const storage = await openStorage(config, options.walSyncer ? { walSyncer: options.walSyncer } : {});
  try {
    await ensureSigningKeys(storage, secrets, clock);
  } catch (err) {
    await storage.close();
    throw err;
  }
  const keys = new KeyStore(storage, secrets, clock, config.idTokenTtlSeconds * 1000);
  const idTokens = new IdTokens(keys, clock, config.issuer, config.idTokenTtlSeconds, secrets.deriveKey('psuid'));
  const limits: Limits = { ...LIMITS, ...config.limits };
  const users = new Users(storage, clock);
  const signInGuard = new SignInGuard(storage, users, clock, limits);
  const pictures = new PictureUploads(storage, clock, limits.pictureUploadsPerUser);
  const audit = new AuditLog(storage, clock, { requireUnits: options.requireUnits ?? false });
  let organisation: Organisation;
  try {
    organisation = new Organisation(storage, config, clock, audit, pictures);
  } catch (err) {
    await storage.close();
    throw err;
  }
  const webhookDelivery = new WebhookDelivery(storage, secrets, clock, audit, {
    timeoutMs: config.webhookTimeoutSeconds * 1000, allowPrivate: config.webhookAllowPrivate,
  });
  const webhooks = new Webhooks(storage, secrets, clock, audit, webhookDelivery, config.webhookAllowPrivate);
  // Every audit entry from here on is written with the webhook events it causes (src/webhooks/events.ts).
  audit.withEvents(webhooks);
  const mail = new MailService(storage, secrets, clock, mailerFor(config), audit, config.mailFrom, organisation);
  const apps = new Apps(storage, secrets, clock, { defaultTtlSeconds: config.accessTokenTtlSeconds, maxTtlSeconds: config.maxAccessTokenTtlSeconds, allowPrivateJwksUri: config.allowPrivateJwksUri });
  const upstreams = new Upstreams(storage, secrets, clock, audit, config.issuer);
  // Authenticator apps and passkey prompts name the organisation, as the pages do.
  const organisationName = async () => (await organisation.look()).name;
  return {
    config,
    issuer: config.issuer,
    storage,
    clock,
    secrets,
    users,
    limits,
    signInGuard,
    apps,
    tokens: new TokenService(storage, clock, config.refreshTokenTtlSeconds, idTokens, new JwtAccessTokens(keys, idTokens, config.issuer)),
    keys,
    idTokens,
    dpop: new DpopVerifier(storage, clock, secrets.deriveKey('dpop-nonce')),
    audit,
    pictures,
    mail,
    addresses: new AddressConfirmations(storage, mail, audit, clock, config.issuer, limits.confirmationMailPerAccount),
    passwordResets: new PasswordResets(storage, users, mail, audit, clock, config.issuer, { limits, signInGuard }),
    twoStep: new TwoStep(storage, secrets, audit, clock, limits, organisationName),
    passkeys: new Passkeys(storage, clock, audit, config.issuer, organisationName, limits),
    upstreams,
    federation: new Federation(storage, secrets, clock, audit, upstreams),
    organisation,
    firstRun: new FirstRun(storage, users, audit, config.issuer),
    webhooks,
    webhookDelivery,
    resources: new ResourceServers(storage, audit, clock),
    registrations: new Registrations(storage, apps, secrets, audit, clock, { issuer: config.issuer, mode: config.registration, limit: limits.registrationPerAddress }),
    clientAssertions: new ClientAssertions(storage, secrets, clock, config.issuer, new ClientJwksFetcher(clock, config.allowPrivateJwksUri)),
    close: async () => {
      await pictures.close();
      await webhookDelivery.close();
      // Mails being handed over finish first; any that fail stay in the outbox for the next start.
      await mail.close();
      await storage.close();
    },
  };
}
