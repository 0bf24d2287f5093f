import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import { MAX_TICKET_LENGTH, StreamTickets } from './stream-ticket.js';

/** The default STREAM_TICKET_TTL_SECONDS. */
const STREAM_TICKET_TTL_MS = 60_000;

const key = (n: number) => Buffer.alloc(32, n).toString('base64');
const tickets = (keys = `k1:${key(1)}`) => new StreamTickets(loadConfig({ ENCRYPTION_KEYS: keys }));
const PROJECT = '6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const NOW = Date.UTC(2026, 11, 2, 12);

describe('StreamTickets', () => {
  it("opens its project's stream for its owner until it expires", () => {
    const t = tickets();
    const { ticket, expiresAt } = t.issue({ ownerId: 'auth0|alice', projectId: PROJECT }, NOW);
    expect(expiresAt).toEqual(new Date(NOW + STREAM_TICKET_TTL_MS));
    expect(ticket).toMatch(/^st1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{32}$/);
    expect(t.open(ticket, PROJECT, NOW + STREAM_TICKET_TTL_MS - 1)).toEqual({ ok: true, ownerId: 'auth0|alice' });
    expect(t.open(ticket, PROJECT, NOW + STREAM_TICKET_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
  });

  it('carries the longest owner ids (255 characters of three UTF-8 bytes, or of JSON escapes)', () => {
    const t = tickets();
    for (const ownerId of ['語'.repeat(255), '"\\'.repeat(127) + 'x']) {
      const { ticket } = t.issue({ ownerId, projectId: PROJECT }, NOW);
      expect(ticket.length).toBeLessThanOrEqual(MAX_TICKET_LENGTH);
      expect(t.open(ticket, PROJECT, NOW)).toEqual({ ok: true, ownerId });
    }
  });

  it("refuses another project's stream", () => {
    const t = tickets();
    const { ticket } = t.issue({ ownerId: 'auth0|alice', projectId: PROJECT }, NOW);
    expect(t.open(ticket, OTHER, NOW)).toEqual({ ok: false, reason: 'other-project' });
  });

  it('refuses an altered, forged, foreign-key or malformed ticket', () => {
    const t = tickets();
    const { ticket } = t.issue({ ownerId: 'auth0|alice', projectId: PROJECT }, NOW);
    const [version, payload, mac] = ticket.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify([PROJECT, 'auth0|mallory', NOW + 1e9])).toString('base64url');
    for (const bad of [
      `${version}.${forged}.${mac}`,
      `${version}.${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `st2.${payload}.${mac}`,
      `${version}.${payload}`,
      tickets(`k1:${key(2)}`).issue({ ownerId: 'auth0|alice', projectId: PROJECT }, NOW).ticket,
      'x'.repeat(1000),
      '',
    ]) {
      expect(t.open(bad, PROJECT, NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});
