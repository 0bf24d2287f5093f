import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, derivedKey } from '@app/config';

/** A position in a list ordered by (time DESC, id DESC). */
export interface KeysetPosition {
  /** Exact timestamptz as Postgres prints it in UTC, microseconds included. */
  readonly at: string;
  readonly id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Opaque, tamper-evident keyset cursors: base64url JSON plus an HMAC under a
 * key derived from the active encryption key. A cursor that was altered, or
 * is not one of ours, decodes to undefined (the caller answers 400). Rotating
 * the encryption key invalidates outstanding cursors, which clients restart.
 */
@Injectable()
export class KeysetCursorCodec {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = derivedKey(config.encryption.keys[0]!.key, 'notion-sync keyset cursor');
  }

  /** @param scope whose list this is (the owner): a cursor is valid only in its own scope. */
  encode(position: KeysetPosition, scope: string): string {
    return this.seal([position.at, position.id], scope);
  }

  decode(cursor: string, scope: string): KeysetPosition | undefined {
    const opened = this.open(cursor, scope);
    if (!Array.isArray(opened)) return undefined;
    const [at, id] = opened as unknown[];
    return typeof at === 'string' && AT.test(at) && typeof id === 'string' && UUID.test(id) ? { at, id } : undefined;
  }

  /** Any JSON value as a cursor of `scope` (its reader checks the shape after `open`). */
  seal(payload: unknown, scope: string): string {
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${encoded}.${this.sign(encoded, scope)}`;
  }

  /** The JSON value a cursor of `scope` holds; undefined when altered, of another scope, or not ours. */
  open(cursor: string, scope: string): unknown {
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(payload, scope));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string, scope: string): string {
    return createHmac('sha256', this.key).update(`${scope}\n${payload}`).digest('base64url').slice(0, 22);
  }
}
