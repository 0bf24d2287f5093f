import { describe, expect, it } from '@jest/globals';
import { parseWebhookBody } from './webhook-payload.js';

const parse = (body: unknown) => parseWebhookBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
const envelope = {
  id: 'e1',
  type: 'page.created',
  timestamp: '2026-01-02T03:04:05.678Z',
  entity: { id: 'p1', type: 'page' },
};

describe('parseWebhookBody', () => {
  it('reads a handshake that carries only the token', () => {
    expect(parse({ verification_token: 'secret_x' })).toEqual({
      kind: 'handshake',
      handshake: { verificationToken: 'secret_x' },
    });
    expect(parse({ verification_token: 'secret_x', extra: 1 }).kind).toBe('malformed');
  });

  it('reads an event envelope, keeping unknown types', () => {
    const parsed = parse({ ...envelope, type: 'hologram.materialized' });
    expect(parsed).toMatchObject({
      kind: 'event',
      event: { id: 'e1', type: 'hologram.materialized', entity: { id: 'p1', type: 'page' } },
    });
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no id', { ...envelope, id: undefined }],
    ['a timestamp that is not ISO', { ...envelope, timestamp: 'yesterday' }],
    ['an impossible timestamp', { ...envelope, timestamp: '2026-13-45T99:99:99Z' }],
  ])('calls %s malformed', (_case, body) => {
    expect(parse(body).kind).toBe('malformed');
  });

  it('normalizes the timestamp Postgres will store', () => {
    expect(parse({ ...envelope, timestamp: '2024-02-30T00:00:00+02:00' })).toMatchObject({
      event: { timestamp: '2024-02-29T22:00:00.000Z' },
    });
  });

  it('makes the stored copy acceptable to jsonb (no NUL, no lone surrogates)', () => {
    const parsed = parse(
      `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":{"a\\u0000":"x\\u0000y","b":"\\ud800","c":"😀"}}`,
    );
    expect(parsed.kind).toBe('event');
    if (parsed.kind === 'event') expect(parsed.payload.data).toEqual({ 'a\uFFFD': 'x\uFFFDy', b: '\uFFFD', c: '😀' });
  });
});
