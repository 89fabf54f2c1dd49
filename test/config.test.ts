/** Configuration (docs/protocol.md §2): defaults, environment variables, and errors that name the variable. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from '../src/config.js';
import { workerCount } from '../src/main.js';

describe('config', () => {
  test('works with no settings at all: 127.0.0.1:8080, http://localhost:8080, ./data, SQLite', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      host: '127.0.0.1', port: 8080, issuer: 'http://localhost:8080', dataDir: path.resolve('data'), databaseUrl: '',
      accessTokenTtlSeconds: 365 * 24 * 3600, codeTtlSeconds: 600, secureCookies: false, signupEnabled: true,
    });
    expect(config.refreshTokenTtlSeconds).toBeGreaterThan(config.accessTokenTtlSeconds);
  });

  test('reads GATEHOUSE_ISSUER, _PORT, _HOST, _DATA_DIR and _DATABASE_URL', () => {
    const config = loadConfig({}, {
      GATEHOUSE_ISSUER: 'https://id.example/', GATEHOUSE_PORT: '9090', GATEHOUSE_HOST: '0.0.0.0',
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse', GATEHOUSE_DATABASE_URL: 'sqlite:/tmp/x.db',
    });
    expect(config).toMatchObject({
      issuer: 'https://id.example', port: 9090, host: '0.0.0.0', dataDir: '/var/lib/gatehouse', databaseUrl: 'sqlite:/tmp/x.db', secureCookies: true,
    });
  });

  test('derives the default issuer from the port', () => {
    expect(loadConfig({}, { GATEHOUSE_PORT: '3000' }).issuer).toBe('http://localhost:3000');
  });

  test('treats an empty variable as unset', () => {
    expect(loadConfig({}, { GATEHOUSE_PORT: '', GATEHOUSE_HOST: '' })).toMatchObject({ port: 8080, host: '127.0.0.1' });
  });

  test('lets explicit overrides win over the environment', () => {
    expect(loadConfig({ port: 1234 }, { GATEHOUSE_PORT: '9090' }).port).toBe(1234);
  });

  test('reads GATEHOUSE_SIGNUP as a switch', () => {
    for (const off of ['0', 'false', 'no', 'OFF']) expect(loadConfig({}, { GATEHOUSE_SIGNUP: off }).signupEnabled).toBe(false);
    expect(loadConfig({}, { GATEHOUSE_SIGNUP: 'yes' }).signupEnabled).toBe(true);
  });

  test('reads a JSON config file named by GATEHOUSE_CONFIG, below the environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-config-'));
    try {
      const file = path.join(dir, 'gatehouse.json');
      writeFileSync(file, JSON.stringify({ host: '10.0.0.1', port: 7000 }));
      expect(loadConfig({}, { GATEHOUSE_CONFIG: file, GATEHOUSE_PORT: '7001' })).toMatchObject({ host: '10.0.0.1', port: 7001 });
      writeFileSync(file, '{ not json');
      expect(() => loadConfig({}, { GATEHOUSE_CONFIG: file })).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reads GATEHOUSE_TRUST_PROXY: off by default, or true, a hop count, or addresses and CIDRs separated by commas', () => {
    expect(loadConfig({}, {}).trustProxy).toBe(false);
    expect(loadConfig({}, { GATEHOUSE_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({}, { GATEHOUSE_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({}, { GATEHOUSE_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({}, { GATEHOUSE_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1 , fd00::/8,loopback' }).trustProxy)
      .toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback']);
    expect(loadConfig({ trustProxy: ['127.0.0.1'] }, {}).trustProxy).toEqual(['127.0.0.1']);
  });

  test.each([
    ['GATEHOUSE_TRUST_PROXY', 'nginx'],
    ['GATEHOUSE_TRUST_PROXY', '10.0.0.0/33'],
    ['GATEHOUSE_TRUST_PROXY', '10.0.0.1/8/8'],
    ['GATEHOUSE_PORT', 'eighty'],
    ['GATEHOUSE_PORT', '70000'],
    ['GATEHOUSE_PORT', '80.5'],
    ['GATEHOUSE_ISSUER', 'not a url'],
    ['GATEHOUSE_ACCESS_TOKEN_TTL', '-1'],
    ['GATEHOUSE_LOG_LEVEL', 'loud'],
  ])('refuses %s=%j with a ConfigError naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({}, { [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^invalid setting ${name}: `));
  });

  test('refuses refresh tokens that would not outlive access tokens', () => {
    expect(() => loadConfig({}, { GATEHOUSE_ACCESS_TOKEN_TTL: '3600', GATEHOUSE_REFRESH_TOKEN_TTL: '3600' })).toThrow(/GATEHOUSE_REFRESH_TOKEN_TTL/);
  });

  test('reads GATEHOUSE_WORKERS: one process by default, a number, or auto (one per core)', () => {
    expect(loadConfig({}, {}).workers).toBe(1);
    expect(loadConfig({}, { GATEHOUSE_WORKERS: '2' }).workers).toBe(2);
    expect(workerCount(loadConfig({}, { GATEHOUSE_WORKERS: 'auto' }))).toBe(availableParallelism());
    for (const bad of ['0', '-1', '1.5', 'many']) expect(() => loadConfig({}, { GATEHOUSE_WORKERS: bad })).toThrow(/^invalid setting GATEHOUSE_WORKERS: /);
  });

  test('reads the PostgreSQL pools: 10 connections for writes and 4 kept for token checks by default', () => {
    const defaults = loadConfig({}, {});
    expect([defaults.databasePoolSize, defaults.databaseReadPoolSize]).toEqual([10, 4]);
    const set = loadConfig({}, { GATEHOUSE_DATABASE_POOL_SIZE: '6', GATEHOUSE_DATABASE_READ_POOL_SIZE: '2' });
    expect([set.databasePoolSize, set.databaseReadPoolSize]).toEqual([6, 2]);
    for (const bad of ['0', '-1', '1.5', 'few']) expect(() => loadConfig({}, { GATEHOUSE_DATABASE_READ_POOL_SIZE: bad })).toThrow(/^invalid setting GATEHOUSE_DATABASE_READ_POOL_SIZE: /);
  });

  test('caps the default token lifetime at the maximum', () => {
    expect(loadConfig({}, { GATEHOUSE_MAX_ACCESS_TOKEN_TTL: '86400' }).accessTokenTtlSeconds).toBe(86400);
  });
});
