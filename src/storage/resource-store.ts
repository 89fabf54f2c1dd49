/**
 * The resource servers an operator registered (RFC 8707; src/resources/).
 * Same rules as the rest of storage (storage.ts).
 */
import type { ClientId, Millis } from '../types.js';

export interface ResourceServerRecord {
  /** The absolute URI apps send as `resource` (RFC 8707 §2), and the `aud` of its tokens. */
  uri: string;
  name: string;
  /** Its access tokens are RFC 9068 JWTs it can verify offline; otherwise opaque, as every other token. */
  jwt: boolean;
  /** The app the resource server authenticates as to introspect tokens issued for it; null for none. */
  clientId: ClientId | null;
  createdAt: Millis;
}

export interface ResourceStore {
  /** False, storing nothing, when a resource server with this URI exists. */
  createResource(resource: ResourceServerRecord): Promise<boolean>;
  findResource(uri: string): Promise<ResourceServerRecord | null>;
  /** Oldest first. */
  listResources(): Promise<ResourceServerRecord[]>;
  /** The resource servers an app acts for (introspection). */
  resourcesOfApp(clientId: ClientId): Promise<ResourceServerRecord[]>;
  /** True when there was one to delete. */
  deleteResource(uri: string): Promise<boolean>;
}
