import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { BusEvent, JobName, QueueName, type NotionWebhooksReceivedEvent } from '@app/contracts';
import { EventBus, PrefixedRedisClient, redisClientOptions, redisConnectionOptions } from '@app/messaging';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { testConfig, testEnv } from './jest/test-env.js';

/**
 * The plan's step 1.5, in one process: the gateway's Redis client emits
 * `notion.webhooks.received`, the event-worker's handler claims the delivery
 * and enqueues its job, and the job-worker runs it and marks the delivery
 * processed.
 */
describe('event bus and task queue round trip', () => {
  // No relay during this suite: only the transport may move a delivery here.
  const config = testConfig({ RELAY_RECEIVED_GRACE_MS: '3600000' });
  const apps: INestApplication[] = [];
  let bus: EventBus;
  let queue: Queue;
  let pg: Client;
  let projectId: string;

  beforeAll(async () => {
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
    projectId = await insertProject(pg);
    const eventWorker = await createEventWorkerApp(config);
    await eventWorker.startAllMicroservices();
    await eventWorker.init();
    const jobWorker = await createJobWorkerApp(config);
    await jobWorker.init();
    const gateway = await createGatewayApp(config);
    await gateway.init();
    apps.push(gateway, eventWorker, jobWorker);
    bus = gateway.get(EventBus);
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
  });

  /**
   * The gateway's emit, taken by Redis. Its transport connects in the
   * background at boot and refuses a publish (no offline queue) until the
   * connection is ready, which on a busy CI machine can be after the first
   * test starts: publish again until Redis takes it. Deliveries are
   * dispatched once whatever the number of signals (a lease per delivery).
   */
  const publish = async (payload: NotionWebhooksReceivedEvent) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await bus.emitAndWait(BusEvent.NotionWebhooksReceived, payload);
      } catch (err) {
        if (attempt === 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  afterAll(async () => {
    await queue?.close();
    for (const app of apps) await app.close();
    await pg?.end();
  });

  it('delivers a gateway emit to the event-worker, whose job the job-worker runs to completion', async () => {
    const { deliveryId, entityId, correlationId } = await insertDelivery(pg, projectId);
    await publish({ deliveries: [{ deliveryId, projectId, correlationId }] });

    await waitFor(async () => (await deliveryStatus(pg, deliveryId)) === 'processed', {
      what: 'the delivery to be processed',
    });
    const job = (await queue.getJobs(['completed'])).find((j) => j.data.pageId === entityId);
    expect(job?.name).toBe(JobName.SyncPage);
    expect(job?.data).toEqual({ projectId, pageId: entityId, correlationId });
    expect(job?.returnvalue).toMatchObject({ processedDeliveries: 1 });
  });

  it('dispatches every delivery of a coalesced signal, beside ids that lead nowhere', async () => {
    const sent = [await insertDelivery(pg, projectId), await insertDelivery(pg, projectId)];
    await publish({
      deliveries: [
        sent[0]!,
        { deliveryId: 'not-a-uuid', correlationId: 'c' },
        { deliveryId: randomUUID(), correlationId: 'c' },
        sent[1]!,
      ].map(({ deliveryId, correlationId }) => ({ deliveryId, projectId, correlationId })),
    });
    for (const { deliveryId } of sent) {
      await waitFor(async () => (await deliveryStatus(pg, deliveryId)) === 'processed', {
        what: 'each delivery of the signal to be processed',
      });
    }
  });

  it('records an event no job handles as ignored, with the reason', async () => {
    const { deliveryId, correlationId } = await insertDelivery(pg, projectId, {
      type: 'comment.created',
      entityType: 'comment',
    });
    await publish({ deliveries: [{ deliveryId, projectId, correlationId }] });
    await waitFor(async () => (await deliveryStatus(pg, deliveryId)) === 'ignored');
    const { rows } = await pg.query('SELECT reason FROM webhook_deliveries WHERE id = $1', [deliveryId]);
    expect(rows[0].reason).toBe('no job handles comment.created events');
  });

  it('does not hear events published under another channel prefix', async () => {
    // Published first, on the same Redis: if prefixes did not separate runs,
    // the worker would handle it before the event below.
    const stray = await insertDelivery(pg, projectId);
    const foreign = new PrefixedRedisClient(`other-${randomUUID()}:`, redisClientOptions(config));
    await foreign.connect();
    await new Promise<void>((resolve, reject) =>
      foreign
        .emit(BusEvent.NotionWebhooksReceived, {
          deliveries: [{ deliveryId: stray.deliveryId, projectId, correlationId: stray.correlationId }],
        })
        .subscribe({ complete: resolve, error: reject }),
    );
    await foreign.close();

    const sent = await insertDelivery(pg, projectId);
    await publish({
      deliveries: [{ deliveryId: sent.deliveryId, projectId, correlationId: sent.correlationId }],
    });
    await waitFor(async () => (await deliveryStatus(pg, sent.deliveryId)) === 'processed');
    expect(await deliveryStatus(pg, stray.deliveryId)).toBe('received');
  });
});
