/**
 * The method, path and operationId of every operation of the management API
 * (resources/*.ts), for the router: the server registers its routes from this
 * list at start, and loads the operations themselves — their zod schemas, the
 * handlers, the OpenAPI document — with the first call (src/http/routes/api.ts),
 * which a start of a server that is never managed through the API never pays
 * for. test/api/routes.test.ts checks that the list and the operations agree:
 * a new operation is one line here too.
 */
export type ApiRoute = readonly [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, operationId: string];

export const API_ROUTES: readonly ApiRoute[] = [
  // Users
  ['GET', '/users', 'listUsers'],
  ['GET', '/users/{id}', 'getUser'],
  ['POST', '/users', 'createUser'],
  ['PATCH', '/users/{id}', 'updateUser'],
  ['POST', '/users/{id}/block', 'blockUser'],
  ['POST', '/users/{id}/unblock', 'unblockUser'],
  ['POST', '/users/{id}/unlock-sign-in', 'unlockSignInUser'],
  ['POST', '/users/{id}/reset-second-factors', 'resetTwoStepUser'],
  ['POST', '/users/{id}/reset-password', 'resetUserPassword'],
  ['DELETE', '/users/{id}', 'deleteUser'],
  // Tokens and sessions
  ['GET', '/users/{id}/tokens', 'listUserTokens'],
  ['DELETE', '/users/{id}/tokens/{token_id}', 'revokeUserToken'],
  ['POST', '/users/{id}/revoke-all', 'revokeUserAccess'],
  ['GET', '/users/{id}/sessions', 'listUserSessions'],
  ['DELETE', '/users/{id}/sessions/{session_id}', 'endUserSession'],
  // Apps
  ['GET', '/apps', 'listApps'],
  ['GET', '/apps/{client_id}', 'getApp'],
  ['POST', '/apps', 'createApp'],
  ['PATCH', '/apps/{client_id}', 'updateApp'],
  ['POST', '/apps/{client_id}/rotate-secret', 'rotateAppSecret'],
  ['POST', '/apps/{client_id}/block', 'blockApp'],
  ['POST', '/apps/{client_id}/unblock', 'unblockApp'],
  ['DELETE', '/apps/{client_id}', 'deleteApp'],
  // Consents
  ['GET', '/users/{id}/consents', 'listUserConsents'],
  ['DELETE', '/users/{id}/consents/{client_id}', 'revokeUserConsent'],
  // Signing keys
  ['GET', '/keys', 'listKeys'],
  ['POST', '/keys/rotate', 'rotateKeys'],
  // Audit log
  ['GET', '/audit', 'listAudit'],
  // Webhooks
  ['GET', '/webhooks', 'listWebhooks'],
  ['POST', '/webhooks', 'createWebhook'],
  ['GET', '/webhooks/{id}', 'getWebhook'],
  ['PATCH', '/webhooks/{id}', 'updateWebhook'],
  ['DELETE', '/webhooks/{id}', 'deleteWebhook'],
  ['GET', '/webhooks/{id}/deliveries', 'listWebhookDeliveries'],
  ['POST', '/webhooks/deliveries/{delivery_id}/redeliver', 'redeliverWebhook'],
];
