import { describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import type { NotionEventHandlerRegistry } from '@app/extensions';
import type { InboxService } from '@app/inbox';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor, UnknownJobError } from './notion-sync.processor.js';

const job = (name: string, data: unknown) => ({ name, data }) as Job;
const registry = {} as NotionEventHandlerRegistry;
const started = new Date('2026-01-01T00:00:00Z');
/** An inbox that records what the handlers mark. */
const inbox = () => {
  const marked: unknown[][] = [];
  const fake = {
    now: async () => started,
    markProcessedFor: async (...args: unknown[]) => {
      marked.push(args);
      return ['d1', 'd2'];
    },
  } as unknown as InboxService;
  return { fake, marked };
};

describe('NotionSyncProcessor', () => {
  it('runs the handler named by the job, which marks the deliveries it covers', async () => {
    const { fake, marked } = inbox();
    const processor = new NotionSyncProcessor(loadConfig({}), new NotionSyncHandlers(fake, registry), fake);
    const data = { projectId: 'p', pageId: 'pg', correlationId: 'c' };
    await expect(processor.process(job(JobName.SyncPage, data))).resolves.toEqual({ processedDeliveries: 2 });
    expect(marked).toEqual([['p', 'pg', started]]);
  });

  it('fails a job with an unknown name with a retryable error (a newer worker may know it)', async () => {
    const processor = new NotionSyncProcessor(
      loadConfig({}),
      new NotionSyncHandlers(inbox().fake, registry),
      inbox().fake,
    );
    const failure = processor.process(job('no-such-job', {}));
    await expect(failure).rejects.toBeInstanceOf(UnknownJobError);
    await expect(failure).rejects.not.toHaveProperty('name', 'UnrecoverableError');
  });

  it('has a handler for every job name in the contracts', () => {
    const handlers = new NotionSyncHandlers(inbox().fake, registry);
    for (const name of Object.values(JobName)) expect(typeof handlers[name]).toBe('function');
  });
});
