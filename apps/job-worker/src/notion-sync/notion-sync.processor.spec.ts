import { describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import type { NotionEventHandlerRegistry } from '@app/extensions';
import type { DeadLetters } from '@app/dead-letters';
import type { InboxService } from '@app/inbox';
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
const processorWith = (e: SyncEngine) =>
  new NotionSyncProcessor(
    loadConfig({}),
    new NotionSyncHandlers(inboxFake, registry, e),
    inboxFake,
    syncState,
    deadLetters,
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

  it('has a handler for every job name in the contracts', () => {
    const handlers = new NotionSyncHandlers(inboxFake, registry, engine().fake);
    for (const name of Object.values(JobName)) expect(typeof handlers[name]).toBe('function');
  });
});
