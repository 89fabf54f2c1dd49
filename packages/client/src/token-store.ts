/** Where a client keeps its tokens. Memory here; a 0600 file in `@gatehouse/client/node`; Keychain/Keystore adapters are the app's. */

/** Tokens as the client keeps them (from a token response, RFC 6749 §5.1). */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken: string | null;
  /** Granted scopes. */
  scope: string[];
  /** OpenID Connect id_token, when `openid` was granted. */
  idToken: string | null;
  /** The access token's lifetime in seconds as issued (`expires_in`), or null. */
  expiresIn: number | null;
  /** When the access token expires, milliseconds since the epoch (from `expires_in`), or null if the server did not say. */
  expiresAt: number | null;
}

/** Storage for one client's tokens. Implement it over Keychain, Keystore, electron safeStorage, IndexedDB… */
export interface TokenStore {
  get(): Promise<TokenSet | null>;
  set(tokens: TokenSet): Promise<void>;
  clear(): Promise<void>;
}

/** Tokens in memory only: gone when the process or page ends (the safest place for a browser app). */
export class MemoryTokenStore implements TokenStore {
  private tokens: TokenSet | null = null;

  async get(): Promise<TokenSet | null> {
    return this.tokens;
  }

  async set(tokens: TokenSet): Promise<void> {
    this.tokens = tokens;
  }

  async clear(): Promise<void> {
    this.tokens = null;
  }
}
