/**
 * Statements built with Kysely once and then run with new values.
 *
 * Kysely builds an immutable tree for every query and compiles it to SQL
 * text on every call. On a path that runs a few hundred times a second, as a
 * password sign-in's nine statements do, that code never leaves V8's slower
 * tiers: it was about a quarter of the event loop's time for each sign-in,
 * more than running the statements (docs/benchmarks.md).
 *
 * `compiledOnce(build)` keeps the query written with Kysely, but calls
 * `build` only once per number of arguments, with stand-ins for them: it
 * compiles that query and notes where each stand-in landed among its
 * parameters. Each call then gives the same text with the arguments in
 * their places. So it suits statements whose text depends only on how many
 * values there are (an `in` list, rows of an insert), never on the values:
 * `build` must not branch on its arguments nor compute with them. Every
 * argument must reach the statement as a parameter; one that does not (one
 * computed with, or inlined as a literal) is refused when the statement is
 * first compiled, so a mistake shows at once in every test that runs it.
 *
 * With `{ prepared: true }`, PostgreSQL keeps each text prepared by name on
 * every connection (statement-names.ts): such a statement must name the
 * columns it reads back.
 */
import { CompiledQuery, type Compilable } from 'kysely';
import { keepPrepared } from './statement-names.js';

/** What a stand-in looks like: no value Gatehouse writes begins with a NUL. */
const MARK = '\u0000compiled-once:';

interface Template {
  sql: string;
  /** For each parameter, the argument it takes (an index), or the constant the query was built with. */
  slots: readonly (number | { constant: unknown })[];
}

function compile(build: (...args: any[]) => Compilable, arity: number): Template {
  const standIns = Array.from({ length: arity }, (_, i) => `${MARK}${i}`);
  const query = build(...standIns).compile();
  if (query.sql.includes(MARK)) throw new Error(`compiledOnce: an argument was written into the SQL text instead of passed as a parameter: ${query.sql}`);
  const used = new Set<number>();
  const slots = query.parameters.map((p) => {
    if (typeof p === 'string' && p.startsWith(MARK)) {
      const i = Number(p.slice(MARK.length));
      used.add(i);
      return i;
    }
    if (typeof p === 'string' && p.includes(MARK)) throw new Error(`compiledOnce: an argument was computed with (${JSON.stringify(p)}) in: ${query.sql}`);
    return { constant: p };
  });
  if (used.size !== arity) throw new Error(`compiledOnce: ${arity - used.size} of ${arity} arguments are not parameters of: ${query.sql}`);
  return { sql: query.sql, slots };
}

/** `build`, compiled once for each number of arguments it is called with (see above). */
export function compiledOnce<A extends unknown[], R = unknown>(build: (...args: A) => Compilable<R>, options: { prepared?: boolean } = {}): (...args: A) => CompiledQuery<R> {
  const templates = new Map<number, Template>();
  return (...args: A) => {
    let template = templates.get(args.length);
    if (template === undefined) {
      template = compile(build as (...args: any[]) => Compilable, args.length);
      if (options.prepared) keepPrepared(template.sql);
      templates.set(args.length, template);
    }
    const { slots } = template;
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      parameters[i] = typeof slot === 'number' ? args[slot] : slot.constant;
    }
    return CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>;
  };
}
