/**
 * The router registers the management API from src/api/routes.ts, and loads
 * the operations (src/api/resources) with the first call: the two lists must
 * name the same operations, with the same methods and paths.
 */
import { expect, test } from 'vitest';
import { RESOURCES } from '../../src/api/resources/index.js';
import { API_ROUTES } from '../../src/api/routes.js';

test('src/api/routes.ts lists every operation of the resources, in their order, with its method and path', () => {
  const operations = RESOURCES.flatMap((resource) => resource.operations.map((op) => [op.method, op.path, op.operationId]));
  expect(API_ROUTES.map((route) => [...route])).toEqual(operations);
});
