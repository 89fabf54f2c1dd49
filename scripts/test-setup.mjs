#!/usr/bin/env node
/**
 * Run by `npm test` before vitest: makes sure Debian's Chromium is installed,
 * because the browser tests drive it through playwright-core
 * (test/helpers/browser.ts), and PostgreSQL's server binaries, because the
 * suite runs on PostgreSQL too (test/helpers/postgres.ts starts a throwaway
 * cluster; no service is enabled), and Debian's nginx, because
 * test/security/proxy.test.ts runs Gatehouse behind a real reverse proxy
 * (test/helpers/nginx.ts starts it in the foreground; no service is enabled),
 * and wrk, the benchmark's load generator (test/bench).
 * Nothing else is downloaded: Playwright's own browser builds
 * (`npx playwright install`) are never fetched.
 *
 * Fast and silent when all are already there (PostgreSQL also when
 * GATEHOUSE_TEST_DATABASE_URL names a server to use instead).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`test-setup: "${command} ${args.join(' ')}" failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Installs Debian's `pkg` when `present()` says it is missing: as root with
 * apt-get, otherwise by telling the user the command and stopping.
 */
function ensure({ pkg, present, missing, why, apt = ['--no-install-recommends'], after = () => {} }) {
  if (present()) return;
  if (!isRoot) {
    console.error(`test-setup: ${missing} is missing; ${why}.\nInstall it as root, then run the tests again:\n  sudo apt-get update && sudo apt-get install -y ${pkg}`);
    process.exit(1);
  }
  console.log(`test-setup: ${missing} is missing; installing Debian's ${pkg} package (apt-get update && apt-get install -y ${pkg})…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...apt, pkg]);
  after();
  if (!present()) {
    console.error(`test-setup: apt-get finished but ${missing} is still missing`);
    process.exit(1);
  }
  console.log(`test-setup: ${pkg} installed.`);
}

ensure({ pkg: 'chromium', present: () => isExecutable(CHROMIUM), missing: CHROMIUM, why: "the browser tests need Debian's Chromium", apt: [] });

function hasPostgresServer() {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => isExecutable(`${root}/${v}/bin/initdb`));
}

if (!process.env.GATEHOUSE_TEST_DATABASE_URL) {
  ensure({
    pkg: 'postgresql', present: hasPostgresServer, missing: 'initdb under /usr/lib/postgresql',
    why: 'the suite runs on PostgreSQL too (or set GATEHOUSE_TEST_DATABASE_URL=postgres://… to a server to use)',
  });
}

const NGINX = '/usr/sbin/nginx';
ensure({
  pkg: 'nginx', present: () => isExecutable(NGINX), missing: NGINX, why: "the reverse-proxy tests run Gatehouse behind Debian's nginx",
  // The package starts a system nginx on port 80 where it can; the tests start their own and need none.
  after: () => spawnSync('systemctl', ['disable', '--now', 'nginx'], { stdio: 'ignore' }),
});

// The benchmark's load generator, whose steady schedule test/bench/wrk-schedule.test.ts checks.
ensure({ pkg: 'wrk', present: () => spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined, missing: 'wrk', why: 'the benchmark harness tests drive it' });
