import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { JobName, type SyncPageJob } from '@app/contracts';
import { InboxService } from '@app/inbox';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { DeliveryDispatcher } from '../apps/event-worker/src/notion-events/delivery-dispatcher.js';
import { JobWorkerModule } from '../apps/job-worker/src/job-worker.module.js';
import { NotionSyncHandlers } from '../apps/job-worker/src/notion-sync/notion-sync.handlers.js';
import { testConfig, testEnv } from './jest/test-env.js';

/**
 * Coalescing while a job runs: events that arrive during a running sync-page
 * job schedule exactly one follow-up, so no edit is missed and none is fetched
 * twice for nothing.
 */
describe('coalescing around a running job', () => {
  const config = testConfig({ RELAY_RECEIVED_GRACE_MS: '3600000' });
  let eventWorker: INestApplication;
  let jobWorker: INestApplication;
  let dispatcher: DeliveryDispatcher;
  let pg: Client;
  const runs: SyncPageJob[] = [];
  let releaseFirstRun!: () => void;
  const firstRunReleased = new Promise<void>((resolve) => (releaseFirstRun = resolve));

  beforeAll(async () => {
    // Filled once the app exists; the overriding handlers run only after that.
    const deps: { inbox?: InboxService } = {};
    const moduleRef = await Test.createTestingModule({ imports: [JobWorkerModule.forRoot(config)] })
      .overrideProvider(NotionSyncHandlers)
      .useValue({
        stopping: () => undefined,
        // Like the real handler, but the first run holds until the test lets it go.
        [JobName.SyncPage]: async (data: SyncPageJob) => {
          runs.push(data);
          const fetchStartedAt = await deps.inbox!.now();
          if (runs.length === 1) await firstRunReleased;
          const processed = await deps.inbox!.markProcessedFor(data.projectId, data.pageId, fetchStartedAt);
          return { processedDeliveries: processed.length };
        },
        [JobName.SyncDatabase]: async () => ({ processedDeliveries: 0 }),
      })
      .compile();
    jobWorker = moduleRef.createNestApplication(new FastifyAdapter());
    await jobWorker.init();
    deps.inbox = jobWorker.get(InboxService);
    eventWorker = await createEventWorkerApp(config);
    await eventWorker.init();
    dispatcher = eventWorker.get(DeliveryDispatcher);
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    releaseFirstRun();
    await eventWorker?.close();
    await jobWorker?.close();
    await pg?.end();
  });

  it('runs exactly one follow-up for events that arrive during a run, and processes them all', async () => {
    const projectId = await insertProject(pg);
    const first = await insertDelivery(pg, projectId);
    const pageId = first.entityId;
    expect(await dispatcher.dispatchMany([first.deliveryId])).toEqual(['enqueued']);
    await waitFor(() => runs.length === 1, { what: 'the first run to start' });

    // Three more edits of the same page while the first run is busy fetching.
    const later: Array<{ deliveryId: string }> = [];
    for (let i = 0; i < 3; i++) {
      const d = await insertDelivery(pg, projectId, { entityId: pageId });
      expect(await dispatcher.dispatchMany([d.deliveryId])).toEqual(['enqueued']);
      later.push(d);
    }
    releaseFirstRun();

    await waitFor(
      async () =>
        (await Promise.all(later.map((d) => deliveryStatus(pg, d.deliveryId)))).every((s) => s === 'processed'),
      {
        what: 'the later deliveries to be processed by the follow-up',
      },
    );
    expect(await deliveryStatus(pg, first.deliveryId)).toBe('processed');
    expect(runs.map((r) => r.pageId)).toEqual([pageId, pageId]);
  });
});
