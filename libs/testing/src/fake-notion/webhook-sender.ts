import { randomBytes, randomUUID } from 'node:crypto';
import { signWebhookPayload } from '@notionhq/client';

/** Where Notion delivers a subscription's events, and the token it signs them with. */
export interface WebhookTarget {
  readonly url: string;
  readonly verificationToken: string;
}

export interface WebhookAuthor {
  readonly id: string;
  readonly type: 'person' | 'bot' | 'agent';
}

/** Who the envelope says sent it: fixed per fake workspace. */
export interface WebhookOrigin {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly subscriptionId: string;
  readonly integrationId: string;
  readonly apiVersion: string;
  readonly authors: readonly WebhookAuthor[];
}

export interface SendWebhookArgs extends WebhookTarget {
  /** Any event type: `page.properties_updated`, `data_source.schema_updated`, or one Notion has not invented yet. */
  readonly type: string;
  readonly entity: { readonly id: string; readonly type: string };
  readonly data?: Record<string, unknown>;
  /** 1 to 8 in Notion; a retry repeats the event id with a higher number. */
  readonly attemptNumber?: number;
  /** Defaults to a new UUID; pass one to send a retry of an earlier event. */
  readonly eventId?: string;
  /** When the event happened (ISO); defaults to now. */
  readonly timestamp?: string;
  readonly authors?: readonly WebhookAuthor[];
}

export interface WebhookDelivery {
  /** The receiver's HTTP status. */
  readonly status: number;
  readonly eventId: string;
  readonly attemptNumber: number;
  /** The receiver's response body. */
  readonly body: string;
  /** The exact bytes sent (and signed). */
  readonly payload: string;
}

/**
 * POSTs one event the way Notion does: the JSON envelope, signed with
 * HMAC-SHA256 of the exact body string (`X-Notion-Signature: sha256=<hex>`,
 * computed by the SDK's own `signWebhookPayload`).
 */
export async function sendWebhook(origin: WebhookOrigin, args: SendWebhookArgs): Promise<WebhookDelivery> {
  const eventId = args.eventId ?? randomUUID();
  const attemptNumber = args.attemptNumber ?? 1;
  const envelope = {
    id: eventId,
    timestamp: args.timestamp ?? new Date().toISOString(),
    workspace_id: origin.workspaceId,
    workspace_name: origin.workspaceName,
    subscription_id: origin.subscriptionId,
    integration_id: origin.integrationId,
    authors: args.authors ?? origin.authors,
    attempt_number: attemptNumber,
    api_version: origin.apiVersion,
    entity: args.entity,
    type: args.type,
    data: args.data ?? {},
  };
  const payload = JSON.stringify(envelope);
  const signature = await signWebhookPayload({ body: payload, verificationToken: args.verificationToken });
  const response = await fetch(args.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-notion-signature': signature },
    body: payload,
  });
  return { status: response.status, eventId, attemptNumber, body: await response.text(), payload };
}

export interface HandshakeResult {
  /** The token sent: the receiver must keep it, and signatures use it from then on. */
  readonly verificationToken: string;
  readonly status: number;
  readonly body: string;
}

/**
 * Notion's subscription handshake: one POST of `{"verification_token": ...}`.
 * Unsigned by default (reports differ on whether Notion signs it); `signed`
 * signs it with the token itself.
 */
export async function sendHandshake(
  url: string,
  options: { verificationToken?: string; signed?: boolean } = {},
): Promise<HandshakeResult> {
  const verificationToken = options.verificationToken ?? `secret_${randomBytes(24).toString('hex')}`;
  const payload = JSON.stringify({ verification_token: verificationToken });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.signed) headers['x-notion-signature'] = await signWebhookPayload({ body: payload, verificationToken });
  const response = await fetch(url, { method: 'POST', headers, body: payload });
  return { verificationToken, status: response.status, body: await response.text() };
}
