import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { ThrowawayRedis, waitFor, type TcpProxy } from '@app/testing';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { faultableConfig, testConfig } from './jest/test-env.js';

type Ready = { status: number; body: { details: Record<string, { status: string }> } };

/**
 * Readiness under faults, with a Redis of the test's own that it stops and a
 * proxy in front of Postgres that it partitions (the machine's servers are
 * untouched).
 */
describe('health under faults', () => {
  const redis = new ThrowawayRedis();
  let pgProxy: TcpProxy;
  let gateway: INestApplication;
  let jobWorker: INestApplication;

  // A hung probe fails the test through the abort, rather than hanging it.
  const ready = async (app: INestApplication): Promise<Ready> => {
    const res = await fetch(`${await app.getUrl()}/health/ready`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Ready['body'] };
  };

  beforeAll(async () => {
    const faultable = await faultableConfig(redis);
    pgProxy = faultable.pgProxy;
    const config = faultable.config;
    gateway = await createGatewayApp(config);
    await gateway.listen(0, '127.0.0.1');
    jobWorker = await createJobWorkerApp(config);
    await jobWorker.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    // Closing the proxy first resets the connections the partition stranded;
    // otherwise the pools' polite goodbye would wait on them forever.
    await pgProxy?.close();
    await gateway?.close();
    await jobWorker?.close();
    await redis.stop();
  });

  it('is ready when Postgres and Redis answer', async () => {
    expect(await ready(gateway)).toMatchObject({
      status: 200,
      body: { details: { postgres: { status: 'up' }, redis: { status: 'up' } } },
    });
    expect((await ready(jobWorker)).status).toBe(200);
  });

  it('keeps the gateway ready while Redis is down (reported degraded), but not a worker', async () => {
    await redis.stop();
    const gw = await waitFor(async () => {
      const r = await ready(gateway);
      return r.body.details.redis?.status === 'degraded' ? r : undefined;
    });
    expect(gw.status).toBe(200);
    expect(gw.body.details.postgres!.status).toBe('up');
    expect((await ready(jobWorker)).status).toBe(503);

    await redis.start();
    await waitFor(async () => (await ready(gateway)).body.details.redis?.status === 'up', { what: 'Redis back up' });
    await waitFor(async () => (await ready(jobWorker)).status === 200, { what: 'job-worker ready again' });
  });

  it('answers 503 while Postgres is partitioned away, and recovers once it is back', async () => {
    // Warm the pool, so the partition strands connections that look healthy.
    expect((await ready(gateway)).status).toBe(200);
    pgProxy.cut('partition');
    const during = await ready(gateway);
    expect(during.status).toBe(503);
    expect(during.body.details.postgres!.status).toBe('down');

    pgProxy.restore();
    // The stranded connections must be dropped (query timeout), not reused forever.
    await waitFor(async () => (await ready(gateway)).status === 200, {
      timeoutMs: 30_000,
      what: 'Postgres usable again',
    });
    await waitFor(async () => (await ready(jobWorker)).status === 200, { timeoutMs: 30_000, what: 'job-worker too' });
  });

  it('closes cleanly while Redis is down', async () => {
    await redis.stop();
    const app = await createGatewayApp(testConfig({ REDIS_URL: redis.url }));
    await app.listen(0, '127.0.0.1');
    await expect(app.close()).resolves.toBeUndefined();
    // The job-worker must be reconnected before afterAll closes it: closing
    // while BullMQ is mid-reconnect can hang (the app's grace timer covers that
    // in production; see docs/architecture.md).
    await redis.start();
    await waitFor(async () => (await ready(jobWorker)).status === 200, { what: 'job-worker reconnected' });
  });
});
