/**
 * AES-256-GCM encryption of secrets that must be recoverable: client secrets,
 * because `/info?format=jwt` signs with the secret itself as Yandex ID does
 * (docs/protocol.md §6), and private signing keys. The key is 32 random bytes in
 * `<dataDir>/secret.key`, created with mode 0600 on first start and never
 * stored in the database, so a database dump alone reveals none of them.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { privateDirectory, privateFile } from '../storage/private-files.js';

const VERSION = 'v1';

export class SecretKeyError extends Error {}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes');
  }

  /** The key from configuration (base64), or else `<dataDir>/secret.key`. */
  static fromConfig(config: { secretKey: string; dataDir: string }): SecretBox {
    if (config.secretKey === '') return SecretBox.fromDataDir(config.dataDir);
    const key = Buffer.from(config.secretKey, 'base64');
    if (key.length !== 32) throw new SecretKeyError('GATEHOUSE_SECRET_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)');
    return new SecretBox(key);
  }

  /** Loads `<dataDir>/secret.key`, creating it on first start. */
  static fromDataDir(dataDir: string): SecretBox {
    const file = path.join(dataDir, 'secret.key');
    privateDirectory(dataDir);
    try {
      privateFile(file);
      return new SecretBox(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = randomBytes(32);
    // Written whole under a name of our own, then linked into place: link fails if another
    // process started together with us made the file first (then use theirs), and nobody
    // ever reads a file that exists but is still empty.
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, file);
      return new SecretBox(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return new SecretBox(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    } finally {
      unlinkSync(temporary);
    }
  }

  /**
   * A key for another purpose, derived from the server key with HKDF (RFC 5869) and a label.
   * Derived once per label: callers that remember work by key (the psuids, login-info.ts) then share it.
   */
  deriveKey(label: string): Buffer {
    let key = this.derived.get(label);
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `gatehouse ${label}`, 32));
      this.derived.set(label, key);
    }
    return key;
  }

  private readonly derived = new Map<string, Buffer>();

  /** `v1.<iv>.<tag>.<ciphertext>`, all base64url. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('unrecognised sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
