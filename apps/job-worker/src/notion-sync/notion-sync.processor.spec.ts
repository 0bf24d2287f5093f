import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { APIErrorCode, APIResponseError } from '@notionhq/client';
import { DelayedError, type Job } from 'bullmq';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import type { NotionEventHandlerRegistry } from '@app/extensions';
import type { DeadLetters } from '@app/dead-letters';
import type { InboxService } from '@app/inbox';
import type { JobQueue, PageFetchWindow } from '@app/messaging';
import { NotionRateLimitedError } from '@app/notion';
import { Metrics } from '@app/observability';
import { FullSyncBusyError, type ContentSync, type ProjectSyncStore, type SyncEngine } from '@app/sync';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionRefusedError, NotionSyncProcessor, UnknownJobError } from './notion-sync.processor.js';
import type { SyncSchedulers } from './sync-schedulers.js';

// Every job carries a correlation id (the contracts' JobItem guard checks each field).
const job = (name: string, data: object) => ({ name, data: { correlationId: 'c', ...data } }) as Job;
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
/** A page fetch window that is always closed: every page job may fetch. */
const noWindow = { claim: async () => 0 } as unknown as PageFetchWindow;
const processorWith = (
  e: SyncEngine,
  metrics = new Metrics('test', { defaultMetrics: false }),
  deps: {
    inbox?: InboxService;
    state?: ProjectSyncStore;
    letters?: DeadLetters;
    schedulers?: SyncSchedulers;
    pageFetches?: PageFetchWindow;
  } = {},
) =>
  new NotionSyncProcessor(
    loadConfig({}),
    new NotionSyncHandlers(
      inboxFake,
      registry,
      e,
      deps.schedulers ?? ({} as SyncSchedulers),
      {} as ContentSync,
      {} as JobQueue,
    ),
    deps.inbox ?? inboxFake,
    deps.state ?? syncState,
    deps.letters ?? deadLetters,
    metrics,
    deps.schedulers ?? ({} as SyncSchedulers),
    deps.pageFetches ?? noWindow,
  );

/** Records every call to the processor's collaborators, by name. */
const recorder = (halts = true) => {
  const calls: unknown[][] = [];
  const record =
    (name: string, result?: unknown) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return result;
    };
  return {
    calls,
    deps: {
      inbox: { markFailedFor: record('markFailedFor', []) } as unknown as InboxService,
      state: {
        failed: record('failed'),
        fullSyncFailed: record('fullSyncFailed'),
        tokenRejected: record('tokenRejected', halts),
      } as unknown as ProjectSyncStore,
      letters: { record: record('deadLetter') } as unknown as DeadLetters,
      schedulers: { remove: record('removeSchedulers') } as unknown as SyncSchedulers,
    },
  };
};

const notionRefused = (status: number, code: APIErrorCode) =>
  new APIResponseError({
    code,
    status,
    message: `${code} from Notion`,
    headers: {},
    rawBodyText: '',
    additional_data: undefined,
    request_id: 'r',
  });

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

  it('delays a full sync that must wait for a run holding the lock, without spending an attempt', async () => {
    const busy = {
      full: async () => {
        throw new FullSyncBusyError(10_000);
      },
    } as unknown as SyncEngine;
    const moves: unknown[][] = [];
    const waiting = {
      ...job(JobName.FullSync, { projectId: 'p', correlationId: 'c' }),
      id: '9',
      moveToDelayed: async (...args: unknown[]) => void moves.push(args),
    } as unknown as Job;
    const metrics = new Metrics('test', { defaultMetrics: false });
    const before = Date.now();
    await expect(processorWith(busy, metrics).process(waiting, 'lock-token')).rejects.toBeInstanceOf(DelayedError);
    const after = Date.now();
    expect(moves).toEqual([[expect.any(Number), 'lock-token']]);
    const until = moves[0]![0] as number;
    expect(until).toBeGreaterThanOrEqual(before + 10_000);
    expect(until).toBeLessThanOrEqual(after + 10_000);
    const jobs = (await metrics.jobs.get()).values.map((v) => ({ ...v.labels, value: v.value }));
    expect(jobs).toEqual([{ name: JobName.FullSync, outcome: 'delayed', value: 1 }]);
  });

  describe('the page fetch window', () => {
    const data = { projectId: 'p', pageId: 'pg', correlationId: 'c' };
    const pageJob = (moves: unknown[][]) =>
      ({
        ...job(JobName.SyncPage, data),
        id: '7',
        moveToDelayed: async (...args: unknown[]) => void moves.push(args),
      }) as unknown as Job;
    const window = (waitMs: number, claims: unknown[][]) =>
      ({
        claim: async (...args: unknown[]) => {
          claims.push(args);
          return waitMs;
        },
      }) as unknown as PageFetchWindow;

    it('fetches at once when no other job fetched the page within the window', async () => {
      const { fake, calls } = engine();
      const claims: unknown[][] = [];
      const moves: unknown[][] = [];
      const processor = processorWith(fake, undefined, { pageFetches: window(0, claims) });
      await expect(processor.process(pageJob(moves), 'lock-token')).resolves.toEqual({ processedDeliveries: 2 });
      expect(claims).toEqual([['p', 'pg', '7', 'page']]);
      expect(moves).toEqual([]);
      expect(calls).toEqual([['syncPage', 'p', 'pg', 'c']]);
    });

    it("delays the job to the end of another job's open window, without fetching", async () => {
      const { fake, calls } = engine();
      const moves: unknown[][] = [];
      const processor = processorWith(fake, undefined, { pageFetches: window(1500, []) });
      const before = Date.now();
      await expect(processor.process(pageJob(moves), 'lock-token')).rejects.toBeInstanceOf(DelayedError);
      const after = Date.now();
      expect(calls).toEqual([]);
      expect(moves).toEqual([[expect.any(Number), 'lock-token']]);
      const until = moves[0]![0] as number;
      expect(until).toBeGreaterThanOrEqual(before + 1500);
      expect(until).toBeLessThanOrEqual(after + 1500);
    });
  });

  it('counts the jobs its stall check moved back to wait', async () => {
    const metrics = new Metrics('test', { defaultMetrics: false });
    const processor = processorWith(engine().fake, metrics);
    Logger.overrideLogger(false);
    try {
      processor.onStalled('41');
      processor.onStalled('42');
    } finally {
      Logger.overrideLogger(true);
    }
    expect((await metrics.jobStalls.get()).values.map((v) => v.value)).toEqual([2]);
  });

  it('has a handler for every job name in the contracts', () => {
    const handlers = new NotionSyncHandlers(
      inboxFake,
      registry,
      engine().fake,
      {} as SyncSchedulers,
      {} as ContentSync,
      {} as JobQueue,
    );
    for (const name of Object.values(JobName)) expect(typeof handlers[name]).toBe('function');
  });

  it("removes a deleted project's schedulers when the engine reports it gone, and only then", async () => {
    const removed: string[] = [];
    const schedulers = { remove: async (projectId: string) => void removed.push(projectId) } as SyncSchedulers;
    const gone = { processedDeliveries: 0, skipped: 'project deleted', projectDeleted: true as const };
    const fake = {
      syncPage: async () => gone,
      incremental: async () => ({ processedDeliveries: 1 }),
      full: async () => gone,
    } as unknown as SyncEngine;
    const handlers = new NotionSyncHandlers(inboxFake, registry, fake, schedulers, {} as ContentSync, {} as JobQueue);
    const correlationId = 'c';
    expect(await handlers[JobName.SyncPage]({ projectId: 'p1', pageId: 'x', correlationId })).toEqual({
      processedDeliveries: 0,
      skipped: 'project deleted',
    });
    await handlers[JobName.SyncDatabase]({ projectId: 'p2', entityId: 'd', correlationId });
    await handlers[JobName.FullSync]({ projectId: 'p3', correlationId });
    expect(removed).toEqual(['p1', 'p3']);
  });

  describe('a job that fails for good', () => {
    const quietly = async (work: () => Promise<void>) => {
      Logger.overrideLogger(false);
      try {
        await work();
      } finally {
        Logger.overrideLogger(true);
      }
    };

    it('is a dead letter for its page only when it is a page job: the project stays out of error', async () => {
      const { calls, deps } = recorder();
      const processor = processorWith(engine().fake, undefined, deps);
      const data = { projectId: 'p', pageId: 'pg', correlationId: 'c' };
      await quietly(() =>
        processor.onFailed(
          { ...job(JobName.SyncPage, data), id: '7', finishedOn: Date.now(), attemptsMade: 8 } as Job,
          new Error('Notion failed to answer (500 internal_server_error: planted text)'),
        ),
      );
      expect(calls.map((c) => c[0])).toEqual(['markFailedFor', 'deadLetter']);
    });

    it('leaves only its log line for a job whose record is not a job of this version', async () => {
      const { calls, deps } = recorder();
      const processor = processorWith(engine().fake, undefined, deps);
      await quietly(() =>
        processor.onFailed(
          { name: 'sync-page', data: { projectId: 'p' }, id: '9', finishedOn: Date.now() } as Job,
          new Error('unknown job'),
        ),
      );
      expect(calls).toEqual([]);
    });

    it('puts the project in error when it is about the whole project (full or incremental sync)', async () => {
      // A full sync's failure also answers the requests before it (fullSyncFailed), begun or not.
      // An incremental sync is about a database entity: its deliveries end failed too.
      for (const [name, recorded, before] of [
        [JobName.FullSync, 'fullSyncFailed', []],
        [JobName.SyncDatabase, 'failed', ['markFailedFor']],
      ] as const) {
        const { calls, deps } = recorder();
        const processor = processorWith(engine().fake, undefined, deps);
        await quietly(() =>
          processor.onFailed(
            { ...job(name, { projectId: 'p', entityId: 'd' }), id: '8', finishedOn: Date.now() } as Job,
            new Error('Notion listed no data source'),
          ),
        );
        expect(calls.map((c) => c[0])).toEqual([...before, 'deadLetter', recorded]);
        expect(calls.find((c) => c[0] === recorded)).toEqual([recorded, 'p', 'Notion listed no data source']);
      }
    });
  });

  describe('Notion refusing the project', () => {
    const failing = (err: unknown) =>
      ({
        syncPage: async () => {
          throw err;
        },
        incremental: async () => {
          throw err;
        },
      }) as unknown as SyncEngine;
    const started = Date.UTC(2026, 0, 2, 3, 4, 5);

    it('stops the scheduled syncs when Notion rejects the token, from any sync job', async () => {
      for (const name of [JobName.SyncPage, JobName.SyncDatabase]) {
        const { calls, deps } = recorder();
        const processor = processorWith(failing(notionRefused(401, APIErrorCode.Unauthorized)), undefined, deps);
        Logger.overrideLogger(false);
        try {
          const attempt = { ...job(name, { projectId: 'p', pageId: 'x', entityId: 'x' }), processedOn: started };
          await expect(processor.process(attempt as Job, 'lock')).rejects.toBeInstanceOf(NotionRefusedError);
        } finally {
          Logger.overrideLogger(true);
        }
        expect(calls).toEqual([
          ['tokenRejected', 'p', 'Notion rejected the integration token', new Date(started)],
          ['removeSchedulers', 'p'],
        ]);
      }
    });

    it('leaves the schedules to a request made while the job ran', async () => {
      const { calls, deps } = recorder(false);
      const processor = processorWith(failing(notionRefused(401, APIErrorCode.Unauthorized)), undefined, deps);
      const attempt = { ...job(JobName.SyncDatabase, { projectId: 'p', entityId: 'd' }), processedOn: started };
      await expect(processor.process(attempt as Job, 'lock')).rejects.toBeInstanceOf(NotionRefusedError);
      expect(calls.map((c) => c[0])).toEqual(['tokenRejected']);
    });

    it('puts the project in error for a database not shared, but not for a page job', async () => {
      const notShared = notionRefused(404, APIErrorCode.ObjectNotFound);
      const database = recorder();
      await expect(
        processorWith(failing(notShared), undefined, database.deps).process(
          job(JobName.SyncDatabase, { projectId: 'p', entityId: 'd' }),
          'lock',
        ),
      ).rejects.toBeInstanceOf(NotionRefusedError);
      expect(database.calls).toEqual([['failed', 'p', 'The database is not shared with the integration']]);

      const page = recorder();
      await expect(
        processorWith(failing(notShared), undefined, page.deps).process(
          job(JobName.SyncPage, { projectId: 'p', pageId: 'x' }),
          'lock',
        ),
      ).rejects.toBeInstanceOf(NotionRefusedError);
      expect(page.calls).toEqual([]);
    });
  });
});
