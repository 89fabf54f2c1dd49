/**
 * PostgreSQL's hot-path reads (src/storage/sql/prepared-reads.ts) ask the
 * server to describe a statement's result only the first time it runs on a
 * connection; later runs there use the column parsers learnt then. Their
 * answers are the same either way, and a result whose shape changed under a
 * kept statement is never read with the parsers of the old one: the server
 * refuses it, and the connection is replaced.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { postgresReads } from '../../src/storage/sql/prepared-reads.js';
import { freshDatabase } from '../helpers/postgres.js';

let database: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
/** The result descriptions the pool's one connection has received from the server. */
let described = 0;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  pool = new pg.Pool({ connectionString: database.url, max: 1 });
  // As the server's pool (storage/open.ts): a connection that ends is reported to its statements, not thrown.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('rowDescription', () => described++);
  });
  await pool.query(`create table described (id text primary key, n bigint not null, flag boolean, at timestamptz, tags text[])`);
  await pool.query(`insert into described values ('a', 9007199254740993, true, '2026-12-06T10:00:00Z', '{x,y}'), ('b', 2, null, null, null)`);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const TEXT = 'select id, n, flag, at, tags, n + 1 as next from described where id = $1';

test('a statement is described once per connection, and its later runs answer as the first', async () => {
  const reads = postgresReads(pool);
  const before = described;
  const first = await reads.first('described_row', TEXT, ['a']);
  expect(described - before).toBe(1);
  // Each column parsed by its type, as node-postgres parses it: bigint as its text, the rest as their values.
  expect(first).toEqual(['a', '9007199254740993', true, new Date('2026-12-06T10:00:00Z'), ['x', 'y'], '9007199254740994']);
  const again = await Promise.all([reads.first('described_row', TEXT, ['a']), reads.first('described_row', TEXT, ['b']), reads.first('described_row', TEXT, ['none'])]);
  expect(again).toEqual([first, ['b', '2', null, null, null, '3'], undefined]);
  expect(described - before).toBe(1);
  // Another postgresReads on the same pool (another storage) shares what the connection learnt: it is the connection's.
  expect(await postgresReads(pool).first('described_row', TEXT, [1234])).toBeUndefined();
  expect(described - before).toBe(1);
});

test('a value that is not text, a number or null is bound by node-postgres, described as before', async () => {
  const reads = postgresReads(pool);
  for (let i = 0; i < 2; i++) expect(await reads.first('described_array', 'select cardinality($1::text[]) as n', [['p', 'q', 'r']])).toEqual([3]);
});

test('a read the server refuses on a described statement fails alone, and the statement runs on', async () => {
  const reads = postgresReads(pool);
  const divide = 'select 12 / $1::int as q';
  expect(await reads.first('described_quotient', divide, [4])).toEqual([3]);
  const settled = await Promise.allSettled([2, 0, 6].map((n) => reads.first('described_quotient', divide, [n])));
  expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as { code?: string }).code))).toEqual([[6], '22012', [2]]);
  expect(await reads.first('described_quotient', divide, [3])).toEqual([4]);
});

test('columns added under a described statement do not change its answers', async () => {
  const reads = postgresReads(pool);
  const expected = await reads.first('described_row', TEXT, ['a']);
  await pool.query('alter table described add column later text');
  await pool.query(`alter table described add column earlier int default 7`);
  expect(await reads.first('described_row', TEXT, ['a'])).toEqual(expected);
});

test('a column whose type changed under a described statement is refused once, never read with the old parsers; the next read prepares it anew', async () => {
  const reads = postgresReads(pool);
  const text = 'select id, flag from described where id = $1';
  expect(await reads.first('described_flag', text, ['a'])).toEqual(['a', true]);
  // Another connection changes the column's type: booleans become their text ('true').
  const other = new pg.Client({ connectionString: database.url });
  await other.connect();
  try {
    await other.query('alter table described alter column flag type text using flag::text');
  } finally {
    await other.end();
  }
  const after = await reads.first('described_flag', text, ['a']).then((row) => row, (err: { message?: string }) => err.message);
  // Parsed with the boolean parser kept, 'true' would have come back as true; the server refuses instead.
  expect(after).toMatch(/cached plan must not change result type/);
  // It would refuse the statement on that connection for good: the connection was dropped, and the next one
  // prepares and describes the statement again.
  expect(await reads.first('described_flag', text, ['a'])).toEqual(['a', 'true']);
  expect(await reads.first('described_flag', text, ['a'])).toEqual(['a', 'true']);
});

test('a read whose connection is ended under it fails, and the next read answers on a new connection', async () => {
  const reads = postgresReads(pool);
  const pidOf = async () => (await reads.first('described_pid', 'select pg_backend_pid()', []))![0] as number;
  const before = await pidOf();
  const slow = reads.first('described_slow', 'select pg_sleep($1::float8) is null', [5]).then(() => 'answered', (err: Error) => err);
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    // Terminated as a server restart or a failover would end it, while the read runs.
    await expect.poll(async () => (await admin.query(`select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep%'`)).rows[0].n).toBe(1);
    await admin.query('select pg_terminate_backend($1)', [before]);
  } finally {
    await admin.end();
  }
  expect(await slow).toMatchObject({ code: '57P01' });
  const after = await pidOf();
  expect(after).not.toBe(before);
  expect(await reads.first('described_row', TEXT, ['b'])).toEqual(['b', '2', null, null, null, '3']);
});
