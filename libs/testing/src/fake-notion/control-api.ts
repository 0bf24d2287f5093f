import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeNotion, FakePage } from './fake-notion.js';
import { readBody, sendJson } from './http-body.js';
import { changedBlockIds, coerceBlocks, type FakeBlockInput } from './page-content.js';
import { coercePropertyValue, type FakePropertyValue } from './property-values.js';
import type { WebhookTarget } from './webhook-sender.js';

/**
 * The fake's control API, for a human (or a demo script) driving the standalone
 * server: plain JSON under `/_fake/`, outside Notion's `/v1` namespace, no auth.
 *
 * - `GET  /_fake/state`: databases, pages, grants, the webhook target.
 * - `POST /_fake/webhooks {url, verificationToken?}`: where to send webhooks from
 *   now on. Without `verificationToken` the fake performs Notion's handshake
 *   (POSTs `{verification_token}` to `url`) and signs with that token.
 *   `DELETE /_fake/webhooks` stops sending.
 * - `POST /_fake/pages {dataSourceId?, title, properties?, body?}`: a new page
 *   (default: the first data source), then `page.created`.
 * - `POST /_fake/pages/:id/edit {title?, properties?}`: then `page.properties_updated`.
 * - `POST /_fake/pages/:id/body {blocks}`: replaces the page's body, then
 *   `page.content_updated` with the blocks added, changed or removed.
 * - `POST /_fake/pages/:id/trash`, `/restore`: then `page.deleted` / `page.undeleted`.
 * - `POST /_fake/files {name, contentType?, base64 | text}`: hosts a file;
 *   answers it (`{id, name}`), to put in blocks and `files` values.
 * - `POST /_fake/settings {markdownLimit?, fileUrlExpirySeconds?}`: the markdown
 *   endpoint's truncation limit in characters (null: none) and how long signed
 *   file URLs live; answers both settings.
 *
 * `properties` maps names to real-shaped values (`{"type": "select", "select":
 * {"name": "Done"}}`) or shorthands: a string is rich text, a number a number, a
 * boolean a checkbox; a hosted file in a `files` value is `{"name", "hosted":
 * {"id", "name"}}`. `body` and `blocks` are arrays of blocks as
 * `FakeBlockInput` (page-content.ts) spells them: a string is a paragraph,
 * `{"type": "heading_2", "text": "..."}`, `{"type": "image", "file": {"id", "name"}}`
 * for a hosted file or `{"external": url}`. Mutations answer `{page, webhook}`
 * (`{page, blocks, webhook}` for a body), `webhook` being the delivery
 * (`{status, eventId, type}`), `{error}` if it could not be sent, or null.
 */
export type ControlApi = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createControlApi(fake: FakeNotion): ControlApi {
  let target: WebhookTarget | undefined;

  const deliver = async (type: string, page: FakePage, data: Record<string, unknown> = {}) => {
    if (!target) return null;
    try {
      const [delivery] = await fake.notifyPage(type, page.id, target, data);
      return { status: delivery!.status, eventId: delivery!.eventId, type };
    } catch (err) {
      return { error: `could not deliver ${type} to ${target.url}: ${(err as Error).message}` };
    }
  };

  const existingPage = (id: string) => {
    const page = fake.getPage(id);
    if (!page) throw new ControlError(404, `no page ${id}`);
    return page;
  };

  const route = async (method: string, path: string, body: Record<string, unknown>): Promise<unknown> => {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/_fake/state')
      return { ...fake.snapshot(), baseUrl: fake.url, webhook: target ?? null };

    if (method === 'POST' && path === '/_fake/webhooks') {
      const url = stringField(body, 'url', true);
      let verificationToken = stringField(body, 'verificationToken', false);
      let handshake: { status: number } | null = null;
      if (verificationToken === undefined) {
        const result = await fake.handshake(url).catch((err: Error) => {
          throw new ControlError(502, `handshake with ${url} failed: ${err.message}`);
        });
        verificationToken = result.verificationToken;
        handshake = { status: result.status };
      }
      target = { url, verificationToken };
      return { url, verificationToken, handshake };
    }
    if (method === 'DELETE' && path === '/_fake/webhooks') {
      target = undefined;
      return { webhook: null };
    }

    if (method === 'POST' && path === '/_fake/pages') {
      const title = stringField(body, 'title', true);
      const dataSourceId = stringField(body, 'dataSourceId', false) ?? fake.snapshot().databases[0]?.dataSources[0]?.id;
      if (!dataSourceId) throw new ControlError(400, 'no data source to add the page to');
      const page = fake.addPage(dataSourceId, title, { properties: properties(body), body: blocks(body, 'body') });
      return { page, webhook: await deliver('page.created', page) };
    }
    if (method === 'POST' && (m = /^\/_fake\/pages\/([\w-]+)\/body$/.exec(path))) {
      const id = existingPage(m[1]!).id;
      const before = fake.getBody(id);
      const after = fake.setBody(id, blocks(body, 'blocks') ?? []);
      const updated = changedBlockIds(before, after).map((blockId) => ({ id: blockId, type: 'block' }));
      const page = existingPage(id);
      return { page, blocks: after, webhook: await deliver('page.content_updated', page, { updated_blocks: updated }) };
    }
    if (method === 'POST' && path === '/_fake/files') {
      const name = stringField(body, 'name', true);
      const base64 = stringField(body, 'base64', false);
      const text = body['text'];
      if ((base64 === undefined) === (typeof text !== 'string'))
        throw new ControlError(400, 'give the bytes as exactly one of `base64` and `text`');
      const bytes = base64 !== undefined ? Buffer.from(base64, 'base64') : String(text);
      return fake.hostFile(name, bytes, stringField(body, 'contentType', false));
    }
    if (method === 'POST' && path === '/_fake/settings') {
      const limit = body['markdownLimit'];
      const expiry = body['fileUrlExpirySeconds'];
      if (limit !== undefined && limit !== null && typeof limit !== 'number')
        throw new ControlError(400, '`markdownLimit` must be a number of characters or null');
      if (expiry !== undefined && typeof expiry !== 'number')
        throw new ControlError(400, '`fileUrlExpirySeconds` must be a number');
      if (limit !== undefined) fake.setMarkdownLimit(limit);
      if (expiry !== undefined) fake.setFileUrlExpiry(expiry);
      return { markdownLimit: fake.markdownLimit, fileUrlExpirySeconds: fake.fileUrlExpirySeconds };
    }
    if (method === 'POST' && (m = /^\/_fake\/pages\/([\w-]+)\/(edit|trash|restore)$/.exec(path))) {
      const id = existingPage(m[1]!).id;
      if (m[2] === 'trash') {
        const page = fake.trashPage(id);
        return { page, webhook: await deliver('page.deleted', page) };
      }
      if (m[2] === 'restore') {
        const page = fake.restorePage(id);
        return { page, webhook: await deliver('page.undeleted', page) };
      }
      const title = stringField(body, 'title', false);
      const changed = properties(body) ?? {};
      const page = fake.editPage(id, { title, properties: changed });
      const updated = [
        ...(title !== undefined ? ['title'] : []),
        ...Object.keys(changed).map((name) => fake.propertyId(page.dataSourceId, name)),
      ];
      return { page, webhook: await deliver('page.properties_updated', page, { updated_properties: updated }) };
    }
    throw new ControlError(404, `no control route ${method} ${path}`);
  };

  return async (req, res, path) => {
    try {
      const raw = req.method === 'GET' ? '' : await readBody(req);
      let body: unknown = {};
      if (raw.trim()) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new ControlError(400, 'the body is not JSON');
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new ControlError(400, 'the body must be a JSON object');
      sendJson(res, 200, await route(req.method ?? 'GET', path, body as Record<string, unknown>));
    } catch (err) {
      sendJson(res, err instanceof ControlError ? err.status : 400, { error: (err as Error).message });
    }
  };
}

function stringField(body: Record<string, unknown>, name: string, required: true): string;
function stringField(body: Record<string, unknown>, name: string, required: false): string | undefined;
function stringField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !value) throw new ControlError(400, `\`${name}\` must be a non-empty string`);
  return value;
}

function properties(body: Record<string, unknown>): Record<string, FakePropertyValue> | undefined {
  const raw = body['properties'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ControlError(400, '`properties` must be an object of property name -> value');
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, coercePropertyValue(value)]));
}

function blocks(body: Record<string, unknown>, name: string): FakeBlockInput[] | undefined {
  const raw = body[name];
  if (raw === undefined) return undefined;
  try {
    return coerceBlocks(raw);
  } catch (err) {
    throw new ControlError(400, `\`${name}\`: ${(err as Error).message}`);
  }
}
