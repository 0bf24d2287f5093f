import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, derivedKey } from '@app/config';

/**
 * Longer input is refused before any work. The payload is base64url of
 * `[projectId, ownerId, expiresAt]`: an owner id of 255 characters of up to
 * 3 UTF-8 bytes each, JSON-escaped at worst, still fits.
 */
export const MAX_TICKET_LENGTH = 1600;
const VERSION = 'st1';
const SHAPE = /^st1\.([A-Za-z0-9_-]{1,1500})\.([A-Za-z0-9_-]{32})$/;

export type OpenedStreamTicket =
  | { readonly ok: true; readonly ownerId: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' | 'other-project' };

/**
 * Tickets that open a project's change stream (issue 15; docs/architecture.md,
 * "Live changes"): a browser's `EventSource` cannot send an Authorization
 * header, so the owner trades a bearer token for a ticket and puts it in the
 * stream's URL. Signed (HMAC-SHA256, 24 bytes) under a key derived from the
 * first `ENCRYPTION_KEYS` key for this purpose alone, so no other signed value
 * of the system (a cursor, a file link) passes as one; bound to one owner and
 * one project; valid `STREAM_TICKET_TTL_SECONDS` (a minute) to open a
 * stream, which a browser does at once; an open stream outlives its ticket.
 */
@Injectable()
export class StreamTickets {
  private readonly key: Buffer;
  private readonly ttlMs: number;

  constructor(config: AppConfig) {
    this.key = derivedKey(config.encryption.keys[0]!.key, 'notion-sync stream ticket');
    this.ttlMs = config.stream.ticketTtlSeconds * 1000;
  }

  issue(grant: { readonly ownerId: string; readonly projectId: string }, now = Date.now()) {
    const expiresAt = now + this.ttlMs;
    const payload = Buffer.from(JSON.stringify([grant.projectId, grant.ownerId, expiresAt])).toString('base64url');
    return { ticket: `${VERSION}.${payload}.${this.mac(payload)}`, expiresAt: new Date(expiresAt) };
  }

  /** Whether `ticket` opens `projectId`'s stream now, and for whom. */
  open(ticket: string, projectId: string, now = Date.now()): OpenedStreamTicket {
    if (typeof ticket !== 'string' || ticket.length > MAX_TICKET_LENGTH) return { ok: false, reason: 'invalid' };
    const parts = SHAPE.exec(ticket);
    if (!parts) return { ok: false, reason: 'invalid' };
    const [, payload, mac] = parts as unknown as [string, string, string];
    if (!timingSafeEqual(Buffer.from(mac, 'base64url'), Buffer.from(this.mac(payload), 'base64url'))) {
      return { ok: false, reason: 'invalid' };
    }
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (!Array.isArray(claims) || claims.length !== 3) return { ok: false, reason: 'invalid' };
    const [forProject, ownerId, expiresAt] = claims as [unknown, unknown, unknown];
    if (typeof forProject !== 'string' || typeof ownerId !== 'string' || typeof expiresAt !== 'number') {
      return { ok: false, reason: 'invalid' };
    }
    if (forProject !== projectId) return { ok: false, reason: 'other-project' };
    if (now >= expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, ownerId };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key)
      .update(`${VERSION}.${payload}`)
      .digest()
      .subarray(0, 24)
      .toString('base64url');
  }
}
