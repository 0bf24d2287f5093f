import { createHmac, timingSafeEqual } from 'node:crypto';
import { exceedsJsonDepth } from './json-depth.js';
import { normalizeNotionId } from './notion-id.js';

/** Notion's first POST to a new subscription: the token the owner must paste back. */
export interface NotionHandshake {
  readonly verificationToken: string;
}

/** The fields of an event envelope this system relies on; the whole payload is kept too. */
export interface NotionWebhookEnvelope {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  /** For page, database and data source entities, `id` is a dashed lowercase Notion id. */
  readonly entity?: { readonly id: string; readonly type: string };
  readonly attemptNumber?: number;
}

export type ParsedWebhookBody =
  | { readonly kind: 'handshake'; readonly handshake: NotionHandshake }
  | { readonly kind: 'event'; readonly event: NotionWebhookEnvelope; readonly payload: Record<string, unknown> }
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * Deepest nesting a webhook body may have. Notion's envelopes nest about five
 * levels; a cap keeps a hostile body from costing more than its size.
 */
export const MAX_WEBHOOK_DEPTH = 64;
/** A handshake is `{"verification_token":"secret_..."}`: a few dozen bytes, with room to spare. */
export const MAX_HANDSHAKE_BYTES = 1024;

const MAX_ID = 200;
const MAX_TYPE = 100;
const MAX_TOKEN = 500;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Entity types whose id the sync engine fetches from Notion: it must be a Notion id. */
const ID_ENTITIES = new Set(['page', 'database', 'data_source']);

/** A string of 1 to `max` characters that Postgres can store and a log line can show as it is. */
const clean = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max && !CONTROL.test(v) && !LONE_SURROGATE.test(v);

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (exceedsJsonDepth(raw, MAX_WEBHOOK_DEPTH)) {
    return { ok: false, reason: `The body nests deeper than ${MAX_WEBHOOK_DEPTH} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false, reason: 'The body is not valid JSON' };
  }
}

/**
 * Reads a small unsigned body as Notion's handshake
 * (`{"verification_token": ...}` and nothing else), or undefined. Anything
 * larger than a handshake is never parsed: an unsigned body costs its size, no more.
 */
export function readHandshake(raw: Buffer): NotionHandshake | undefined {
  if (raw.length > MAX_HANDSHAKE_BYTES) return undefined;
  const parsed = parseJson(raw);
  return parsed.ok ? handshakeOf(parsed.value) : undefined;
}

function handshakeOf(body: unknown): NotionHandshake | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record);
  return keys.length === 1 && keys[0] === 'verification_token' && clean(record.verification_token, MAX_TOKEN)
    ? { verificationToken: record.verification_token }
    : undefined;
}

/**
 * Reads a signed webhook body: a handshake, an event envelope, or malformed
 * (with the reason, for a 400). Unknown event and entity types are fine (Notion
 * adds families); what the system stores and acts on must be sane: `id` and
 * `type` printable and of sane length, `timestamp` an ISO date Postgres can
 * hold, and the id of a page, database or data source entity a Notion id.
 * Never throws, and never recurses over the body.
 */
export function parseWebhookBody(raw: Buffer): ParsedWebhookBody {
  const parsed = parseJson(raw);
  if (!parsed.ok) return { kind: 'malformed', reason: parsed.reason };
  const body = parsed.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'malformed', reason: 'The body must be a JSON object' };
  }
  const record = body as Record<string, unknown>;
  if ('verification_token' in record) {
    const handshake = handshakeOf(record);
    return handshake
      ? { kind: 'handshake', handshake }
      : { kind: 'malformed', reason: 'A handshake carries only a verification_token string' };
  }
  const { id, type, timestamp, entity, attempt_number: attemptNumber } = record;
  if (!clean(id, MAX_ID)) {
    return { kind: 'malformed', reason: `An event needs an id of 1 to ${MAX_ID} printable characters` };
  }
  if (!clean(type, MAX_TYPE)) {
    return { kind: 'malformed', reason: `An event needs a type of 1 to ${MAX_TYPE} printable characters` };
  }
  const at = storableTime(timestamp);
  if (!at) {
    return { kind: 'malformed', reason: 'An event needs an ISO 8601 timestamp between the years 1 and 9999' };
  }
  let entityOf: NotionWebhookEnvelope['entity'];
  if (entity !== undefined && entity !== null) {
    const e = entity as { id?: unknown; type?: unknown };
    if (typeof entity !== 'object' || !clean(e.id, MAX_ID) || !clean(e.type, MAX_TYPE)) {
      return { kind: 'malformed', reason: 'An event entity needs a printable id and type' };
    }
    const entityId = ID_ENTITIES.has(e.type) ? normalizeNotionId(e.id) : e.id;
    if (!entityId) return { kind: 'malformed', reason: `The id of a ${e.type} entity must be a Notion id` };
    entityOf = { id: entityId, type: e.type };
  }
  return {
    kind: 'event',
    event: {
      id,
      type,
      timestamp: at,
      ...(entityOf && { entity: entityOf }),
      ...(typeof attemptNumber === 'number' && Number.isInteger(attemptNumber) && { attemptNumber }),
    },
    payload: storable(record) as Record<string, unknown>,
  };
}

/**
 * The timestamp normalized to UTC ISO (JavaScript rolls 2024-02-30 over to
 * March 1st; Postgres would refuse it), if it is a date Postgres can hold as
 * we write it: years 1 to 9999 (`0000-01-01` is no date, and years past 9999
 * print as `+010000`).
 */
function storableTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64 || !ISO_TIMESTAMP.test(value)) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return undefined;
  const year = at.getUTCFullYear();
  return year >= 1 && year <= 9999 ? at.toISOString() : undefined;
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what jsonb refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const storableString = (value: string) => value.replace(UNSTORABLE, '\uFFFD');

/**
 * A copy that Postgres jsonb accepts: it refuses NUL and lone surrogates, which
 * JSON allows. They become U+FFFD in the stored copy (the signature was checked
 * on the raw bytes before). An explicit stack, not recursion: the depth is
 * capped already, but nothing here should depend on that.
 */
function storable(root: unknown): unknown {
  const copyOf = (value: unknown): unknown => {
    if (typeof value === 'string') return storableString(value);
    if (Array.isArray(value)) return new Array<unknown>(value.length);
    if (value && typeof value === 'object') return {};
    return value;
  };
  const top = copyOf(root);
  const pending: Array<[source: unknown, copy: unknown]> = [[root, top]];
  while (pending.length > 0) {
    const [source, copy] = pending.pop()!;
    if (Array.isArray(source)) {
      const target = copy as unknown[];
      source.forEach((item, i) => {
        target[i] = copyOf(item);
        if (item && typeof item === 'object') pending.push([item, target[i]]);
      });
    } else if (source && typeof source === 'object') {
      const target = copy as Record<string, unknown>;
      for (const [key, item] of Object.entries(source)) {
        const child = copyOf(item);
        // Defined, not assigned: a `__proto__` key in the JSON is data, not a prototype.
        Object.defineProperty(target, storableString(key), {
          value: child,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (item && typeof item === 'object') pending.push([item, child]);
      }
    }
  }
  return top;
}

const SIGNATURE_PREFIX = 'sha256=';
const SIGNATURE = /^sha256=[0-9a-fA-F]{64}$/;

/**
 * Checks `X-Notion-Signature` (`sha256=<hex>`, HMAC-SHA256 of the raw body
 * keyed by the verification token: the SDK's `signWebhookPayload` format) in
 * constant time. `node:crypto` directly: the SDK's `verifyWebhookSignature`
 * imports a WebCrypto key and signs on the thread pool per call, about ten
 * times the cost. A malformed signature is false, never an exception.
 */
export function verifyNotionSignature(raw: Buffer, signature: string | undefined, verificationToken: string): boolean {
  if (signature === undefined || !SIGNATURE.test(signature)) return false;
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length), 'hex');
  const expected = createHmac('sha256', verificationToken).update(raw).digest();
  // The pattern fixes the length; timingSafeEqual throws on unequal lengths, so say it again.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
