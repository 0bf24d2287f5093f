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
  if (!str(id) || !str(type) || !str(timestamp, 64) || Number.isNaN(Date.parse(timestamp))) {
    return { kind: 'malformed', reason: 'An event needs string id, type and an ISO timestamp' };
  }
  const e = entity as { id?: unknown; type?: unknown } | undefined;
  return {
    kind: 'event',
    event: {
      id,
      type,
      timestamp,
      ...(e && str(e.id) && str(e.type) ? { entity: { id: e.id, type: e.type } } : {}),
      ...(typeof attemptNumber === 'number' ? { attemptNumber } : {}),
    },
    payload: record,
  };
}

/** Checks `X-Notion-Signature` against the raw bytes, in constant time (the SDK's check). */
export function verifyNotionSignature(
  raw: Buffer,
  signature: string | undefined,
  verificationToken: string,
): Promise<boolean> {
  return verifyWebhookSignature({ body: raw, signature, verificationToken });
}
