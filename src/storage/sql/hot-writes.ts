/**
 * The writes every token grant makes (the tokens, their `token_issued` audit
 * entry, the code an exchange consumes, or on PostgreSQL the codes of
 * concurrent exchanges, the refresh token a refresh rotates), as fixed SQL
 * text built once: Kysely's building and compiling of an
 * insert of every column of both tables was a tenth of a grant's CPU, and
 * nothing about these statements varies but their values and how many tokens
 * there are. They still run through Kysely's driver (`executeQuery`), so on
 * SQLite they join the group commit like any other write, and in a unit they
 * go into its transaction. On PostgreSQL the inserts are kept prepared by
 * name (statement-names.ts), there and on the pool.
 */
import { CompiledQuery } from 'kysely';
import type { AuditLogTable, TokensTable } from './schema.js';
import { keepPrepared } from './statement-names.js';

/** A row with a value for every column of its table, so that the compiler says when a migration adds one and it is missing here. */
export type FullRow<T> = { readonly [K in keyof T]-?: unknown };

const TOKEN: FullRow<TokensTable> = {
  hash: true, type: true, client_id: true, user_id: true, scopes: true, family_id: true, device_id: true, device_name: true, is_debug: true, auth_time: true,
  amr: true, created_at: true, expires_at: true, revoked_at: true, rotated_at: true, generation: true, resources: true, jkt: true,
};
const AUDIT: FullRow<AuditLogTable> = {
  id: true, at: true, action: true, outcome: true, actor_type: true, actor_id: true, user_id: true, client_id: true, ip: true, details: true, count: true,
  last_at: true, repeat_key: true,
};
const TOKEN_COLUMNS = Object.keys(TOKEN) as (keyof TokensTable)[];
export const AUDIT_COLUMNS = Object.keys(AUDIT) as (keyof AuditLogTable)[];

/** A grant issues one token or two (access, refresh); texts for more are built when first needed. */
const MAX_CACHED_ROWS = 8;

export class HotWrites {
  /** By the number of token rows: the insert alone, and on PostgreSQL with the audit entry's CTE. */
  private readonly tokenTexts: string[] = [];
  private readonly withAuditTexts: string[] = [];
  private readonly auditText: string;
  private readonly consumeCodeText: string;
  private readonly consumeCodesText: string;
  private readonly rotateRefreshText: string;
  private readonly grantsText: string;

  constructor(private readonly placeholders: 'sqlite' | 'postgres') {
    const [now, hash] = placeholders === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    this.rotateRefreshText = `update tokens set rotated_at = ${now}
      where hash = ${hash} and type = 'refresh' and rotated_at is null and revoked_at is null
        and generation = (coalesce((select u.token_generation from users u where u.id = tokens.user_id), 0)
          + coalesce((select a.token_generation from apps a where a.client_id = tokens.client_id), 0)
          + coalesce((select g.generation from grant_generations g where g.user_id = tokens.user_id and g.client_id = tokens.client_id), 0))
      returning *`;
    // The rows as two JSON arrays, each read as rows of its table (`json_populate_recordset`): one text whatever
    // the number of grants and tokens, so one prepared statement per connection, and two parameters to send.
    this.grantsText = `with audit_entries as (
        insert into audit_log (${AUDIT_COLUMNS.join(', ')}) select ${AUDIT_COLUMNS.join(', ')} from json_populate_recordset(null::audit_log, $1)
      )
      insert into tokens (${TOKEN_COLUMNS.join(', ')}) select ${TOKEN_COLUMNS.join(', ')} from json_populate_recordset(null::tokens, $2)`;
    this.auditText = `insert into audit_log (${AUDIT_COLUMNS.join(', ')}) values ${this.tuple(1, AUDIT_COLUMNS.length)}`;
    if (placeholders === 'postgres') keepPrepared(this.auditText);
    // The user's status is read by the statement that consumes the code: on PostgreSQL one round trip, on
    // SQLite inside the write, where the pages are warm (the reading connection's are dropped at every commit).
    // SQLite has no UPDATE in a WITH, and PostgreSQL's RETURNING cannot read other tables.
    this.consumeCodeText = placeholders === 'postgres'
      ? `with won as (update auth_codes set consumed_at = $1 where hash = $2 and consumed_at is null returning *)
        select won.*, (select users.status from users where users.id = won.user_id) as user_status from won`
      : `update auth_codes set consumed_at = ? where hash = ? and consumed_at is null
        returning *, (select users.status from users where users.id = auth_codes.user_id) as user_status`;
    // Several codes (code-batches.ts): each hash looked up by the primary key, on its own (the LIMIT keeps the
    // planner from folding the lookups into a join), and its row updated where the lookup found it, by its
    // place in the table (ctid). Joined on the hash instead, the plan a connection makes once, often while the
    // table is small (a new database), scanned every code at each batch. A row that a concurrent statement
    // changed meanwhile has moved: it is left out, as it is when that statement consumed it.
    this.consumeCodesText = `with won as (
        update auth_codes set consumed_at = h.now
        from unnest($1::varchar[], $2::bigint[]) as h(hash, now)
          cross join lateral (select c.ctid as place from auth_codes c where c.hash = h.hash limit 1) found
        where auth_codes.ctid = found.place and auth_codes.consumed_at is null
        returning auth_codes.*
      )
      select won.*, (select users.status from users where users.id = won.user_id) as user_status from won`;
  }

  /**
   * Marks a refresh token rotated, unless it was already, or is revoked, or
   * its grant's generation has moved on (the user's, the app's or the
   * grant's own counter: sql-storage.ts's `generationOf`, against this row):
   * its row, or no row. Of concurrent calls, exactly one gets the row.
   */
  rotateRefresh(hash: string, now: number): CompiledQuery {
    return CompiledQuery.raw(this.rotateRefreshText, [now, hash]);
  }

  /**
   * Consumes an unconsumed code: its row and `user_status` (its user's status,
   * null when the user is gone), or no row when it was consumed already or
   * never existed. Of concurrent calls, exactly one gets the row.
   */
  consumeCode(hash: string, now: number): CompiledQuery {
    return CompiledQuery.raw(this.consumeCodeText, [now, hash]);
  }

  /**
   * PostgreSQL only: consumes each unconsumed code of `codes` (distinct
   * hashes) at its own time, in one statement: the rows consumed, each with
   * `user_status` as `consumeCode` reads it. A code that was consumed
   * already, never existed, or whose row another statement changed while
   * this one ran, has no row. Of concurrent calls, exactly one gets a code's
   * row.
   */
  consumeCodes(codes: readonly { hash: string; now: number }[]): CompiledQuery {
    if (this.placeholders !== 'postgres') throw new Error('only PostgreSQL consumes codes together');
    return CompiledQuery.raw(this.consumeCodesText, [codes.map((c) => c.hash), codes.map((c) => c.now)]);
  }

  /** `(?, ?, …)`, or `($n, $n+1, …)` on PostgreSQL, for `count` values from the `from`-th parameter. */
  private tuple(from: number, count: number): string {
    const marks: string[] = [];
    for (let i = 0; i < count; i++) marks.push(this.placeholders === 'postgres' ? `$${from + i}` : '?');
    return `(${marks.join(', ')})`;
  }

  private tokensText(from: number, rows: number): string {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) tuples.push(this.tuple(from + r * TOKEN_COLUMNS.length, TOKEN_COLUMNS.length));
    return `insert into tokens (${TOKEN_COLUMNS.join(', ')}) values ${tuples.join(', ')}`;
  }

  /** Inserts the tokens, one statement. */
  tokens(rows: readonly FullRow<TokensTable>[]): CompiledQuery {
    let text = this.tokenTexts[rows.length];
    if (text === undefined) {
      text = this.tokensText(1, rows.length);
      if (rows.length <= MAX_CACHED_ROWS) {
        this.tokenTexts[rows.length] = text;
        if (this.placeholders === 'postgres') keepPrepared(text);
      }
    }
    const parameters: unknown[] = [];
    for (const row of rows) for (const c of TOKEN_COLUMNS) parameters.push(row[c]);
    return CompiledQuery.raw(text, parameters);
  }

  /** Inserts the audit entry, one statement. */
  audit(row: FullRow<AuditLogTable>): CompiledQuery {
    return CompiledQuery.raw(this.auditText, AUDIT_COLUMNS.map((c) => row[c]));
  }

  /**
   * PostgreSQL only: the audit entry and the tokens in one statement (the
   * entry is written by a data-modifying CTE of the tokens' insert), one
   * round trip, committed together.
   */
  tokensWithAudit(rows: readonly FullRow<TokensTable>[], audit: FullRow<AuditLogTable>): CompiledQuery {
    if (this.placeholders !== 'postgres') throw new Error('only PostgreSQL writes in a CTE');
    let text = this.withAuditTexts[rows.length];
    if (text === undefined) {
      const entry = `insert into audit_log (${AUDIT_COLUMNS.join(', ')}) values ${this.tuple(1, AUDIT_COLUMNS.length)}`;
      text = `with audit_entry as (${entry}) ${this.tokensText(AUDIT_COLUMNS.length + 1, rows.length)}`;
      if (rows.length <= MAX_CACHED_ROWS) this.withAuditTexts[rows.length] = text;
    }
    const parameters: unknown[] = AUDIT_COLUMNS.map((c) => audit[c]);
    for (const row of rows) for (const c of TOKEN_COLUMNS) parameters.push(row[c]);
    return CompiledQuery.raw(text, parameters);
  }

  /**
   * PostgreSQL only: the tokens and audit entries of several grants in one
   * statement, as `tokensWithAudit` writes one grant's (grant-batches.ts).
   * Every value is a number, a string or null, which JSON carries as it is;
   * each column takes its table's type.
   */
  grants(grants: readonly { rows: readonly FullRow<TokensTable>[]; audit: FullRow<AuditLogTable> | undefined }[]): CompiledQuery {
    if (this.placeholders !== 'postgres') throw new Error('only PostgreSQL writes in a CTE');
    const tokens: FullRow<TokensTable>[] = [];
    const audits: FullRow<AuditLogTable>[] = [];
    for (const grant of grants) {
      tokens.push(...grant.rows);
      if (grant.audit !== undefined) audits.push(grant.audit);
    }
    return CompiledQuery.raw(this.grantsText, [JSON.stringify(audits), JSON.stringify(tokens)]);
  }
}
