/**
 * Talking to the gateway as its users and Notion do: a bearer token minted as
 * `npm run token` does, projects created through the REST API, and webhook
 * envelopes shaped and signed like Notion's (the fake Notion's sender).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { signWebhookPayload } from '@notionhq/client';
import { builtPath } from './stack.mjs';

/** A bearer token for `sub`, signed with the development JWT_SECRET the bench apps run with. */
export async function devToken(sub) {
  const { DEV_JWT_SECRET } = await import(builtPath('dist/apps/api-gateway/libs/config/src/env.schema.js'));
  const { signDevToken } = await import(builtPath('dist/apps/api-gateway/libs/auth/src/dev-token.js'));
  return signDevToken({ secret: DEV_JWT_SECRET, sub, ttlSeconds: 6 * 3600 });
}

export class Api {
  constructor(port, bearer) {
    this.base = `http://127.0.0.1:${port}/api/v1`;
    this.bearer = bearer;
  }

  async call(method, path, body) {
    const res = await globalThis.fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.bearer}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  /**
   * A project bound to `databaseId` with a token of its own, created verified
   * (with its webhook secret), which also requests its first full sync.
   * `extra`: more fields of the create request (`syncContent`).
   */
  async createProject(name, databaseId, notionToken, extra = {}) {
    const verificationToken = `secret_${randomBytes(16).toString('hex')}`;
    const res = await this.call('POST', '/projects', {
      name,
      notionDatabaseId: databaseId,
      notionToken,
      notionWebhookSecret: verificationToken,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`creating a project answered ${res.status}: ${JSON.stringify(res.body)}`);
    // The secret URL from the create answer (PUBLIC_BASE_URL's origin), aimed at this gateway.
    const webhookPath = new URL(res.body.webhook.url).pathname;
    return {
      id: res.body.id,
      verificationToken,
      webhookUrl: `${this.base.replace(/\/api\/v1$/, '')}${webhookPath}`,
      webhookPath,
    };
  }
}

/** What every envelope says about its origin (one fake workspace). */
export function webhookOrigin() {
  return {
    workspace_id: randomUUID(),
    workspace_name: 'Bench workspace',
    subscription_id: randomUUID(),
    integration_id: randomUUID(),
    authors: [{ id: randomUUID(), type: 'person' }],
    api_version: '2025-09-03',
  };
}

/**
 * A `page.properties_updated` envelope as Notion sends it (the fields and
 * order of the fake Notion's sender), as the exact string to sign and send.
 */
export function pageEventBody(origin, { eventId, pageId, databaseId, dataSourceId }) {
  const { authors, api_version, ...where } = origin;
  return JSON.stringify({
    id: eventId,
    timestamp: new Date().toISOString(),
    ...where,
    authors,
    attempt_number: 1,
    api_version,
    entity: { id: pageId, type: 'page' },
    type: 'page.properties_updated',
    data: {
      parent: { id: databaseId, type: 'database', data_source_id: dataSourceId },
      updated_properties: ['title'],
    },
  });
}

/** Notion's `X-Notion-Signature`, computed synchronously (for load generators that cannot await). */
export function signSync(body, verificationToken) {
  return `sha256=${createHmac('sha256', verificationToken).update(body).digest('hex')}`;
}

/** Proves signSync signs exactly as the SDK's signWebhookPayload (what the gateway verifies against). */
export async function assertSignatureMatchesSdk(body, verificationToken) {
  const sdk = await signWebhookPayload({ body, verificationToken });
  if (sdk !== signSync(body, verificationToken))
    throw new Error('signSync disagrees with @notionhq/client signWebhookPayload');
}

export { signWebhookPayload };
