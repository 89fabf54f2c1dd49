/**
 * Statements compiled once (src/storage/sql/compiled-once.ts): each call must
 * give exactly what Kysely compiles from the same builder with those values,
 * on both engines' compilers, and a builder that would not give that is
 * refused the first time it runs.
 */
import {
  DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql,
  type Compilable,
} from 'kysely';
import { describe, expect, test } from 'vitest';
import { compiledOnce } from '../../src/storage/sql/compiled-once.js';
import type { Database } from '../../src/storage/sql/schema.js';

const engines = {
  sqlite: new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }),
  postgres: new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
};

/** What Kysely itself compiles: the text and the values. */
const direct = (query: Compilable) => {
  const { sql: text, parameters } = query.compile();
  return { sql: text, parameters };
};
const once = (query: { sql: string; parameters: readonly unknown[] }) => ({ sql: query.sql, parameters: query.parameters });

describe.each(Object.entries(engines))('on %s', (_, db) => {
  test('a select, an insert of every column and an update give what Kysely compiles, call after call', () => {
    const byLogin = (login: string) => db.selectFrom('users').selectAll().where('login', '=', login);
    const session = (hash: string, userId: string, at: number, agent: string | null) => db.insertInto('sessions').values({
      hash, user_id: userId, auth_time: at, amr: 'pwd', created_at: at, last_seen_at: at, expires_at: at + 1, user_agent: agent, ip: null,
    });
    // `at + 1` computes with an argument: as written above it would be refused; here it is only compared directly.
    const sessionOnce = compiledOnce((hash: string, userId: string, at: number, expires: number, agent: string | null) => db.insertInto('sessions').values({
      hash, user_id: userId, auth_time: at, amr: 'pwd', created_at: at, last_seen_at: at, expires_at: expires, user_agent: agent, ip: null,
    }));
    const forgive = (key: string) => db.updateTable('attempt_counters').set({ count: sql`count - 1` }).where('key', '=', key).where('count', '>', 0);
    const byLoginOnce = compiledOnce(byLogin);
    const forgiveOnce = compiledOnce(forgive);
    for (const login of ['ada', 'grace', "o'brien"]) expect(once(byLoginOnce(login))).toEqual(direct(byLogin(login)));
    for (const [at, agent] of [[1, 'Firefox'], [2, null]] as const) {
      expect(once(sessionOnce('h', 'u', at, at + 1, agent))).toEqual(direct(session('h', 'u', at, agent)));
    }
    expect(once(forgiveOnce('ip:1'))).toEqual(direct(forgive('ip:1')));
  });

  test('an argument used twice, constants beside the arguments, and a text that depends only on how many there are', () => {
    const count = (now: number, ...windows: (string | number)[]) => {
      const keys = Array.from({ length: windows.length / 2 }, (_, i) => [windows[2 * i] as string, windows[2 * i + 1] as number] as const);
      const startedBy = sql.join(keys.map(([key, start]) => sql`when ${key} then cast(${start} as bigint)`), sql` `);
      const stale = sql<boolean>`attempt_counters.window_start <= (case attempt_counters.key ${startedBy} end)`;
      return db.insertInto('attempt_counters').values(keys.map(([key]) => ({ key, window_start: now, count: 1 })))
        .onConflict((oc) => oc.column('key').doUpdateSet({
          count: sql`case when ${stale} then 1 else attempt_counters.count + 1 end`,
          window_start: sql`case when ${stale} then cast(${now} as bigint) else attempt_counters.window_start end`,
        }))
        .returning(['key', 'count']);
    };
    const countOnce = compiledOnce(count);
    expect(once(countOnce(100, 'a', 40))).toEqual(direct(count(100, 'a', 40)));
    expect(once(countOnce(200, 'a', 140, 'b', 90, 'c', 10))).toEqual(direct(count(200, 'a', 140, 'b', 90, 'c', 10)));
    expect(once(countOnce(300, 'x', 240))).toEqual(direct(count(300, 'x', 240)));
    const inList = (...keys: string[]) => db.deleteFrom('attempt_counters').where('key', 'in', keys);
    const inListOnce = compiledOnce(inList);
    expect(once(inListOnce('a', 'b'))).toEqual(direct(inList('a', 'b')));
    expect(once(inListOnce('c'))).toEqual(direct(inList('c')));
    expect(inListOnce('a', 'b').sql).not.toBe(inListOnce('a').sql);
  });

  test('a builder that computes with an argument, writes one into the text, or leaves one out is refused', () => {
    expect(() => compiledOnce((at: number) => db.selectFrom('sessions').selectAll().where('expires_at', '>', at - 1000))(5))
      .toThrow(/not parameters/);
    expect(() => compiledOnce((key: string) => db.selectFrom('attempt_counters').selectAll().where('key', '=', `ip:${key}`))('1'))
      .toThrow(/computed with/);
    expect(() => compiledOnce((key: string) => db.selectFrom('attempt_counters').selectAll().where('key', '=', sql.lit(key)))('1'))
      .toThrow(/written into the SQL text/);
    expect(() => compiledOnce((_key: string) => db.selectFrom('attempt_counters').selectAll())('1')).toThrow(/1 of 1 arguments/);
  });
});
