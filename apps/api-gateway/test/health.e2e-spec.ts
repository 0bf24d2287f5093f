import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TcpProxy, ThrowawayRedis, waitFor } from '@app/testing';
import { createJobWorkerApp } from '../../job-worker/src/bootstrap.js';
import { createGatewayApp } from '../src/bootstrap.js';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';

/**
 * Readiness under faults, with a Redis of the test's own that it stops and a
 * proxy in front of Postgres that it cuts (the machine's servers are untouched).
 */
describe('health under faults', () => {
  const redis = new ThrowawayRedis();
  let pgProxy: TcpProxy;
  let gateway: NestFastifyApplication;
  let jobWorker: INestApplication;

  const ready = async (app: INestApplication) => {
    const res = await fetch(`${await app.getUrl()}/health/ready`);
    return { status: res.status, body: (await res.json()) as { details: Record<string, { status: string }> } };
  };

  beforeAll(async () => {
    await redis.start();
    const db = new URL(testEnv().DATABASE_URL!);
    pgProxy = new TcpProxy(db.hostname, Number(db.port || 5432));
    db.port = String(await pgProxy.start());
    const config = testConfig({
      DATABASE_URL: db.toString(),
      REDIS_URL: redis.url,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    gateway = await createGatewayApp(config);
    await gateway.listen(0, '127.0.0.1');
    jobWorker = await createJobWorkerApp(config);
    await jobWorker.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await redis.start(); // lets the apps close their Redis connections politely
    pgProxy.restore();
    await gateway?.close();
    await jobWorker?.close();
    await redis.stop();
    await pgProxy.close();
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
    expect(gw.body.details.postgres.status).toBe('up');
    expect((await ready(jobWorker)).status).toBe(503);

    await redis.start();
    await waitFor(async () => (await ready(gateway)).body.details.redis?.status === 'up', { what: 'Redis back up' });
    await waitFor(async () => (await ready(jobWorker)).status === 200, { what: 'job-worker ready again' });
  });

  it('answers 503 within a few seconds when Postgres is cut off', async () => {
    pgProxy.cut('blackhole');
    const started = Date.now();
    const r = await ready(gateway);
    const tookMs = Date.now() - started;
    expect(r.status).toBe(503);
    expect(r.body.details.postgres.status).toBe('down');
    // Bounded wait, not a timing assertion on speed: the ping's own timeout is 1.5 s.
    expect(tookMs).toBeLessThan(10_000);

    pgProxy.restore();
    await waitFor(async () => (await ready(gateway)).status === 200, { what: 'Postgres back' });
  });
});
