import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { JobName, QueueName } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { FakeNotion, waitFor, type AppProcess } from '@app/testing';
import { bindNotionDatabase, type ApiCall, type BoundProject } from './jest/api-client.js';
import { testEnv } from './jest/test-env.js';
import { startThreeApps } from './jest/three-apps.js';

/**
 * The per-page fetch window with its default length (PAGE_FETCH_WINDOW_MS
 * unset), the three built apps against the fake Notion: the first event for a
 * page is fetched at once, and the events of the window after it leave one
 * trailing fetch, so a burst of edits costs two fetches, not one per event.
 */
describe('per-page fetch window (three apps, fake Notion)', () => {
  const notion = new FakeNotion();
  const env = testEnv();
  const config = loadConfig(env);
  const apps: AppProcess[] = [];
  let pg: Client;
  let queue: Queue;
  let call: ApiCall;
  let p: BoundProject<Array<{ id: string }>>;

  const pageFetches = (pageId: string) =>
    notion.requests.filter((r) => r.method === 'GET' && r.path === `/v1/pages/${pageId}`);
  const deliveries = async (pageId: string) =>
    (
      await pg.query<{ status: string }>(
        'SELECT status FROM webhook_deliveries WHERE project_id = $1 AND entity_id = $2',
        [p.id, pageId],
      )
    ).rows.map((r) => r.status);
  /** The page's sync-page jobs once none is left to run, oldest first. */
  const settledJobs = (pageId: string) =>
    waitFor(
      async () => {
        const inFlight = await queue.getJobs(['active', 'waiting', 'prioritized', 'delayed']);
        if (inFlight.some((j) => j.data.pageId === pageId)) return undefined;
        const done = (await queue.getJobs(['completed'])).filter(
          (j) => j.name === JobName.SyncPage && j.data.pageId === pageId,
        );
        return done.length > 0 && done.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
      },
      { what: `the jobs of page ${pageId} to settle` },
    );
  /** Whether BullMQ held the job back at any point: added with a delay, or moved to delayed. */
  const wasDelayed = (job: Job) => job.delay > 0 || (job.opts.delay ?? 0) > 0;

  beforeAll(async () => {
    await notion.start();
    const started = await startThreeApps(config, notion.url);
    apps.push(...started.apps);
    call = started.call;
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
    p = await bindNotionDatabase(notion, call, ['Tasks'], ([ds]) => notion.addPages(ds!, 3));
    await waitFor(
      async () => {
        const { sync } = (await call('GET', `/projects/${p.id}`)).body;
        return sync.status === 'idle' && sync.pageCount === 3;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the first full sync' },
    );
  }, 90_000);

  afterAll(async () => {
    await queue?.close();
    await pg?.end();
    const exits = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 60_000);

  it('is the default window of 2 s', () => {
    expect(config.sync.pageFetchWindowMs).toBe(2000);
  });

  it('fetches a page twice for 50 edits within two seconds, ends on the last edit, and processes every delivery', async () => {
    const target = p.seeded[0]!;
    expect(pageFetches(target.id)).toHaveLength(0);
    // Ten rounds of five, each round answered before the next: spread over
    // the window, so without it the worker would fetch again after every
    // fetch, and well inside two seconds even on a loaded machine.
    const sent = Date.now();
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          notion.editAndNotify(target.id, { title: `Burst ${round * 5 + i + 1}` }, p.webhook),
        ),
      );
      expect(answers.flatMap((a) => a.deliveries.map((d) => d.status))).toEqual(Array(5).fill(200));
    }
    process.stdout.write(`page-fetch-window.e2e: 50 events sent in ${Date.now() - sent} ms\n`);

    await waitFor(async () => (await call('GET', `/projects/${p.id}/pages/${target.id}`)).body.title === 'Burst 50', {
      what: 'the last edit through the read API',
    });
    await waitFor(
      async () => {
        const statuses = await deliveries(target.id);
        return statuses.length === 50 && statuses.every((s) => s === 'processed');
      },
      { what: 'all 50 deliveries processed' },
    );
    const jobs = await settledJobs(target.id);
    const fetches = pageFetches(target.id);
    expect(fetches.length).toBeGreaterThanOrEqual(1);
    expect(fetches.length).toBeLessThanOrEqual(2);
    // The first event's job ran at once; a later one waited for the window's end.
    expect(wasDelayed(jobs[0]!)).toBe(false);
    expect(jobs.slice(1).map(wasDelayed)).toEqual(jobs.slice(1).map(() => true));
    expect((await call('GET', `/projects/${p.id}/pages/${target.id}`)).body.title).toBe('Burst 50');
  }, 60_000);

  it('fetches a page edited once at once: its job is never delayed', async () => {
    const target = p.seeded[1]!;
    const { deliveries: answers } = await notion.editAndNotify(target.id, { title: 'Edited once' }, p.webhook);
    expect(answers.map((d) => d.status)).toEqual([200]);
    await waitFor(async () => (await deliveries(target.id)).join() === 'processed' || undefined, {
      what: 'the delivery processed',
    });
    const jobs = await settledJobs(target.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.opts.delay ?? 0).toBe(0);
    expect(jobs[0]!.delay).toBe(0);
    expect(pageFetches(target.id)).toHaveLength(1);
    expect((await call('GET', `/projects/${p.id}/pages/${target.id}`)).body.title).toBe('Edited once');
  }, 60_000);
});
