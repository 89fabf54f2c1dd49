/**
 * The management API's resources, in the order the docs show them. A new
 * resource is a module exporting a `Resource` (operation.ts) and one line here.
 */
import type { Resource } from '../operation.js';
import { appsResource } from './apps.js';
import { auditResource } from './audit.js';
import { consentsResource } from './consents.js';
import { keysResource } from './keys.js';
import { usersResource } from './users.js';
import { userAccessResource } from './user-access.js';
import { webhooksResource } from './webhooks.js';

export const RESOURCES: readonly Resource[] = [usersResource, userAccessResource, appsResource, consentsResource, keysResource, auditResource, webhooksResource];
