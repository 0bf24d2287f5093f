import { hkdfSync } from 'node:crypto';

/**
 * A 32-byte key for one purpose, derived (HKDF-SHA256) from a key of
 * `ENCRYPTION_KEYS`: every signed value of the system (cursors, file links,
 * stream tickets) has a key of its own, so none passes as another.
 */
export function derivedKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purpose, 32));
}
