/**
 * PostgreSQL's hot-path reads (src/storage/sql/prepared-reads.ts) asked for
 * in one turn of the event loop go to the server together, on one
 * connection: each answers as it would alone, and a read the server refuses
 * fails alone, leaving the others and the connection as they were.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { postgresReads } from '../../src/storage/sql/prepared-reads.js';
import { freshDatabase } from '../helpers/postgres.js';

let database: { url: string; drop(): Promise<void> };
let pool: pg.Pool;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

test('reads asked for together share one connection, and each gets its own answer', async () => {
  const reads = postgresReads(pool);
  const connected: unknown[] = [];
  pool.on('acquire', (client) => connected.push(client));
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => reads.first('double', 'select $1::int * 2', [i])));
  expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => [i * 2]));
  expect(connected).toHaveLength(1);
  expect(pool.totalCount).toBe(1);
});

test('a read the server refuses fails alone; the others in its batch and the connection carry on', async () => {
  const reads = postgresReads(pool);
  const asked = [1, 0, 4].map((n) => reads.first('quotient', 'select 12 / $1::int', [n]));
  const settled = await Promise.allSettled(asked);
  expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((settled[0] as PromiseFulfilledResult<unknown>).value).toEqual([12]);
  expect((settled[2] as PromiseFulfilledResult<unknown>).value).toEqual([3]);
  expect(((settled[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('22012');
  // The connection went back to the pool usable, out of pipeline mode.
  expect(await reads.first('quotient', 'select 12 / $1::int', [6])).toEqual([2]);
  const client = await pool.connect();
  try {
    expect((client as unknown as { pipeline: boolean }).pipeline).toBe(false);
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    client.release();
  }
});

test('a read sees every write committed before it was asked for', async () => {
  const reads = postgresReads(pool);
  await pool.query('create table batch_seen (n int primary key)');
  for (let n = 1; n <= 5; n++) {
    await pool.query('insert into batch_seen values ($1)', [n]);
    const [count] = await Promise.all([reads.first('seen', 'select count(*)::int from batch_seen', []), reads.first('double', 'select $1::int * 2', [n])]);
    expect(count).toEqual([n]);
  }
});
