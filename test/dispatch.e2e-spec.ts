import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { signWebhookPayload } from '@notionhq/client';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { loadConfig } from '@app/config';
import { JobName, QueueName } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { type AppName, AppProcess, FIXTURE_NOTION_TOKEN, freePort, ThrowawayRedis, waitFor } from '@app/testing';
import { processEnv, testEnv } from './jest/test-env.js';

/**
 * Delivery guarantees with the three built apps as real processes: what is
 * accepted while a worker is down is dispatched once it is back, several
 * event-workers dispatch each delivery once, and jobs coalesce per page.
 */
describe('dispatch guarantees', () => {
  const env = testEnv();
  const config = loadConfig(env);
  const ports: Record<string, string> = {};
  let overrides: Record<string, string>;
  let gateway: AppProcess;
  const workers: AppProcess[] = [];
  let pg: Client;
  let queue: Queue;
  let base: string;

  const start = async (app: AppName, extra: Record<string, string> = {}) => {
    const port = String(await freePort());
    const proc = AppProcess.start(
      app,
      processEnv({
        ...overrides,
        ...extra,
        ...(app === 'event-worker' ? { EVENT_WORKER_HEALTH_PORT: port } : { JOB_WORKER_HEALTH_PORT: port }),
      }),
    );
    await proc.waitForReady(Number(port));
    workers.push(proc);
    return proc;
  };

  const token = signDevToken({
    secret: config.auth.mode === 'secret' ? config.auth.secret : '',
    sub: 'dispatch-owner',
    ttlSeconds: 3600,
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** A project whose webhook is verified with `secret`. */
  const project = async () => {
    const res = await api('POST', '/projects', {
      name: 'p',
      notionDatabaseId: randomUUID(),
      notionToken: FIXTURE_NOTION_TOKEN,
    });
    const created = (await res.json()) as { id: string; webhook: { url: string } };
    const { id } = created;
    // The secret URL from the create answer, aimed at this gateway.
    const hook = `${base}${new URL(created.webhook.url).pathname}`;
    const verificationToken = `secret_${randomUUID()}`;
    await fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verification_token: verificationToken }),
    });
    expect((await api('POST', `/projects/${id}/webhook/confirm`)).status).toBe(200);
    return { id, hook, verificationToken };
  };

  const send = async (
    p: { id: string; hook: string; verificationToken: string },
    pageId = randomUUID(),
    type = 'page.content_updated',
    requestId?: string,
    raw = JSON.stringify({
      id: randomUUID(),
      type,
      timestamp: new Date().toISOString(),
      entity: { id: pageId, type: 'page' },
    }),
  ) => {
    const res = await fetch(p.hook, {
      method: 'POST',
      headers: {
        ...(requestId && { 'x-request-id': requestId }),
        'content-type': 'application/json',
        'x-notion-signature': await signWebhookPayload({ body: raw, verificationToken: p.verificationToken }),
      },
      body: raw,
    });
    expect(res.status).toBe(200);
    return pageId;
  };

  const statuses = async (projectId: string) =>
    (
      await pg.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM webhook_deliveries WHERE project_id = $1 GROUP BY status',
        [projectId],
      )
    ).rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: Number(r.n) }), {});

  beforeAll(async () => {
    ports.PORT = String(await freePort());
    base = `http://127.0.0.1:${ports.PORT}`;
    // A fast relay, so the tests need not wait the production grace periods.
    overrides = { ...ports, RELAY_INTERVAL_MS: '200', RELAY_RECEIVED_GRACE_MS: '500', LOG_LEVEL: 'info' };
    gateway = AppProcess.start('api-gateway', processEnv(overrides));
    await gateway.waitForReady(Number(ports.PORT));
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
  });

  afterAll(async () => {
    await queue?.close();
    await pg?.end();
    await gateway?.stop('SIGTERM');
  });

  it('accepts 100 events while no event-worker runs, and processes them all once one starts', async () => {
    const p = await project();
    for (let i = 0; i < 100; i++) await send(p);
    expect(await statuses(p.id)).toEqual({ received: 100 });
    await start('job-worker');
    await start('event-worker');
    await waitFor(async () => (await statuses(p.id)).processed === 100, {
      timeoutMs: 60_000,
      what: '100 deliveries processed',
    });
  });

  it('with two event-workers, enqueues each delivery once', async () => {
    await start('job-worker');
    await start('event-worker');
    await start('event-worker');
    const p = await project();
    for (let i = 0; i < 40; i++) await send(p);
    await waitFor(async () => (await statuses(p.id)).processed === 40, {
      timeoutMs: 60_000,
      what: '40 deliveries processed',
    });
    const { rows } = await pg.query<{ dispatch_attempts: number }>(
      'SELECT dispatch_attempts FROM webhook_deliveries WHERE project_id = $1',
      [p.id],
    );
    // A replica that lost the claim never counted an attempt.
    expect(rows.map((r) => r.dispatch_attempts)).toEqual(Array(40).fill(1));
  });

  it('turns 10 concurrent copies of one event into one delivery and one job, and logs its correlation id in every app', async () => {
    const eventWorker = await start('event-worker');
    const jobWorker = await start('job-worker');
    const p = await project();
    const pageId = randomUUID();
    const raw = JSON.stringify({
      id: randomUUID(),
      type: 'page.created',
      timestamp: new Date().toISOString(),
      entity: { id: pageId, type: 'page' },
    });
    const correlationId = `corr-${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => send(p, pageId, 'page.created', i === 0 ? correlationId : undefined, raw)),
    );
    await waitFor(async () => (await statuses(p.id)).processed === 1, { what: 'the one delivery processed' });
    expect(await statuses(p.id)).toEqual({ processed: 1 });
    const runs = (await queue.getJobs(['completed', 'waiting', 'active'])).filter((j) => j.data.pageId === pageId);
    expect(runs).toHaveLength(1);

    // The correlation id is the id of the request that was stored (the first to commit).
    const { rows } = await pg.query('SELECT correlation_id FROM webhook_deliveries WHERE project_id = $1', [p.id]);
    const stored = rows[0].correlation_id as string;
    for (const proc of [gateway, eventWorker, jobWorker]) {
      expect(proc.lines.some((line) => line.includes(stored))).toBe(true);
    }
  });

  it('keeps accepting while Redis is down, and processes everything once it is back', async () => {
    // Every app of this scenario on a Redis of the test's own, which it stops.
    const redis = await new ThrowawayRedis().start();
    const local = { REDIS_URL: redis.url };
    const gatewayPort = String(await freePort());
    const ownGateway = AppProcess.start('api-gateway', processEnv({ ...overrides, ...local, PORT: gatewayPort }));
    const savedBase = base;
    try {
      await ownGateway.waitForReady(Number(gatewayPort));
      base = `http://127.0.0.1:${gatewayPort}`;
      await start('job-worker', local);
      await start('event-worker', local);
      const p = await project();
      for (let i = 0; i < 20; i++) await send(p);
      await waitFor(async () => (await statuses(p.id)).processed === 20, { what: 'the first 20 processed' });

      await redis.stop();
      for (let i = 0; i < 30; i++) await send(p); // every one answered 200 (asserted in send)
      // Redis comes back empty: the transport's events and any queued jobs are gone.
      await redis.start();
      await waitFor(async () => (await statuses(p.id)).processed === 50, {
        timeoutMs: 60_000,
        what: 'all 50 processed',
      });
    } finally {
      base = savedBase;
      await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
      await ownGateway.stop('SIGTERM');
      await redis.stop();
    }
  });

  it('coalesces 50 events for one page into one waiting job while the job-worker is stopped, and one run', async () => {
    await start('event-worker');
    const p = await project();
    const pageId = randomUUID();
    for (let i = 0; i < 50; i++) await send(p, pageId);
    await waitFor(async () => (await statuses(p.id)).enqueued === 50, { what: '50 deliveries enqueued' });
    const waiting = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter(
      (j) => j.data.pageId === pageId,
    );
    // One page job, and one job for the page's body (the events are page.content_updated).
    expect(waiting.map((j) => j.name).sort()).toEqual([JobName.SyncPage, JobName.SyncPageContent]);

    await start('job-worker');
    await waitFor(async () => (await statuses(p.id)).processed === 50, { what: '50 deliveries processed' });
    // The job marks its deliveries processed before BullMQ moves it to the completed set.
    const runs = await waitFor(
      async () => {
        const inFlight = await queue.getJobs(['active', 'waiting', 'prioritized', 'delayed']);
        if (inFlight.some((j) => j.data.pageId === pageId)) return undefined;
        const done = (await queue.getJobs(['completed'])).filter(
          (j) => j.data.pageId === pageId && j.name === JobName.SyncPage,
        );
        return done.length > 0 && done;
      },
      { what: 'its job completed' },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.returnvalue).toMatchObject({ processedDeliveries: 50 });
  });
});
