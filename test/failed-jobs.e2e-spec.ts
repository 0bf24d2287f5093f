import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { JobName, QueueName } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { JobWorkerModule } from '../apps/job-worker/src/job-worker.module.js';
import { NotionSyncHandlers } from '../apps/job-worker/src/notion-sync/notion-sync.handlers.js';
import { testConfig, testEnv } from './jest/test-env.js';

/** A job that fails for good leaves its deliveries `failed`, with the reason, and stays in the failed set. */
describe('failed jobs', () => {
  const config = testConfig({ JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '10' });
  let app: INestApplication;
  let queue: Queue;
  let pg: Client;
  let calls = 0;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [JobWorkerModule.forRoot(config)] })
      .overrideProvider(NotionSyncHandlers)
      .useValue({
        stopping: () => undefined,
        [JobName.SyncPage]: async () => {
          calls++;
          throw new Error('Notion is on fire');
        },
        [JobName.SyncDatabase]: async () => ({ processedDeliveries: 0 }),
      })
      .compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
      defaultJobOptions: { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
    });
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await queue?.close();
    await app?.close();
    await pg?.end();
  });

  it('marks the deliveries it covered failed with the reason after its last attempt', async () => {
    const projectId = await insertProject(pg);
    const first = await insertDelivery(pg, projectId);
    const second = await insertDelivery(pg, projectId, { entityId: first.entityId });
    const other = await insertDelivery(pg, projectId);
    const job = await queue.add(JobName.SyncPage, {
      projectId,
      pageId: first.entityId,
      correlationId: first.correlationId,
    });

    await waitFor(async () => (await deliveryStatus(pg, first.deliveryId)) === 'failed', {
      what: 'the delivery to fail',
    });
    expect(await deliveryStatus(pg, second.deliveryId)).toBe('failed');
    expect(await deliveryStatus(pg, other.deliveryId)).toBe('received'); // another page: untouched
    const { rows } = await pg.query('SELECT reason FROM webhook_deliveries WHERE id = $1', [first.deliveryId]);
    expect(rows[0].reason).toBe('sync-page failed: Notion is on fire');
    expect(calls).toBe(2);
    expect(await (await queue.getJob(job.id!))?.getState()).toBe('failed');
  });
});
