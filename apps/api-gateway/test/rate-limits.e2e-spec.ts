import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import type { AppConfig } from '@app/config';
import { FakeNotion, FIXTURE_NOTION_TOKEN, TcpProxy, ThrowawayRedis, waitFor } from '@app/testing';
import { createGatewayApp } from '../src/bootstrap.js';
import { RedisThrottlerStorage } from '../src/http/redis-throttler.storage.js';
import { SERVER_URLS, testConfig, testEnv } from '../../../test/jest/test-env.js';

/**
 * Client rate limits: @nestjs/throttler with its counters in Redis, so they
 * hold across gateway replicas; TRUST_PROXY; the manual sync quota; and what
 * happens while Redis is down.
 *
 * Each block counts under a key prefix of its own: every request of a run
 * comes from 127.0.0.1, and the counters outlive a suite by up to a window.
 */
const limitedConfig = (block: string, overrides: Record<string, string>) =>
  testConfig({
    REDIS_KEY_PREFIX: `${testEnv().REDIS_KEY_PREFIX}-${block}`,
    THROTTLE_TTL_SECONDS: '600',
    ...overrides,
  });

interface Gateway {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly config: AppConfig;
}

async function startGateway(config: AppConfig): Promise<Gateway> {
  const app = await createGatewayApp(config);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), config };
}

function bearer(config: AppConfig, sub: string): Record<string, string> {
  const secret = config.auth.mode === 'secret' ? config.auth.secret : '';
  return { authorization: `Bearer ${signDevToken({ secret, sub, ttlSeconds: 600 })}` };
}

/** GET /api/v1/projects, the cheapest authenticated route. */
const listProjects = (gateway: Gateway, headers: Record<string, string>) =>
  fetch(`${gateway.url}/api/v1/projects`, { headers });

async function createProject(gateway: Gateway, sub: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}/api/v1/projects`, {
    method: 'POST',
    headers: { ...bearer(gateway.config, sub), 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Limited',
      notionDatabaseId: randomUUID(),
      notionToken: FIXTURE_NOTION_TOKEN,
      ...extra,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; webhook: { url: string } };
}

async function expectTooManyRequests(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await res.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
}

/** Two replicas of one deployment (same Redis, same prefix) for the enclosing block. */
function twoReplicas(config: AppConfig): Gateway[] {
  const replicas: Gateway[] = [];
  beforeAll(async () => {
    replicas.push(await startGateway(config), await startGateway(config));
  });
  afterAll(async () => {
    for (const { app } of replicas) await app.close();
  });
  return replicas;
}

describe('rate limits across gateway replicas', () => {
  const config = limitedConfig('replicas', { THROTTLE_LIMIT: '5', THROTTLE_IP_LIMIT: '1000' });
  const replicas = twoReplicas(config);

  it('lets a user make THROTTLE_LIMIT requests in all, whichever replica answers', async () => {
    const headers = bearer(config, `user-${randomUUID()}`);
    const answers: Response[] = [];
    for (let i = 0; i < 10; i++) answers.push(await listProjects(replicas[i % 2]!, headers));
    // Each replica alone would allow 5: 10 answers of 200.
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    // One counter: the replicas count down together, and say so in the headers.
    expect(answers.slice(0, 5).map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    expect(answers[0]!.headers.get('x-ratelimit-limit')).toBe('5');
    const reset = Number(answers[0]!.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(600);
    await expectTooManyRequests(answers[5]!);
    await expectTooManyRequests(answers[6]!);
  });

  it('gives every user a budget of their own', async () => {
    for (const gateway of replicas) {
      expect((await listProjects(gateway, bearer(config, `user-${randomUUID()}`))).status).toBe(200);
    }
  });
});

describe('per-IP rate limit across gateway replicas, before authentication', () => {
  const config = limitedConfig('ip-replicas', { THROTTLE_LIMIT: '1000', THROTTLE_IP_LIMIT: '6' });
  const replicas = twoReplicas(config);

  it('counts requests with bad tokens from one IP on every replica against one limit', async () => {
    const answers: Response[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push(await listProjects(replicas[i % 2]!, { authorization: 'Bearer not.a.token' }));
    }
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429, 429]);
    await expectTooManyRequests(answers[6]!);
    // The per-IP limit sends no x-ratelimit-* headers (those describe the per-user budget).
    expect(answers[0]!.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('TRUST_PROXY', () => {
  const limits = { THROTTLE_IP_LIMIT: '3', THROTTLE_LIMIT: '1000' };
  let behindProxy: Gateway;
  let direct: Gateway;

  beforeAll(async () => {
    // The test client connects from 127.0.0.1: the "load balancer".
    behindProxy = await startGateway(limitedConfig('trusted', { ...limits, TRUST_PROXY: '127.0.0.1' }));
    direct = await startGateway(limitedConfig('untrusted', limits));
  });
  afterAll(async () => {
    await behindProxy?.app.close();
    await direct?.app.close();
  });

  const badToken = (gateway: Gateway, forwardedFor: string) =>
    listProjects(gateway, { authorization: 'Bearer not.a.token', 'x-forwarded-for': forwardedFor });

  it('limits each client behind a trusted proxy on its own address', async () => {
    for (let i = 0; i < 3; i++) expect((await badToken(behindProxy, '203.0.113.1')).status).toBe(401);
    await expectTooManyRequests(await badToken(behindProxy, '203.0.113.1'));
    // Another client behind the same proxy address has its own budget.
    expect((await badToken(behindProxy, '203.0.113.2')).status).toBe(401);
    // Entries a client writes itself, before the proxy's, change nothing.
    await expectTooManyRequests(await badToken(behindProxy, '198.51.100.9, 203.0.113.1'));
  });

  it('ignores X-Forwarded-For when unset: a client cannot spoof its way out of the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await badToken(direct, `203.0.113.${10 + i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('manual sync requests per project', () => {
  const config = limitedConfig('sync-requests', { SYNC_REQUEST_LIMIT: '2', SYNC_REQUEST_WINDOW_SECONDS: '600' });
  let gateway: Gateway;
  let pg: Client;

  beforeAll(async () => {
    gateway = await startGateway(config);
    pg = new Client({ connectionString: config.database.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await gateway?.app.close();
  });

  const requestSync = (sub: string, projectId: string) =>
    fetch(`${gateway.url}/api/v1/projects/${projectId}/sync`, { method: 'POST', headers: bearer(config, sub) });
  const requestedAt = async (projectId: string) =>
    (
      await pg.query<{ at: string }>('SELECT requested_at::text AS at FROM project_sync WHERE project_id = $1', [
        projectId,
      ])
    ).rows[0]!.at;

  it('allows SYNC_REQUEST_LIMIT per project, then 429 with Retry-After, changing nothing', async () => {
    const owner = `owner-${randomUUID()}`;
    const stranger = `stranger-${randomUUID()}`;
    const project = await createProject(gateway, owner);
    const other = await createProject(gateway, owner);

    // A stranger learns nothing and spends nothing: 404, however often.
    for (let i = 0; i < 3; i++) expect((await requestSync(stranger, project.id)).status).toBe(404);

    expect((await requestSync(owner, project.id)).status).toBe(202);
    expect((await requestSync(owner, project.id)).status).toBe(202);
    const before = await requestedAt(project.id);
    const limited = await requestSync(owner, project.id);
    await expectTooManyRequests(limited);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(600);
    expect(await requestedAt(project.id)).toBe(before);

    // Still a 404 for the stranger, never a 429 that would say the project exists.
    expect((await requestSync(stranger, project.id)).status).toBe(404);
    // Counted per project: the owner's other project has its own budget.
    expect((await requestSync(owner, other.id)).status).toBe(202);
  });
});

describe('rate limits while Redis is down', () => {
  const redis = new ThrowawayRedis();
  const WEBHOOK_SECRET = `secret_${randomUUID()}`;
  let gateway: Gateway;

  beforeAll(async () => {
    await redis.start();
    gateway = await startGateway(
      testConfig({ REDIS_URL: redis.url, THROTTLE_LIMIT: '3', THROTTLE_TTL_SECONDS: '600' }),
    );
  });
  afterAll(async () => {
    // Closing while Redis is down would wait on its reconnecting clients.
    await redis.start();
    await gateway?.app.close();
    await redis.stop();
  });

  it('fails open for the API (with a warning) and never touches the webhook intake', async () => {
    const owner = `owner-${randomUUID()}`;
    const project = await createProject(gateway, owner, { notionWebhookSecret: WEBHOOK_SECRET });
    const user = bearer(gateway.config, `user-${randomUUID()}`);
    for (let i = 0; i < 3; i++) expect((await listProjects(gateway, user)).status).toBe(200);
    await expectTooManyRequests(await listProjects(gateway, user));

    const warn = jest.spyOn(Logger.prototype, 'warn');
    await redis.stop();
    try {
      // Over the limit, but the limiter cannot count: let requests through rather than fail them.
      for (let i = 0; i < 5; i++) expect((await listProjects(gateway, bearer(gateway.config, owner))).status).toBe(200);
      const warnings = warn.mock.calls.map((args) => String(args[0])).filter((m) => /Rate limits are not/.test(m));
      expect(warnings).toEqual([expect.stringMatching(/^Rate limits are not enforced: Redis unavailable/)]);

      // Signed events go through, more than any limit, and the gateway stays ready.
      const url = `${gateway.url}${new URL(project.webhook.url).pathname}`;
      for (let i = 0; i < 5; i++) {
        const delivery = await new FakeNotion().sendWebhook({
          url,
          verificationToken: WEBHOOK_SECRET,
          type: 'page.properties_updated',
          entity: { id: randomUUID(), type: 'page' },
        });
        expect(delivery.status).toBe(200);
      }
      expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
    } finally {
      warn.mockRestore();
      await redis.start();
    }

    // Back (empty): counted again once the limiter has reconnected.
    const again = bearer(gateway.config, `user-${randomUUID()}`);
    await waitFor(async () => (await listProjects(gateway, again)).status === 429, {
      what: 'the limit to be enforced again after Redis came back',
    });
  });
});

describe('the limiter storage through a network partition', () => {
  // Redis keeps the connection open but answers nothing: the hardest outage to notice.
  const redis = new URL(SERVER_URLS.redis);
  const proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  let storage: RedisThrottlerStorage;

  beforeAll(async () => {
    const port = await proxy.start();
    storage = new RedisThrottlerStorage(limitedConfig('partition', { REDIS_URL: `redis://127.0.0.1:${port}` }));
    await storage.onModuleInit();
  });
  afterAll(async () => {
    storage?.onApplicationShutdown();
    await proxy.close();
  });

  it('lets hits through while Redis does not answer, and counts again once it does', async () => {
    const key = `partition-${randomUUID()}`;
    const hit = () => storage.increment(key, 600_000, 2, 0, 'test');
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: expect.any(Number) });

    proxy.cut('partition');
    expect(await hit()).toMatchObject({ isBlocked: false });

    // The partitioned connection stays dead: counting resumes only on a new one.
    proxy.restore();
    await waitFor(async () => (await hit()).isBlocked, { what: 'the storage to count again after the partition' });
  });
});
