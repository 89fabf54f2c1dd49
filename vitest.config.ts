import { defineConfig } from 'vitest/config';

/** Tests that run a whole Gatehouse: once on SQLite, once more on PostgreSQL (issue 9: one suite, two engines). */
const ON_BOTH_ENGINES = [
  'test/integration/**/*.test.ts', 'test/flows/**/*.test.ts', 'test/oidc/**/*.test.ts',
  // Races need the real engine's atomicity: one winner on PostgreSQL too (issue 10).
  'test/security/races.test.ts',
  'test/security/app-trust.test.ts', // who may claim the issuer host and lift a block is stored state (issue 15)
  // Abuse limits are counters in the database, shared by every process (issue 15).
  'test/security/{limits,guessing,proxy,two-step}.test.ts',
  'test/security/races.test.ts', 'test/security/revocation-races.test.ts',
  'test/setup/first-run.test.ts', // whether an operator exists is stored state, read by every process
  'test/accounts/passkeys.test.ts', // single-use WebAuthn challenges are the database's atomicity (issue 16)
  'test/accounts/account-data.test.ts', // erasure is one transaction of the engine's (issue 20)
  'test/upstreams/upstream-attacks.test.ts', // states bound to a browser and used once, limits: rows in the database (issue 18)
  'test/webhooks/atomic-doors.test.ts', // a change and its webhook event are one transaction of the engine's
  'test/api/**/*.test.ts', // the management API: idempotency keys, cursors and per-app limits are rows in the database (issue 21)
  // Assertion jti replays, initial access tokens, registration limits and resource servers are rows in the database (issue 19).
  'test/modern/{client-assertions,registration,resources}.test.ts',
  'test/oauth/{dpop,par,browser-apps,openid-client-dpop}.test.ts', // DPoP jti cache, pushed requests and token families are rows in the database (issue 19)
];

export default defineConfig({
  test: {
    // Generous: CI machines are shared, and a browser test on a busy two-core machine can take several times its idle time.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores here: browser tests and argon2 compete for them.
    maxWorkers: 2,
    // The suite keeps both cores busy with other test processes and browsers; hashes below their priority
    // would wait for all of them (passwords.test.ts checks the production default of 10 on its own pool).
    env: { GATEHOUSE_HASHING_NICE: '0' },
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ON_BOTH_ENGINES,
          globalSetup: ['test/global-setup.ts'],
          env: { GATEHOUSE_TEST_ENGINE: 'postgres' },
        },
      },
    ],
  },
});
