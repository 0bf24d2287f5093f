import { verifyWebhookSignature } from '@notionhq/client';

/** Notion's first POST to a new subscription: the token the owner must paste back. */
export interface NotionHandshake {
  readonly verificationToken: string;
}

/** The fields of an event envelope this system relies on; the whole payload is kept too. */
export interface NotionWebhookEnvelope {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  readonly entity?: { readonly id: string; readonly type: string };
  readonly attemptNumber?: number;
}

export type ParsedWebhookBody =
  | { readonly kind: 'handshake'; readonly handshake: NotionHandshake }
  | { readonly kind: 'event'; readonly event: NotionWebhookEnvelope; readonly payload: Record<string, unknown> }
  | { readonly kind: 'malformed'; readonly reason: string };

const MAX_ID = 200;
const str = (v: unknown, max = MAX_ID): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * Reads a webhook body: a handshake (`{"verification_token": ...}` and nothing
 * else), an event envelope (id, type, timestamp; unknown types are fine), or
 * malformed. Never throws.
 */
export function parseWebhookBody(raw: Buffer): ParsedWebhookBody {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { kind: 'malformed', reason: 'The body is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'malformed', reason: 'The body must be a JSON object' };
  }
  const record = body as Record<string, unknown>;
  if ('verification_token' in record) {
    return str(record.verification_token, 500) && Object.keys(record).length === 1
      ? { kind: 'handshake', handshake: { verificationToken: record.verification_token } }
      : { kind: 'malformed', reason: 'A handshake carries only a verification_token string' };
  }
  const { id, type, timestamp, entity, attempt_number: attemptNumber } = record;
  const at = str(timestamp, 64) && ISO_TIMESTAMP.test(timestamp) ? new Date(timestamp) : undefined;
  if (!str(id) || !str(type) || !at || Number.isNaN(at.getTime())) {
    return { kind: 'malformed', reason: 'An event needs string id, type and an ISO timestamp' };
  }
  const e = entity as { id?: unknown; type?: unknown } | undefined;
  return {
    kind: 'event',
    event: {
      id,
      type,
      // Normalized: JavaScript rolls 2024-02-30 over to March 1st; Postgres would refuse it.
      timestamp: at.toISOString(),
      ...(e && str(e.id) && str(e.type) ? { entity: { id: e.id, type: e.type } } : {}),
      ...(typeof attemptNumber === 'number' ? { attemptNumber } : {}),
    },
    payload: storable(record) as Record<string, unknown>,
  };
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// eslint-disable-next-line no-control-regex -- NUL is exactly what jsonb refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A copy that Postgres jsonb accepts: it refuses NUL and lone surrogates, which
 * JSON allows. They become U+FFFD in the stored copy (the signature was checked
 * on the raw bytes before). Without this, such a signed event would answer 503
 * until Notion gave up.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD');
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k) as string, storable(v)]));
  }
  return value;
}

/** Checks `X-Notion-Signature` against the raw bytes, in constant time (the SDK's check). */
export function verifyNotionSignature(
  raw: Buffer,
  signature: string | undefined,
  verificationToken: string,
): Promise<boolean> {
  return verifyWebhookSignature({ body: raw, signature, verificationToken });
}
