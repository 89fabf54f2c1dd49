/** Once per test run: a throwaway PostgreSQL that every test file can reach via `inject('postgresUrl')`. */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
