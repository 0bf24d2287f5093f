import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, type EncryptionKey } from '@app/config';

/** A secret as stored: the ciphertext and the id of the key that sealed it. */
export interface SealedSecret {
  readonly keyId: string;
  /** nonce (12 bytes) | GCM tag (16 bytes) | ciphertext */
  readonly ciphertext: Buffer;
}

/** The stored secret could not be opened: unknown key, wrong row, or tampering. */
export class SecretUnreadableError extends Error {
  constructor(reason: string) {
    super(`Stored secret cannot be decrypted: ${reason}`);
    this.name = 'SecretUnreadableError';
  }
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The secrets of a project, by the name they carry in their associated data. */
export type SecretPurpose = 'notion-token' | 'webhook-token' | 'webhook-key';

/** Whose secret a ciphertext is: the project and which of its secrets. */
export interface SecretOwner {
  readonly projectId: string;
  readonly purpose: SecretPurpose;
}

/**
 * The associated data that binds a sealed secret to its row and kind
 * (`<projectId>:<purpose>`): a ciphertext copied to another project or column
 * does not open. Built here only, so no caller can bind it differently.
 */
const associatedData = ({ projectId, purpose }: SecretOwner): Buffer => Buffer.from(`${projectId}:${purpose}`, 'utf8');

/**
 * AES-256-GCM under the key ring of `ENCRYPTION_KEYS`: the first key seals,
 * every key opens (rotation). A fresh random nonce per seal. The associated data
 * binds a ciphertext to its owner (the project id), so a ciphertext copied to
 * another row does not decrypt.
 */
@Injectable()
export class SecretBox {
  private readonly active: EncryptionKey;
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(config: AppConfig) {
    this.active = config.encryption.keys[0]!;
    this.byId = new Map(config.encryption.keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key `seal` uses (the first of ENCRYPTION_KEYS). */
  get activeKeyId(): string {
    return this.active.id;
  }

  /** Seals `plaintext` for `owner`: it opens only for the same project and purpose. */
  seal(plaintext: string, owner: SecretOwner): SealedSecret {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, nonce);
    cipher.setAAD(associatedData(owner));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.active.id, ciphertext: Buffer.concat([nonce, cipher.getAuthTag(), body]) };
  }

  open(sealed: SealedSecret, owner: SecretOwner): string {
    const key = this.byId.get(sealed.keyId);
    if (!key) throw new SecretUnreadableError(`key "${sealed.keyId}" is not in ENCRYPTION_KEYS`);
    if (sealed.ciphertext.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnreadableError('ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.ciphertext.subarray(0, NONCE_BYTES));
    decipher.setAAD(associatedData(owner));
    decipher.setAuthTag(sealed.ciphertext.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(sealed.ciphertext.subarray(NONCE_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretUnreadableError('authentication failed (wrong key, wrong row or tampered)');
    }
  }
}
