/**
 * A WebAuthn authenticator in software, for the attack tests: it answers
 * Gatehouse's options as a real authenticator and browser would (ES256 keys,
 * `none` attestation, discoverable credentials with a user handle), and can
 * be told to lie as an attacker's browser would: another origin or RP ID,
 * no user verification, a chosen counter, another credential's id.
 * Signatures are real (node:crypto), so only the lie can be why Gatehouse
 * refuses an answer.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';

interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
  backupEligible: boolean;
}

export interface Lies {
  /** clientDataJSON.origin (default: the origin given to the authenticator). */
  origin?: string;
  /** The RP ID whose hash the authenticator data carries (default: the one in the options). */
  rpId?: string;
  /** Whether the user was verified (the UV flag; default true). */
  userVerified?: boolean;
  /** The counter to sign (default: one more than the last). */
  counter?: number;
  /** The user handle to return (default: the credential's). */
  userHandle?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];

  /** `origin`: the page the "browser" is on. */
  constructor(readonly origin: string, private readonly options: { backupEligible?: boolean; counts?: boolean } = {}) {}

  private flags(userVerified: boolean, attested: boolean, backupEligible: boolean): number {
    return 0x01 | (userVerified ? 0x04 : 0) | (backupEligible ? 0x08 | 0x10 : 0) | (attested ? 0x40 : 0);
  }

  private clientData(type: string, challenge: string, lies: Lies): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: lies.origin ?? this.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(): a new ES256 credential, as @simplewebauthn/browser's startRegistration returns it. */
  register(options: PublicKeyCredentialCreationOptionsJSON, lies: Lies = {}): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
    ]));
    const id = Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256)));
    const backupEligible = this.options.backupEligible ?? false;
    const counter = this.options.counts ? 1 : 0;
    const authData = Buffer.concat([
      sha256(lies.rpId ?? options.rp.id!), Buffer.from([this.flags(lies.userVerified ?? true, true, backupEligible)]), counterBytes(counter),
      Buffer.alloc(16), Buffer.from([id.length >> 8, id.length & 0xff]), id, Buffer.from(cose),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, string | Map<string, never> | Uint8Array>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    this.credentials.push({ id, privateKey, userHandle: options.user.id, counter, backupEligible });
    return {
      id: id.toString('base64url'),
      rawId: id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, lies).toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get(): an assertion by `credential` (default: the last registered). */
  assert(options: PublicKeyCredentialRequestOptionsJSON, lies: Lies = {}, credential = this.credentials[this.credentials.length - 1]!): Record<string, unknown> {
    const counter = lies.counter ?? (this.options.counts ? ++credential.counter : 0);
    const authData = Buffer.concat([
      sha256(lies.rpId ?? options.rpId!), Buffer.from([this.flags(lies.userVerified ?? true, false, credential.backupEligible)]), counterBytes(counter),
    ]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, lies);
    const signature = createSign('sha256').update(Buffer.concat([authData, sha256(clientDataJSON)])).sign(credential.privateKey);
    return {
      id: credential.id.toString('base64url'),
      rawId: credential.id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: lies.userHandle ?? credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
