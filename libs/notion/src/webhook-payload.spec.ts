import { describe, expect, it } from '@jest/globals';
import { MAX_HANDSHAKE_BYTES, MAX_WEBHOOK_DEPTH, parseWebhookBody, readHandshake } from './webhook-payload.js';

const bytes = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
const parse = (body: unknown) => parseWebhookBody(bytes(body));
const PAGE = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const envelope = {
  id: 'e1',
  type: 'page.created',
  timestamp: '2026-01-02T03:04:05.678Z',
  entity: { id: PAGE, type: 'page' },
};

describe('parseWebhookBody', () => {
  it('reads a handshake that carries only the token', () => {
    expect(parse({ verification_token: 'secret_x' })).toEqual({
      kind: 'handshake',
      handshake: { verificationToken: 'secret_x' },
    });
    expect(parse({ verification_token: 'secret_x', extra: 1 }).kind).toBe('malformed');
  });

  it('reads an event envelope, keeping unknown event and entity types', () => {
    expect(parse({ ...envelope, type: 'hologram.materialized' })).toMatchObject({
      kind: 'event',
      event: { id: 'e1', type: 'hologram.materialized', entity: { id: PAGE, type: 'page' } },
    });
    expect(parse({ ...envelope, entity: { id: 'any-id_1', type: 'file_upload' } })).toMatchObject({
      event: { entity: { id: 'any-id_1', type: 'file_upload' } },
    });
  });

  it('normalizes the id of a page, database or data source entity to a dashed lowercase Notion id', () => {
    for (const type of ['page', 'database', 'data_source']) {
      expect(parse({ ...envelope, entity: { id: PAGE.replace(/-/g, '').toUpperCase(), type } })).toMatchObject({
        event: { entity: { id: PAGE, type } },
      });
    }
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no id', { ...envelope, id: undefined }],
    ['an empty id', { ...envelope, id: '' }],
    ['an id with a NUL', { ...envelope, id: 'e\u00001' }],
    ['an id with a line break', { ...envelope, id: 'e\n1' }],
    ['an id too long', { ...envelope, id: 'e'.repeat(201) }],
    ['a type with a NUL', { ...envelope, type: 'page.\u0000created' }],
    ['a type that is no string', { ...envelope, type: 7 }],
    ['a timestamp that is not ISO', { ...envelope, timestamp: 'yesterday' }],
    ['an impossible timestamp', { ...envelope, timestamp: '2026-13-45T99:99:99Z' }],
    ['year 0, which Postgres cannot hold', { ...envelope, timestamp: '0000-01-01T00:00:00Z' }],
    ['year 1 pushed into year 0 by its offset', { ...envelope, timestamp: '0001-01-01T00:00:00+01:00' }],
    ['a page entity whose id is no Notion id', { ...envelope, entity: { id: 'p1', type: 'page' } }],
    [
      'a data source entity whose id holds a NUL',
      { ...envelope, entity: { id: `${PAGE}\u0000`, type: 'data_source' } },
    ],
    ['an entity that is not an object', { ...envelope, entity: 'page' }],
    ['an entity without a type', { ...envelope, entity: { id: PAGE } }],
  ])('calls %s malformed', (_case, body) => {
    expect(parse(body).kind).toBe('malformed');
  });

  it('normalizes the timestamp Postgres will store', () => {
    expect(parse({ ...envelope, timestamp: '2024-02-30T00:00:00+02:00' })).toMatchObject({
      event: { timestamp: '2024-02-29T22:00:00.000Z' },
    });
    expect(parse({ ...envelope, timestamp: '9999-12-31T23:59:59Z' }).kind).toBe('event');
  });

  it('makes the stored copy acceptable to jsonb (no NUL, no lone surrogates), keeping every key as data', () => {
    const parsed = parse(
      `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":{"a\\u0000":"x\\u0000y","b":"\\ud800","c":"😀","__proto__":{"p":1},"l":[["\\u0000"]]}}`,
    );
    expect(parsed.kind).toBe('event');
    if (parsed.kind !== 'event') return;
    const data = parsed.payload.data as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(data))).toEqual(
      JSON.parse('{"a\uFFFD":"x\uFFFDy","b":"\uFFFD","c":"😀","__proto__":{"p":1},"l":[["\uFFFD"]]}'),
    );
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  it('refuses a body nested past the cap without walking it (no stack overflow at 300,000 levels)', () => {
    const deep = (n: number) =>
      `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":${'['.repeat(n)}${']'.repeat(n)}}`;
    expect(parse(deep(MAX_WEBHOOK_DEPTH - 1)).kind).toBe('event');
    expect(parse(deep(MAX_WEBHOOK_DEPTH))).toEqual({
      kind: 'malformed',
      reason: `The body nests deeper than ${MAX_WEBHOOK_DEPTH} levels`,
    });
    expect(parse(deep(300_000)).kind).toBe('malformed');
  });
});

describe('readHandshake', () => {
  it('reads a small handshake and nothing else', () => {
    expect(readHandshake(bytes({ verification_token: 'secret_x' }))).toEqual({ verificationToken: 'secret_x' });
    expect(readHandshake(bytes(envelope))).toBeUndefined();
    expect(readHandshake(bytes('{'))).toBeUndefined();
    expect(readHandshake(bytes({ verification_token: 'bad\u0000token' }))).toBeUndefined();
  });

  it('does not parse anything larger than a handshake', () => {
    const padded = `{"verification_token":"secret_x"${' '.repeat(MAX_HANDSHAKE_BYTES)}}`;
    expect(readHandshake(bytes(padded))).toBeUndefined();
  });
});
