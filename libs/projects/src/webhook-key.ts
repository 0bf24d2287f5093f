import { createHash, randomBytes } from 'node:crypto';

/**
 * The secret part of a project's webhook URL (`/api/v1/webhooks/notion/<key>`):
 * 192 random bits, base64url, behind a prefix that secret scanners can match.
 * Whoever holds the key can reach the project's webhook; nobody can guess it.
 */
export const WEBHOOK_KEY_PREFIX = 'whk_';
const KEY_BYTES = 24;
const WEBHOOK_KEY = /^whk_[A-Za-z0-9_-]{32}$/;

export function mintWebhookKey(): string {
  return `${WEBHOOK_KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/** True when `value` has the shape of a key (says nothing about whether one exists). */
export function isWebhookKey(value: string): boolean {
  return WEBHOOK_KEY.test(value);
}

/**
 * What is stored for the lookup: SHA-256 of the key. A random key of 192 bits
 * needs no secret in its hash, so the hash survives an encryption key rotation.
 */
export function webhookKeyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
