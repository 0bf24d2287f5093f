import { describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor, UnknownJobError } from './notion-sync.processor.js';

const job = (name: string, data: unknown) => ({ name, data }) as Job;

describe('NotionSyncProcessor', () => {
  const processor = new NotionSyncProcessor(loadConfig({}), new NotionSyncHandlers());

  it('runs the handler named by the job', async () => {
    const data = { projectId: 'p', pageId: 'pg', deliveryIds: ['d1', 'd2'], correlationId: 'c' };
    await expect(processor.process(job(JobName.SyncPage, data))).resolves.toEqual({ deliveryIds: ['d1', 'd2'] });
  });

  it('fails a job with an unknown name with a retryable error (a newer worker may know it)', async () => {
    const failure = processor.process(job('no-such-job', {}));
    await expect(failure).rejects.toBeInstanceOf(UnknownJobError);
    await expect(failure).rejects.not.toHaveProperty('name', 'UnrecoverableError');
  });

  it('has a handler for every job name in the contracts', () => {
    const handlers = new NotionSyncHandlers();
    for (const name of Object.values(JobName)) expect(typeof handlers[name]).toBe('function');
  });
});
