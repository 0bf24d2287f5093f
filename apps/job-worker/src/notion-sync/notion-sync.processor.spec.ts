import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import type { NotionEventHandlerRegistry } from '@app/extensions';
import type { DeadLetters } from '@app/dead-letters';
import type { InboxService } from '@app/inbox';
import { NotionRateLimitedError } from '@app/notion';
import { Metrics } from '@app/observability';
import type { ProjectSyncStore } from '@app/projects';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor, UnknownJobError } from './notion-sync.processor.js';
import type { SyncEngine } from './sync-engine.js';

const job = (name: string, data: unknown) => ({ name, data }) as Job;
const registry = {} as NotionEventHandlerRegistry;
const inboxFake = {} as InboxService;
const syncState = {} as ProjectSyncStore;
const deadLetters = {} as DeadLetters;
/** An engine that records the calls the handlers make. */
const engine = () => {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return { processedDeliveries: 2 };
    };
  const fake = {
    syncPage: record('syncPage'),
    incremental: record('incremental'),
    full: record('full'),
  } as unknown as SyncEngine;
  return { fake, calls };
};
const processorWith = (e: SyncEngine, metrics = new Metrics('test', { defaultMetrics: false })) =>
  new NotionSyncProcessor(
    loadConfig({}),
    new NotionSyncHandlers(inboxFake, registry, e),
    inboxFake,
    syncState,
    deadLetters,
    metrics,
  );

describe('NotionSyncProcessor', () => {
  it('runs the sync the job names', async () => {
    const { fake, calls } = engine();
    const processor = processorWith(fake);
    await expect(
      processor.process(job(JobName.SyncPage, { projectId: 'p', pageId: 'pg', correlationId: 'c' })),
    ).resolves.toEqual({ processedDeliveries: 2 });
    await processor.process(job(JobName.SyncDatabase, { projectId: 'p', entityId: 'db', correlationId: 'c' }));
    await processor.process(job(JobName.FullSync, { projectId: 'p', correlationId: 'c' }));
    expect(calls).toEqual([
      ['syncPage', 'p', 'pg', 'c'],
      ['incremental', 'p', 'db', 'c'],
      ['full', 'p', 'c'],
    ]);
  });

  it('fails a job with an unknown name with a retryable error (a newer worker may know it)', async () => {
    const processor = processorWith(engine().fake);
    const failure = processor.process(job('no-such-job', {}));
    await expect(failure).rejects.toBeInstanceOf(UnknownJobError);
    await expect(failure).rejects.not.toHaveProperty('name', 'UnrecoverableError');
  });

  it('times every attempt by outcome and counts jobs as BullMQ settles them', async () => {
    const metrics = new Metrics('test', { defaultMetrics: false });
    const limited = {
      syncPage: async () => {
        throw new NotionRateLimitedError(5000);
      },
    } as unknown as SyncEngine;
    const data = { projectId: 'p', pageId: 'pg', correlationId: 'c' };
    Logger.overrideLogger(false);
    try {
      await processorWith(engine().fake, metrics).process(job(JobName.SyncPage, data));
      const delayedJob = { ...job(JobName.SyncPage, data), moveToDelayed: async () => undefined } as unknown as Job;
      await expect(processorWith(limited, metrics).process(delayedJob, 'lock-token')).rejects.toBeInstanceOf(
        DelayedError,
      );
      const processor = processorWith(engine().fake, metrics);
      processor.onCompleted(job(JobName.FullSync, {}));
      // finishedOn is set only when BullMQ gave up on the job.
      await processor.onFailed({ ...job(JobName.SyncDatabase, {}), finishedOn: undefined } as Job, new Error('x'));
      await processor.onFailed({ ...job(JobName.SyncDatabase, {}), finishedOn: Date.now() } as Job, new Error('x'));
    } finally {
      Logger.overrideLogger(true);
    }

    const attempts = (await metrics.jobDuration.get()).values
      .filter((v) => v.metricName?.endsWith('_count') && v.value > 0)
      .map((v) => ({ ...v.labels, value: v.value }));
    expect(attempts).toEqual([
      { name: JobName.SyncPage, outcome: 'completed', value: 1 },
      { name: JobName.SyncPage, outcome: 'delayed', value: 1 },
    ]);
    const jobs = (await metrics.jobs.get()).values.map((v) => ({ ...v.labels, value: v.value }));
    expect(jobs).toHaveLength(4);
    expect(jobs).toEqual(
      expect.arrayContaining([
        { name: JobName.SyncPage, outcome: 'delayed', value: 1 },
        { name: JobName.FullSync, outcome: 'completed', value: 1 },
        { name: JobName.SyncDatabase, outcome: 'retried', value: 1 },
        { name: JobName.SyncDatabase, outcome: 'failed', value: 1 },
      ]),
    );
  });

  it('has a handler for every job name in the contracts', () => {
    const handlers = new NotionSyncHandlers(inboxFake, registry, engine().fake);
    for (const name of Object.values(JobName)) expect(typeof handlers[name]).toBe('function');
  });
});
