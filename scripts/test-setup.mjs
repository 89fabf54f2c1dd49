#!/usr/bin/env node
/**
 * Run by `npm test` before vitest: makes sure Debian's Chromium is installed,
 * because the browser tests drive it through playwright-core
 * (test/helpers/browser.ts), and PostgreSQL's server binaries, because the
 * suite runs on PostgreSQL too (test/helpers/postgres.ts starts a throwaway
 * cluster; no service is enabled), and Debian's nginx, because
 * test/security/proxy.test.ts runs Gatehouse behind a real reverse proxy
 * (test/helpers/nginx.ts starts it in the foreground; no service is enabled).
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

if (!isExecutable(CHROMIUM)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `test-setup: ${CHROMIUM} is missing; the browser tests need Debian's Chromium.\n` +
        'Install it as root, then run the tests again:\n' +
        '  sudo apt-get update && sudo apt-get install -y chromium',
    );
    process.exit(1);
  }
  console.log(`test-setup: ${CHROMIUM} is missing; installing Debian's chromium package (apt-get update && apt-get install -y chromium)…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
  if (!isExecutable(CHROMIUM)) {
    console.error(`test-setup: apt-get finished but ${CHROMIUM} is still missing`);
    process.exit(1);
  }
  console.log('test-setup: chromium installed.');
}

function hasPostgresServer() {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => isExecutable(`${root}/${v}/bin/initdb`));
}

if (!process.env.GATEHOUSE_TEST_DATABASE_URL && !hasPostgresServer()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      'test-setup: PostgreSQL server binaries are missing; the suite runs on PostgreSQL too.\n' +
        'Install them as root (sudo apt-get install -y postgresql), or set GATEHOUSE_TEST_DATABASE_URL=postgres://… to a server to use.',
    );
    process.exit(1);
  }
  console.log('test-setup: PostgreSQL server binaries are missing; installing Debian\'s postgresql package…');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql']);
  if (!hasPostgresServer()) {
    console.error('test-setup: apt-get finished but no initdb is under /usr/lib/postgresql');
    process.exit(1);
  }
  console.log('test-setup: postgresql installed.');
}

const NGINX = '/usr/sbin/nginx';

if (!isExecutable(NGINX)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `test-setup: ${NGINX} is missing; the reverse-proxy tests run Gatehouse behind Debian's nginx.\n` +
        'Install it as root, then run the tests again:\n' +
        '  sudo apt-get update && sudo apt-get install -y nginx',
    );
    process.exit(1);
  }
  console.log(`test-setup: ${NGINX} is missing; installing Debian's nginx package (apt-get update && apt-get install -y nginx)…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx']);
  // The package starts a system nginx on port 80 where it can; the tests start their own and need none.
  spawnSync('systemctl', ['disable', '--now', 'nginx'], { stdio: 'ignore' });
  if (!isExecutable(NGINX)) {
    console.error(`test-setup: apt-get finished but ${NGINX} is still missing`);
    process.exit(1);
  }
  console.log('test-setup: nginx installed.');
}
