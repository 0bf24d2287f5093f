import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { JobName } from '@app/contracts';
import type { NotionEventHandlerRegistry } from '@app/extensions';
import { DeliveryStatus, type ClaimedDelivery, type InboxService } from '@app/inbox';
import type { JobQueue, PageFetchWindow } from '@app/messaging';
import { Metrics } from '@app/observability';
import { DeliveryDispatcher } from './delivery-dispatcher.js';

const delivery = (id: string, eventType = 'page.properties_updated', entityId: string | null = `page-${id}`) =>
  ({
    id,
    projectId: 'p',
    eventType,
    entityId,
    entityType: 'page',
    correlationId: `corr-${id}`,
    status: DeliveryStatus.Received,
  }) satisfies ClaimedDelivery;

/** Collaborators that record every call, by name; `claimable` is what the inbox would let this replica claim. */
const world = (
  claimable: ClaimedDelivery[],
  opts: {
    failAddFor?: string;
    failMark?: 'markEnqueuedMany' | 'markIgnoredMany';
    failClaim?: boolean;
    handlers?: Record<string, string[]>;
    delays?: Record<string, number>;
  } = {},
) => {
  const calls: unknown[][] = [];
  const inbox = {
    claimMany: async (ids: readonly string[], owner: string) => {
      calls.push(['claimMany', [...ids], owner]);
      if (opts.failClaim) throw new Error('Postgres is gone');
      return claimable.filter((d) => ids.includes(d.id));
    },
    markEnqueuedMany: async (ids: readonly string[]) => {
      calls.push(['markEnqueuedMany', [...ids]]);
      if (opts.failMark === 'markEnqueuedMany') throw new Error('mark failed');
    },
    markIgnoredMany: async (marks: readonly { id: string; reason: string }[]) => {
      calls.push(['markIgnoredMany', [...marks]]);
      if (opts.failMark === 'markIgnoredMany') throw new Error('mark failed');
    },
    markAwaitingHandlers: async (id: string, _owner: string, n: number) => void calls.push(['awaitHandlers', id, n]),
    release: async (id: string) => void calls.push(['release', id]),
  } as unknown as InboxService;
  const jobs = {
    add: async (name: JobName, data: unknown, jobOpts: unknown) => {
      calls.push(['add', name, data, jobOpts]);
      return 'handler-job';
    },
    addDeduplicated: async (name: JobName, data: { pageId?: string; entityId?: string }, delayMs = 0) => {
      calls.push(['addDeduplicated', name, data, delayMs]);
      const entity = data.pageId ?? data.entityId;
      if (entity === opts.failAddFor) throw new Error('Redis did not take the job');
      return `job-${entity}`;
    },
  } as unknown as JobQueue;
  const pageFetches = {
    delayFor: async (_projectId: string, pageId: string, kind = 'page') =>
      opts.delays?.[kind === 'page' ? pageId : `${kind}:${pageId}`] ?? 0,
  } as unknown as PageFetchWindow;
  const extensions = {
    handlersFor: (type: string) => opts.handlers?.[type] ?? [],
  } as unknown as NotionEventHandlerRegistry;
  const metrics = new Metrics('test', { defaultMetrics: false });
  const dispatcher = new DeliveryDispatcher(loadConfig({}), inbox, jobs, pageFetches, extensions, metrics);
  const counted = async () =>
    Object.fromEntries(
      (await metrics.dispatches.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.outcome, v.value]),
    );
  const named = (name: string) => calls.filter((c) => c[0] === name);
  return { dispatcher, calls, named, counted };
};

describe('DeliveryDispatcher.dispatchMany', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('claims the batch once, adds each job, marks the enqueued ones in one write, and counts each outcome', async () => {
    const { dispatcher, named, counted } = world([delivery('a'), delivery('b')]);
    // `c` is another replica's (or done); `a` is listed twice.
    expect(await dispatcher.dispatchMany(['a', 'b', 'c', 'a'])).toEqual(['enqueued', 'enqueued', 'skipped', 'skipped']);
    expect(named('claimMany')).toEqual([['claimMany', ['a', 'b', 'c'], dispatcher.owner]]);
    expect(named('addDeduplicated').map((c) => c[2])).toEqual([
      { projectId: 'p', pageId: 'page-a', correlationId: 'corr-a' },
      { projectId: 'p', pageId: 'page-b', correlationId: 'corr-b' },
    ]);
    expect(named('markEnqueuedMany')).toEqual([['markEnqueuedMany', ['a', 'b']]]);
    expect(named('release')).toEqual([]);
    expect(await counted()).toEqual({ enqueued: 2, skipped: 2 });
  });

  it("releases only the delivery whose add failed, for the relay, and marks the others' enqueued", async () => {
    const { dispatcher, named, counted } = world([delivery('a'), delivery('b'), delivery('c')], {
      failAddFor: 'page-b',
    });
    expect(await dispatcher.dispatchMany(['a', 'b', 'c'])).toEqual(['enqueued', 'failed', 'enqueued']);
    expect(named('release')).toEqual([['release', 'b']]);
    expect(named('markEnqueuedMany')).toEqual([['markEnqueuedMany', ['a', 'c']]]);
    expect(await counted()).toEqual({ enqueued: 2, failed: 1 });
  });

  it('gives a page job what is left of its fetch window as delay, and a database job none', async () => {
    const { dispatcher, named } = world([delivery('a'), delivery('d', 'database.schema_updated', 'db-1')], {
      delays: { 'page-a': 1500 },
    });
    await dispatcher.dispatchMany(['a', 'd']);
    // Added concurrently: the page's add comes after its window is read.
    expect(Object.fromEntries(named('addDeduplicated').map((c) => [c[1], c[3]]))).toEqual({
      [JobName.SyncPage]: 1500,
      [JobName.SyncDatabase]: 0,
    });
  });

  it("adds a body's job beside the page job for page.content_updated, with its own window's delay", async () => {
    const { dispatcher, named } = world(
      [delivery('a', 'page.content_updated'), delivery('b', 'page.created'), delivery('c')],
      { delays: { 'page-a': 700, 'content:page-a': 1200 } },
    );
    expect(await dispatcher.dispatchMany(['a', 'b', 'c'])).toEqual(['enqueued', 'enqueued', 'enqueued']);
    // page.created's body is asked for by its page job, once it knows the page is the database's.
    expect(named('addDeduplicated').map((c) => [c[1], (c[2] as { pageId: string }).pageId, c[3]])).toEqual([
      [JobName.SyncPage, 'page-a', 700],
      [JobName.SyncPage, 'page-b', 0],
      [JobName.SyncPage, 'page-c', 0],
      [JobName.SyncPageContent, 'page-a', 1200],
    ]);
    expect(named('markEnqueuedMany')).toEqual([['markEnqueuedMany', ['a', 'b', 'c']]]);
  });

  it('marks ignored routes in one write with their reasons, and a handler-only delivery as awaiting its handlers', async () => {
    const { dispatcher, named, counted } = world(
      [
        delivery('a'),
        delivery('i', 'comment.created'),
        delivery('n', 'page.created', null),
        delivery('h', 'comment.deleted'),
      ],
      { handlers: { 'comment.deleted': ['Mine.onDelete'], 'page.properties_updated': ['Mine.onPage'] } },
    );
    expect(await dispatcher.dispatchMany(['a', 'i', 'n', 'h'])).toEqual(['enqueued', 'ignored', 'ignored', 'enqueued']);
    expect(named('markIgnoredMany')).toEqual([
      [
        'markIgnoredMany',
        [
          { id: 'i', reason: 'no job handles comment.created events' },
          { id: 'n', reason: 'page.created event names no entity' },
        ],
      ],
    ]);
    expect(named('awaitHandlers')).toEqual([['awaitHandlers', 'h', 1]]);
    expect(named('markEnqueuedMany')).toEqual([['markEnqueuedMany', ['a']]]);
    // Handler jobs, with ids fixed by delivery and handler, for both.
    expect(named('add').map((c) => [c[1], (c[2] as { deliveryId: string }).deliveryId, c[3]])).toEqual([
      [JobName.RunEventHandler, 'a', { jobId: expect.stringMatching(/^handler-a-[0-9a-f]{16}$/) }],
      [JobName.RunEventHandler, 'h', { jobId: expect.stringMatching(/^handler-h-[0-9a-f]{16}$/) }],
    ]);
    expect(await counted()).toEqual({ enqueued: 2, ignored: 2 });
  });

  it('releases each delivery of a mark that failed, and the other mark stands', async () => {
    const { dispatcher, named, counted } = world([delivery('a'), delivery('b'), delivery('i', 'comment.created')], {
      failMark: 'markEnqueuedMany',
    });
    expect(await dispatcher.dispatchMany(['a', 'b', 'i'])).toEqual(['failed', 'failed', 'ignored']);
    expect(named('release').map((c) => c[1])).toEqual(['a', 'b']);
    expect(await counted()).toEqual({ failed: 2, ignored: 1 });
  });

  it('rejects when the claim fails, adding nothing and counting every id failed', async () => {
    const { dispatcher, named, counted } = world([delivery('a')], { failClaim: true });
    await expect(dispatcher.dispatchMany(['a', 'b'])).rejects.toThrow('Postgres is gone');
    expect(named('addDeduplicated')).toEqual([]);
    expect(await counted()).toEqual({ failed: 2 });
  });

  it('asks nothing of the inbox for an empty batch', async () => {
    const { dispatcher, calls } = world([]);
    expect(await dispatcher.dispatchMany([])).toEqual([]);
    expect(calls).toEqual([]);
  });
});
