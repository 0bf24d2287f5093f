import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { BusEvent, JobName, QueueName, type NotionWebhookReceivedEvent } from '@app/contracts';
import { EventBus, PrefixedRedisClient, redisClientOptions, redisConnectionOptions } from '@app/messaging';
import { waitFor } from '@app/testing';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { testConfig } from './jest/test-env.js';

/**
 * The plan's step 1.5, in one process: the gateway's Redis client emits
 * `notion.webhook.received`, the event-worker's handler receives it and
 * enqueues a job, and the job-worker processes that job.
 */
describe('event bus and task queue round trip', () => {
  const config = testConfig();
  const apps: INestApplication[] = [];
  let bus: EventBus;
  let queue: Queue;

  const event = (): NotionWebhookReceivedEvent => ({
    deliveryId: randomUUID(),
    projectId: randomUUID(),
    correlationId: randomUUID(),
  });
  const jobFor = async (deliveryId: string) =>
    (await queue.getJobs(['waiting', 'active', 'completed', 'failed'])).find((j) =>
      j.data.deliveryIds?.includes(deliveryId),
    );

  beforeAll(async () => {
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

  afterAll(async () => {
    await queue?.close();
    for (const app of apps) await app.close();
  });

  it('delivers a gateway emit to the event-worker, whose job the job-worker completes', async () => {
    const sent = event();
    await bus.emitAndWait(BusEvent.NotionWebhookReceived, sent);

    const job = await waitFor(
      async () => {
        const found = await jobFor(sent.deliveryId);
        return found?.finishedOn ? found : undefined;
      },
      { what: 'the job for the emitted event to complete' },
    );
    expect(job.name).toBe(JobName.SyncDatabase);
    expect(job.data).toEqual({
      projectId: sent.projectId,
      deliveryIds: [sent.deliveryId],
      correlationId: sent.correlationId,
    });
    expect(job.returnvalue).toEqual({ deliveryIds: [sent.deliveryId] });
    expect(job.failedReason).toBeUndefined();
  });

  it('does not hear events published under another channel prefix', async () => {
    // Published first, on the same Redis: if prefixes did not separate runs,
    // the worker would handle it before the event below.
    const foreign = new PrefixedRedisClient(`other-${randomUUID()}:`, redisClientOptions(config));
    const stray = event();
    await foreign.connect();
    await new Promise<void>((resolve, reject) =>
      foreign.emit(BusEvent.NotionWebhookReceived, stray).subscribe({ complete: resolve, error: reject }),
    );
    await foreign.close();

    const sent = event();
    await bus.emitAndWait(BusEvent.NotionWebhookReceived, sent);
    await waitFor(async () => (await jobFor(sent.deliveryId))?.finishedOn, { what: 'the job for the local event' });
    expect(await jobFor(stray.deliveryId)).toBeUndefined();
  });
});
