import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { QueueName } from '@app/contracts';
import { OnNotionEvent, type NotionEventContext } from '@app/extensions';
import { redisConnectionOptions } from '@app/messaging';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { DeliveryDispatcher } from '../apps/event-worker/src/notion-events/delivery-dispatcher.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { testConfig, testEnv } from './jest/test-env.js';

const seen: NotionEventContext[] = [];
let failingCalls = 0;
let fragileCalls = 0;

/** What a developer's extension module looks like. */
@Injectable()
class CommentNotifier {
  @OnNotionEvent('comment.created')
  async onComment(event: NotionEventContext): Promise<void> {
    seen.push(event);
  }

  @OnNotionEvent('comment.deleted')
  async fragile(): Promise<void> {
    fragileCalls++;
    throw new Error('cannot handle deletions');
  }

  @OnNotionEvent('page.*')
  async alwaysFails(): Promise<void> {
    failingCalls++;
    throw new Error('the notifier is down');
  }
}

@Module({ providers: [CommentNotifier] })
class CommentNotifierModule {}

/**
 * `@OnNotionEvent()` handlers run as jobs of their own, next to the sync. The
 * module is handed to the apps in process, bypassing libs/installed-extensions;
 * extension-documented-path.e2e-spec.ts registers one the way the README says.
 */
describe('extension handlers', () => {
  const config = testConfig({ RELAY_RECEIVED_GRACE_MS: '3600000', JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '10' });
  const apps: INestApplication[] = [];
  let dispatcher: DeliveryDispatcher;
  let queue: Queue;
  let pg: Client;

  beforeAll(async () => {
    const eventWorker = await createEventWorkerApp(config, [CommentNotifierModule]);
    await eventWorker.init();
    const jobWorker = await createJobWorkerApp(config, [CommentNotifierModule]);
    await jobWorker.init();
    apps.push(eventWorker, jobWorker);
    dispatcher = eventWorker.get(DeliveryDispatcher);
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await queue?.close();
    for (const app of apps) await app.close();
    await pg?.end();
  });

  it('runs a handler for an event no sync job covers, then marks the delivery processed', async () => {
    const projectId = await insertProject(pg);
    const d = await insertDelivery(pg, projectId, { type: 'comment.created', entityType: 'comment' });
    expect(await dispatcher.dispatchMany([d.deliveryId])).toEqual(['enqueued']);
    await waitFor(async () => (await deliveryStatus(pg, d.deliveryId)) === 'processed');
    expect(seen).toEqual([
      expect.objectContaining({
        deliveryId: d.deliveryId,
        projectId,
        eventType: 'comment.created',
        entity: { id: d.entityId, type: 'comment' },
        correlationId: d.correlationId,
      }),
    ]);
    expect(seen[0]!.payload).toMatchObject({ type: 'comment.created' });
  });

  it('fails a delivery only handlers cover when one gives up, with the reason, and touches nothing else', async () => {
    const projectId = await insertProject(pg);
    const bystander = await insertDelivery(pg, projectId, { type: 'page.created' });
    const d = await insertDelivery(pg, projectId, { type: 'comment.deleted', entityType: 'comment' });
    await dispatcher.dispatchMany([d.deliveryId]);
    await waitFor(async () => (await deliveryStatus(pg, d.deliveryId)) === 'failed', { what: 'the delivery to fail' });
    const { rows } = await pg.query('SELECT reason FROM webhook_deliveries WHERE id = $1', [d.deliveryId]);
    expect(rows[0].reason).toBe('run-event-handler failed: cannot handle deletions');
    expect(fragileCalls).toBe(2);
    expect(await deliveryStatus(pg, bystander.deliveryId)).toBe('received');
  });

  it('does not let a failing handler hold back the sync; its job ends failed with the reason', async () => {
    const projectId = await insertProject(pg);
    const d = await insertDelivery(pg, projectId, { type: 'page.created' });
    await dispatcher.dispatchMany([d.deliveryId]);
    await waitFor(async () => (await deliveryStatus(pg, d.deliveryId)) === 'processed', {
      what: 'the sync to process it',
    });
    const failed = await waitFor(
      async () => (await queue.getJobs(['failed'])).find((j) => j.data.deliveryId === d.deliveryId),
      { what: 'the handler job to fail for good' },
    );
    expect(failed.failedReason).toBe('the notifier is down');
    expect(failingCalls).toBe(2);
    expect(await deliveryStatus(pg, d.deliveryId)).toBe('processed');
  });
});
