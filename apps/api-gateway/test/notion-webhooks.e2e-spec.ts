import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signWebhookPayload } from '@notionhq/client';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { FIXTURE_NOTION_TOKEN, type TcpProxy, ThrowawayRedis, waitFor } from '@app/testing';
import { createGatewayApp } from '../src/bootstrap.js';
import { faultableConfig, testEnv } from '../../../test/jest/test-env.js';

/**
 * The Notion webhook intake on the real Postgres: handshake, signatures on raw
 * bytes, durable inbox, and its answers under faults. Redis is a throwaway one
 * the test stops; Postgres sits behind a proxy the test cuts.
 */
describe('Notion webhook intake', () => {
  const redis = new ThrowawayRedis();
  let pgProxy: TcpProxy;
  let app: NestFastifyApplication;
  let url: string;
  let pg: Client;
  let secret: string;

  beforeAll(async () => {
    const faultable = await faultableConfig(redis, { DATABASE_STATEMENT_TIMEOUT_MS: '1500', THROTTLE_LIMIT: '20' });
    pgProxy = faultable.pgProxy;
    const config = faultable.config;
    secret = config.auth.mode === 'secret' ? config.auth.secret : '';
    app = await createGatewayApp(config);
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await pgProxy?.close();
    await redis.start();
    await app?.close();
    await redis.stop();
  });

  const bearer = (sub: string) => ({ authorization: `Bearer ${signDevToken({ secret, sub, ttlSeconds: 600 })}` });
  const api = async (sub: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { ...bearer(sub), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const createProject = async (owner: string) =>
    (
      await api(owner, 'POST', '/projects', {
        name: 'p',
        notionDatabaseId: randomUUID(),
        notionToken: FIXTURE_NOTION_TOKEN,
      })
    ).body.id as string;
  const post = (projectId: string, raw: string, signature?: string) =>
    fetch(`${url}/api/v1/webhooks/notion/${projectId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature && { 'x-notion-signature': signature }) },
      body: raw,
    });
  const event = (overrides: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    workspace_id: randomUUID(),
    subscription_id: randomUUID(),
    integration_id: randomUUID(),
    type: 'page.properties_updated',
    authors: [{ id: randomUUID(), type: 'person' }],
    attempt_number: 1,
    entity: { id: randomUUID(), type: 'page' },
    data: { parent: { id: randomUUID(), type: 'database' }, updated_properties: ['title'] },
    ...overrides,
  });
  const sign = (raw: string, token: string) => signWebhookPayload({ body: raw, verificationToken: token });
  const deliveries = async (projectId: string) =>
    (await pg.query('SELECT * FROM webhook_deliveries WHERE project_id = $1 ORDER BY received_at', [projectId])).rows;
  const webhookStatus = async (projectId: string) =>
    (await pg.query('SELECT webhook_status FROM projects WHERE id = $1', [projectId])).rows[0].webhook_status as string;

  /** A project whose webhook holds `token`, verified through the owner's confirmation. */
  const verifiedProject = async (owner = `owner-${randomUUID()}`) => {
    const id = await createProject(owner);
    const token = `secret_${randomUUID()}`;
    expect((await post(id, JSON.stringify({ verification_token: token }))).status).toBe(200);
    expect((await api(owner, 'POST', `/projects/${id}/webhook/confirm`)).status).toBe(200);
    return { id, owner, token };
  };

  describe('handshake', () => {
    it('stores the token encrypted, shows it to the owner only, and lets a newer one replace it', async () => {
      const owner = `owner-${randomUUID()}`;
      const id = await createProject(owner);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toEqual({
        url: `http://localhost:3000/api/v1/webhooks/notion/${id}`,
        status: 'awaiting_handshake',
        verificationToken: null,
      });
      const res = await post(id, JSON.stringify({ verification_token: 'secret_first' }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'handshake' });
      const row = (await pg.query('SELECT webhook_token_ciphertext FROM projects WHERE id = $1', [id])).rows[0];
      expect(row.webhook_token_ciphertext.includes(Buffer.from('secret_first'))).toBe(false);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'awaiting_verification',
        verificationToken: 'secret_first',
      });
      expect((await api('someone-else', 'GET', `/projects/${id}/webhook`)).status).toBe(404);

      expect((await post(id, JSON.stringify({ verification_token: 'secret_second' }))).status).toBe(200);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body.verificationToken).toBe('secret_second');
    });

    it('is refused (409) once verified, changing nothing; a reset allows a new subscription', async () => {
      const { id, owner, token } = await verifiedProject();
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'verified',
        verificationToken: null,
      });
      const refused = await post(id, JSON.stringify({ verification_token: 'secret_attacker' }));
      expect(refused.status).toBe(409);
      expect(await webhookStatus(id)).toBe('verified');
      // The old token still verifies events: it was not replaced.
      const raw = JSON.stringify(event());
      expect((await post(id, raw, await sign(raw, token))).status).toBe(200);

      expect((await api(owner, 'DELETE', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'awaiting_handshake',
      });
      expect((await post(id, JSON.stringify({ verification_token: 'secret_new' }))).status).toBe(200);
      expect(await webhookStatus(id)).toBe('awaiting_verification');
    });

    it('cannot be confirmed before Notion sent a token (409)', async () => {
      const owner = `owner-${randomUUID()}`;
      const id = await createProject(owner);
      expect((await api(owner, 'POST', `/projects/${id}/webhook/confirm`)).status).toBe(409);
    });
  });

  describe('events', () => {
    it('stores a correctly signed event before answering 200, and the first one verifies the webhook', async () => {
      const owner = `owner-${randomUUID()}`;
      const id = await createProject(owner);
      await post(id, JSON.stringify({ verification_token: 'secret_tok' }));
      const e = event();
      const raw = JSON.stringify(e);
      const res = await post(id, raw, await sign(raw, 'secret_tok'));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'accepted' });
      const [row] = await deliveries(id);
      expect(row).toMatchObject({
        event_id: e.id,
        event_type: 'page.properties_updated',
        entity_id: e.entity.id,
        entity_type: 'page',
        status: 'received',
        payload: e,
      });
      expect(row.event_timestamp.toISOString()).toBe(e.timestamp);
      expect(await webhookStatus(id)).toBe('verified');
    });

    it('verifies the raw bytes: extra spaces and \\u escapes are accepted', async () => {
      const { id, token } = await verifiedProject();
      const e = event();
      const raw = JSON.stringify(e, null, 3).replace('"type"', '"\\u0074ype"');
      expect((await post(id, raw, await sign(raw, token))).status).toBe(200);
      expect((await deliveries(id)).map((d) => d.event_id)).toEqual([e.id]);
    });

    it('answers 401 and stores nothing for a tampered body, a wrong token, a missing header or re-serialized JSON', async () => {
      const { id, token } = await verifiedProject();
      const e = event();
      const raw = JSON.stringify(e, null, 2);
      const good = await sign(raw, token);
      const cases: Array<[string, string | undefined]> = [
        [raw.replace('page.properties_updated', 'page.deleted'), good],
        [raw, await sign(raw, 'secret_wrong')],
        [raw, undefined],
        [JSON.stringify(e), good],
        [raw, 'sha256=zz'],
      ];
      for (const [body, signature] of cases) {
        const res = await post(id, body, signature);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(await deliveries(id)).toEqual([]);
    });

    it('keeps one row for the same event sent 10 times at once, answering 200 to each', async () => {
      const { id, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(id, raw, signature)));
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      const kinds = await Promise.all(answers.map(async (r) => ((await r.json()) as { status: string }).status));
      expect(kinds.filter((k) => k === 'accepted')).toHaveLength(1);
      expect(await deliveries(id)).toHaveLength(1);
    });

    it('accepts and records unknown event types', async () => {
      const { id, token } = await verifiedProject();
      const raw = JSON.stringify(event({ type: 'hologram.materialized', entity: { id: 'x1', type: 'hologram' } }));
      expect((await post(id, raw, await sign(raw, token))).status).toBe(200);
      expect((await deliveries(id))[0]).toMatchObject({ event_type: 'hologram.materialized' });
    });

    it('checks in order: unknown project 404, signature 401, malformed JSON 400', async () => {
      const { id, token } = await verifiedProject();
      expect((await post(randomUUID(), '{not json')).status).toBe(404);
      expect((await post('not-a-uuid', '{}')).status).toBe(404);
      expect((await post(id, '{not json')).status).toBe(401);
      const bad = '{not json';
      const res = await post(id, bad, await sign(bad, token));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: 400, detail: 'The body is not valid JSON' });
      const noId = JSON.stringify({ type: 'page.created' });
      expect((await post(id, noId, await sign(noId, token))).status).toBe(400);
    });

    it('takes bodies up to 1 MiB (more than the API allows), and answers 413 beyond', async () => {
      const { id, token } = await verifiedProject();
      const big = JSON.stringify(event({ data: { padding: 'x'.repeat(500 * 1024) } }));
      expect((await post(id, big, await sign(big, token))).status).toBe(200);
      const huge = JSON.stringify(event({ data: { padding: 'x'.repeat(1024 * 1024) } }));
      expect((await post(id, huge, await sign(huge, token))).status).toBe(413);
    });

    it('is never rate limited', async () => {
      const { id, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      // More than THROTTLE_LIMIT (20) from one client.
      for (let i = 0; i < 25; i++) expect((await post(id, raw, signature)).status).toBe(200);
    });
  });

  describe('under faults', () => {
    it('still accepts events while Redis is unreachable (the inbox has them)', async () => {
      const { id, token } = await verifiedProject();
      await redis.stop();
      try {
        const raw = JSON.stringify(event());
        expect((await post(id, raw, await sign(raw, token))).status).toBe(200);
        expect(await deliveries(id)).toHaveLength(1);
      } finally {
        await redis.start();
      }
    });

    it('answers 503 with Retry-After within a few seconds when Postgres is cut off, never 2xx', async () => {
      const { id, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      pgProxy.cut('partition');
      try {
        const res = await post(id, raw, signature);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      } finally {
        pgProxy.restore();
      }
      expect(await deliveries(id)).toEqual([]);

      // Once Postgres is reachable again, steady traffic must get through within
      // seconds: connections stranded by the partition may not be reused.
      await waitFor(
        async () => {
          const again = JSON.stringify(event());
          return (await post(id, again, await sign(again, token))).status === 200;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: 'an event accepted after Postgres came back' },
      );
    });
  });
});
