import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signWebhookPayload } from '@notionhq/client';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { FIXTURE_NOTION_TOKEN, type TcpProxy, ThrowawayRedis, waitFor } from '@app/testing';
import { createGatewayApp } from '../src/bootstrap.js';
import { WebhookCredentialsCache } from '../src/notion-webhooks/webhook-credentials.cache.js';
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
    const faultable = await faultableConfig(redis, {
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      THROTTLE_LIMIT: '20',
      // This suite fails on purpose often; the limit has a suite of its own below.
      WEBHOOK_FAILURE_LIMIT: '1000',
    });
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
  /** A new project of `owner`; `hook` is its secret webhook URL from the create answer, as Notion gets it. */
  const createProject = async (owner: string) => {
    const res = await api(owner, 'POST', '/projects', {
      name: 'p',
      notionDatabaseId: randomUUID(),
      notionToken: FIXTURE_NOTION_TOKEN,
    });
    expect(res.status).toBe(201);
    // PUBLIC_BASE_URL is the default http://localhost:3000: keep the path, aim at this gateway.
    const hook = `${url}${new URL(res.body.webhook.url as string).pathname}`;
    return { id: res.body.id as string, hook };
  };
  const webhooks = (tail: string) => `${url}/api/v1/webhooks/notion/${tail}`;
  const post = (hook: string, raw: string, signature?: string) =>
    fetch(hook, {
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
    const { id, hook } = await createProject(owner);
    const token = `secret_${randomUUID()}`;
    expect((await post(hook, JSON.stringify({ verification_token: token }))).status).toBe(200);
    expect((await api(owner, 'POST', `/projects/${id}/webhook/confirm`)).status).toBe(200);
    return { id, hook, owner, token };
  };

  /** A verified project whose first event went through, so that this gateway holds its credentials. */
  const cachedProject = async () => {
    const project = await verifiedProject();
    const cache = app.get(WebhookCredentialsCache);
    const key = new URL(project.hook).pathname.split('/').pop()!;
    const first = JSON.stringify(event());
    expect((await post(project.hook, first, await sign(first, project.token))).status).toBe(200);
    expect(cache.has(key)).toBe(true);
    return { ...project, cache, key, first };
  };

  /** The stored webhook state, as the owner's project row has it. */
  const webhookRow = async (projectId: string) =>
    (
      await pg.query(
        'SELECT webhook_status, webhook_token_ciphertext, webhook_key_hash, webhook_handshakes FROM projects WHERE id = $1',
        [projectId],
      )
    ).rows[0];

  describe('secret URLs', () => {
    it('gives each project an unguessable URL, shown to its owner in the create answer and GET .../webhook only', async () => {
      const owner = `owner-${randomUUID()}`;
      const created = await api(owner, 'POST', '/projects', {
        name: 'p',
        notionDatabaseId: randomUUID(),
        notionToken: FIXTURE_NOTION_TOKEN,
      });
      const hookUrl = created.body.webhook.url as string;
      expect(hookUrl).toMatch(/^http:\/\/localhost:3000\/api\/v1\/webhooks\/notion\/whk_[A-Za-z0-9_-]{32}$/);
      expect(hookUrl).not.toContain(created.body.id);
      const id = created.body.id as string;
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toEqual({
        url: hookUrl,
        status: 'awaiting_handshake',
        verificationToken: null,
      });
      // Lists (which browsers cache), reads and updates never carry it.
      const key = hookUrl.split('/').pop()!;
      for (const [method, path] of [
        ['GET', '/projects'],
        ['GET', `/projects/${id}`],
        ['PATCH', `/projects/${id}`],
      ] as const) {
        const res = await api(owner, method, path, method === 'PATCH' ? { name: 'q' } : undefined);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain(key);
      }
      expect((await api('someone-else', 'GET', `/projects/${id}/webhook`)).status).toBe(404);
      // Another project's URL is another key.
      expect((await createProject(owner)).hook).not.toContain(key);
    });

    it('answers every URL that leads nowhere with the same 404, whatever the project behind a guess', async () => {
      const pending = await createProject(`owner-${randomUUID()}`);
      const verified = await verifiedProject();
      const token = `secret_${randomUUID()}`;
      const bodies = [JSON.stringify({ verification_token: token }), JSON.stringify(event())];
      const answers = [];
      for (const tail of [
        `whk_${'A'.repeat(32)}`, // well-formed, unknown
        'whk_short',
        'not-a-key',
        randomUUID(), // no project
        pending.id, // a pending project, by id
        verified.id, // a verified project, by id (verified after secret URLs: no legacy URL)
      ]) {
        for (const raw of bodies) {
          const res = await post(webhooks(tail), raw, await sign(raw, token));
          const body = (await res.json()) as Record<string, unknown>;
          answers.push({ status: res.status, type: body.type, title: body.title, detail: body.detail });
          expect(String(body.instance)).toBe('/api/v1/webhooks/notion/[redacted]');
        }
      }
      expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
        new Set([JSON.stringify({ status: 404, type: 'about:blank', title: 'Not Found', detail: 'No such webhook' })]),
      );
      expect(await webhookStatus(pending.id)).toBe('awaiting_handshake');
      expect(await deliveries(verified.id)).toEqual([]);
    });

    it("is not taken over: a stranger who knows a pending project's id changes nothing of it", async () => {
      const owner = `owner-${randomUUID()}`;
      const { id, hook } = await createProject(owner);
      const before = await webhookRow(id);
      // The attack of the old design: the stranger's own token as a handshake, then events signed with it.
      const strangersToken = `secret_${randomUUID()}`;
      const handshake = JSON.stringify({ verification_token: strangersToken });
      const forged = JSON.stringify(event());
      for (const target of [webhooks(id), webhooks(`whk_${randomUUID().replace(/-/g, '')}`)]) {
        expect((await post(target, handshake)).status).toBe(404);
        expect((await post(target, forged, await sign(forged, strangersToken))).status).toBe(404);
      }
      expect(await webhookRow(id)).toEqual(before);
      expect(await deliveries(id)).toEqual([]);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'awaiting_handshake',
        verificationToken: null,
      });

      // Notion, which has the URL, then subscribes and delivers as usual.
      const notionsToken = `secret_${randomUUID()}`;
      expect((await post(hook, JSON.stringify({ verification_token: notionsToken }))).status).toBe(200);
      const raw = JSON.stringify(event());
      expect((await post(hook, raw, await sign(raw, notionsToken))).status).toBe(200);
      expect(await webhookStatus(id)).toBe('verified');
      expect(await deliveries(id)).toHaveLength(1);
    });

    it('moves to a new URL on reset: the old one answers 404 at once', async () => {
      const { id, hook, owner, token } = await verifiedProject();
      expect((await api(owner, 'DELETE', `/projects/${id}/webhook`)).body).toEqual({
        status: 'awaiting_handshake',
        verificationToken: null,
      });
      const raw = JSON.stringify(event());
      expect((await post(hook, raw, await sign(raw, token))).status).toBe(404);
      expect((await post(hook, JSON.stringify({ verification_token: 'secret_again' }))).status).toBe(404);
      const renewed = (await api(owner, 'GET', `/projects/${id}/webhook`)).body.url as string;
      expect(renewed).not.toBe(`http://localhost:3000${new URL(hook).pathname}`);
      expect(
        (await post(`${url}${new URL(renewed).pathname}`, JSON.stringify({ verification_token: 'secret_again' })))
          .status,
      ).toBe(200);
    });

    it('stops the old URL at once on reset even where the gateway still holds its credentials', async () => {
      const { id, hook, owner, token, cache, key, first } = await cachedProject();
      // The reset is an API call: like one made on another replica, it leaves this gateway's cache as it was.
      expect((await api(owner, 'DELETE', `/projects/${id}/webhook`)).status).toBe(200);
      expect(cache.has(key)).toBe(true);
      const late = JSON.stringify(event());
      const refused = await post(hook, late, await sign(late, token));
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as { detail: string }).detail).toBe('No such webhook');
      expect(await deliveries(id)).toHaveLength(1);
      // The re-read dropped the dead URL; a redelivery of the stored event is refused as well.
      expect(cache.has(key)).toBe(false);
      expect((await post(hook, first, await sign(first, token))).status).toBe(404);
    });

    it('follows a new token at once: events under the old one are refused, the new one is read on first use', async () => {
      const { id, hook, owner, token, first } = await cachedProject();
      const replaced = `secret_${randomUUID()}`;
      expect((await api(owner, 'PATCH', `/projects/${id}`, { notionWebhookSecret: replaced })).status).toBe(200);
      // Signed with the cached (old) token: the conditional insert stores nothing, the re-read refuses it.
      const stale = JSON.stringify(event());
      expect((await post(hook, stale, await sign(stale, token))).status).toBe(401);
      const fresh = JSON.stringify(event());
      expect((await post(hook, fresh, await sign(fresh, replaced))).status).toBe(200);
      expect((await deliveries(id)).map((d) => d.payload.id)).toEqual([JSON.parse(first).id, JSON.parse(fresh).id]);
    });

    it('keeps no trace of URLs that lead nowhere', async () => {
      const cache = app.get(WebhookCredentialsCache);
      const before = cache.size;
      for (let i = 0; i < 20; i++) {
        const stranger = `whk_${randomBytes(24).toString('base64url')}`;
        expect((await post(webhooks(stranger), JSON.stringify({ verification_token: 'secret_x' }))).status).toBe(404);
        expect(cache.has(stranger)).toBe(false);
      }
      expect((await post(webhooks(randomUUID()), JSON.stringify(event()))).status).toBe(404);
      expect(cache.size).toBe(before);
    });

    it('keeps a webhook verified before secret URLs at its old URL, for signed events only, until its owner resets', async () => {
      const { id, owner, token } = await verifiedProject();
      // As the migration leaves a webhook verified before it.
      await pg.query('UPDATE projects SET webhook_legacy_url = true WHERE id = $1', [id]);
      const legacy = webhooks(id);
      const raw = JSON.stringify(event());
      expect((await post(legacy, raw, await sign(raw, token))).status).toBe(200);
      expect(await deliveries(id)).toHaveLength(1);
      // Anything else there looks like no webhook at all: not even a 401 or a 409 says one exists.
      const other = JSON.stringify(event());
      for (const [body, signature] of [
        [JSON.stringify({ verification_token: 'secret_attacker' }), undefined],
        [other, undefined],
        [other, await sign(other, 'secret_wrong')],
        ['{not json', await sign('{not json', 'secret_wrong')],
      ] as const) {
        expect((await post(legacy, body, signature)).status).toBe(404);
      }
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toEqual({
        url: `http://localhost:3000/api/v1/webhooks/notion/${id}`,
        status: 'verified',
        verificationToken: null,
        legacyUrl: true,
      });
      await api(owner, 'DELETE', `/projects/${id}/webhook`);
      const again = JSON.stringify(event());
      expect((await post(legacy, again, await sign(again, token))).status).toBe(404);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body.url).toMatch(/\/whk_[A-Za-z0-9_-]{32}$/);
    });
  });

  describe('handshake', () => {
    it('stores the token encrypted, shows it to the owner only, and lets a newer one replace it', async () => {
      const owner = `owner-${randomUUID()}`;
      const { id, hook } = await createProject(owner);
      const res = await post(hook, JSON.stringify({ verification_token: 'secret_first' }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'handshake' });
      const row = await webhookRow(id);
      expect(row.webhook_token_ciphertext.includes(Buffer.from('secret_first'))).toBe(false);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'awaiting_verification',
        verificationToken: 'secret_first',
      });
      expect((await api('someone-else', 'GET', `/projects/${id}/webhook`)).status).toBe(404);

      expect((await post(hook, JSON.stringify({ verification_token: 'secret_second' }))).status).toBe(200);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body.verificationToken).toBe('secret_second');
    });

    it('takes a few handshakes a minute on one URL, then answers 429 with Retry-After', async () => {
      const owner = `owner-${randomUUID()}`;
      const { id, hook } = await createProject(owner);
      for (let i = 0; i < 5; i++) {
        expect((await post(hook, JSON.stringify({ verification_token: `secret_${i}` }))).status).toBe(200);
      }
      const limited = await post(hook, JSON.stringify({ verification_token: 'secret_flood' }));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body.verificationToken).toBe('secret_4');
    });

    it('is refused (409) once verified, changing nothing; a reset allows a new subscription', async () => {
      const { id, hook, owner, token } = await verifiedProject();
      expect((await api(owner, 'GET', `/projects/${id}/webhook`)).body).toMatchObject({
        status: 'verified',
        verificationToken: null,
      });
      const refused = await post(hook, JSON.stringify({ verification_token: 'secret_attacker' }));
      expect(refused.status).toBe(409);
      expect(await webhookStatus(id)).toBe('verified');
      // The old token still verifies events: it was not replaced.
      const raw = JSON.stringify(event());
      expect((await post(hook, raw, await sign(raw, token))).status).toBe(200);

      await api(owner, 'DELETE', `/projects/${id}/webhook`);
      const renewed = `${url}${new URL((await api(owner, 'GET', `/projects/${id}/webhook`)).body.url as string).pathname}`;
      expect((await post(renewed, JSON.stringify({ verification_token: 'secret_new' }))).status).toBe(200);
      expect(await webhookStatus(id)).toBe('awaiting_verification');
    });

    it('cannot be confirmed before Notion sent a token (409)', async () => {
      const owner = `owner-${randomUUID()}`;
      const { id } = await createProject(owner);
      expect((await api(owner, 'POST', `/projects/${id}/webhook/confirm`)).status).toBe(409);
    });
  });

  describe('events', () => {
    it('stores a correctly signed event before answering 200, and the first one verifies the webhook', async () => {
      const owner = `owner-${randomUUID()}`;
      const { id, hook } = await createProject(owner);
      await post(hook, JSON.stringify({ verification_token: 'secret_tok' }));
      const e = event();
      const raw = JSON.stringify(e);
      const res = await post(hook, raw, await sign(raw, 'secret_tok'));
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
      const { id, hook, token } = await verifiedProject();
      const e = event();
      const raw = JSON.stringify(e, null, 3).replace('"type"', '"\\u0074ype"');
      expect((await post(hook, raw, await sign(raw, token))).status).toBe(200);
      expect((await deliveries(id)).map((d) => d.event_id)).toEqual([e.id]);
    });

    it('answers 401 and stores nothing for a tampered body, a wrong token, a missing header or re-serialized JSON', async () => {
      const { id, hook, token } = await verifiedProject();
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
        const res = await post(hook, body, signature);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(await deliveries(id)).toEqual([]);
    });

    it('keeps one row for the same event sent 10 times at once, answering 200 to each', async () => {
      const { id, hook, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(hook, raw, signature)));
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      const kinds = await Promise.all(answers.map(async (r) => ((await r.json()) as { status: string }).status));
      expect(kinds.filter((k) => k === 'accepted')).toHaveLength(1);
      expect(await deliveries(id)).toHaveLength(1);
    });

    it('accepts and records unknown event and entity types', async () => {
      const { id, hook, token } = await verifiedProject();
      const raw = JSON.stringify(event({ type: 'hologram.materialized', entity: { id: 'x1', type: 'hologram' } }));
      expect((await post(hook, raw, await sign(raw, token))).status).toBe(200);
      expect((await deliveries(id))[0]).toMatchObject({ event_type: 'hologram.materialized', entity_id: 'x1' });
    });

    it('checks the signature before the JSON: 401 unsigned, then 400 for malformed signed bodies', async () => {
      const { id, hook, token } = await verifiedProject();
      expect((await post(hook, '{not json')).status).toBe(401);
      const bad = '{not json';
      const res = await post(hook, bad, await sign(bad, token));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: 400, detail: 'The body is not valid JSON' });
      const noId = JSON.stringify({ type: 'page.created' });
      expect((await post(hook, noId, await sign(noId, token))).status).toBe(400);
      expect(await deliveries(id)).toEqual([]);
    });

    it('answers 400, storing nothing, for signed envelopes a database cannot hold or a sync cannot use (never 503)', async () => {
      const { id, hook, token } = await verifiedProject();
      const page = randomUUID();
      for (const e of [
        event({ id: `evt\u0000${randomUUID()}` }),
        event({ type: 'page.\u0000created' }),
        event({ entity: { id: `${page}\u0000`, type: 'page' } }),
        event({ entity: { id: 'not-a-notion-id', type: 'data_source' } }),
        event({ timestamp: '0000-01-01T00:00:00Z' }),
        event({ timestamp: '12345-01-01T00:00:00Z' }),
        event({ id: 'x'.repeat(201) }),
      ]) {
        const raw = JSON.stringify(e);
        const res = await post(hook, raw, await sign(raw, token));
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(await deliveries(id)).toEqual([]);
      // A page id without dashes is a Notion id: stored in its dashed form.
      const raw = JSON.stringify(event({ entity: { id: page.replace(/-/g, '').toUpperCase(), type: 'page' } }));
      expect((await post(hook, raw, await sign(raw, token))).status).toBe(200);
      expect((await deliveries(id))[0]).toMatchObject({ entity_id: page });
    });

    it('never parses an unsigned body past the size of a handshake, and refuses deep signed ones (400, not 500)', async () => {
      const { id, hook, token } = await verifiedProject();
      // 200,000 levels deep, just under the body limit: the old intake overflowed its stack (500).
      const deep = `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      expect((await post(hook, deep)).status).toBe(401);
      expect((await post(hook, deep, 'sha256=00')).status).toBe(401);
      const signedDeep = await post(hook, deep, await sign(deep, token));
      expect(signedDeep.status).toBe(400);
      expect(await signedDeep.json()).toMatchObject({ detail: 'The body nests deeper than 64 levels' });
      // A padded handshake is no handshake: refused unread.
      const padded = `{"verification_token":"secret_x"${' '.repeat(2000)}}`;
      expect((await post(hook, padded)).status).toBe(401);
      expect(await deliveries(id)).toEqual([]);
    });

    it('takes bodies up to WEBHOOK_BODY_LIMIT_BYTES, answers 413 beyond, and counts those 413s', async () => {
      const { hook, token } = await verifiedProject();
      const limit = app.get(AppConfig).gateway.webhook.bodyLimitBytes;
      const tooLarge = async () =>
        Number(
          /notion_sync_deliveries_total\{[^}]*reason="too_large"[^}]*\} (\d+)/.exec(
            (await app.get(Metrics).render()).body,
          )?.[1] ?? 0,
        );
      const before = await tooLarge();
      const big = JSON.stringify(event({ data: { padding: 'x'.repeat(limit - 2000) } }));
      expect((await post(hook, big, await sign(big, token))).status).toBe(200);
      const huge = JSON.stringify(event({ data: { padding: 'x'.repeat(limit) } }));
      const refused = await post(hook, huge, await sign(huge, token));
      expect(refused.status).toBe(413);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await waitFor(async () => (await tooLarge()) === before + 1, { what: 'the 413 counted' });
    });

    it("answers without the browser API's security headers (but nosniff), which every other route sends", async () => {
      const { hook, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const res = await post(hook, raw, await sign(raw, token));
      expect(res.status).toBe(200);
      const api = await fetch(`${url}/api/v1/projects`, { headers: bearer('someone') });
      for (const header of ['content-security-policy', 'strict-transport-security', 'x-frame-options']) {
        expect(api.headers.get(header)).not.toBeNull();
        expect(res.headers.get(header)).toBeNull();
      }
      // Except the one that still matters for a JSON answer (the API surface spec checks it on every error).
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('is never rate limited', async () => {
      const { hook, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      // More than THROTTLE_LIMIT (20) from one client.
      for (let i = 0; i < 25; i++) expect((await post(hook, raw, signature)).status).toBe(200);
    });
  });

  describe('under faults', () => {
    it('still accepts events while Redis is unreachable (the inbox has them)', async () => {
      const { id, hook, token } = await verifiedProject();
      await redis.stop();
      try {
        const raw = JSON.stringify(event());
        expect((await post(hook, raw, await sign(raw, token))).status).toBe(200);
        expect(await deliveries(id)).toHaveLength(1);
      } finally {
        await redis.start();
      }
    });

    it('answers 503 with Retry-After within a few seconds when Postgres is cut off, never 2xx', async () => {
      const { id, hook, token } = await verifiedProject();
      const raw = JSON.stringify(event());
      const signature = await sign(raw, token);
      pgProxy.cut('partition');
      try {
        const res = await post(hook, raw, signature);
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
          return (await post(hook, again, await sign(again, token))).status === 200;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: 'an event accepted after Postgres came back' },
      );
    });
  });
});
