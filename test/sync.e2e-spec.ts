import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { JobName, QueueName, type FullSyncJob } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { AppProcess, FakeNotion, freePort, waitFor } from '@app/testing';
import { apiUser, bindNotionDatabase, type ApiCall, type Json } from './jest/api-client.js';
import { processEnv, testEnv } from './jest/test-env.js';

/**
 * The sync engine end to end: the three built apps against the fake Notion
 * server, driven the way users and Notion drive them (the REST API, signed
 * webhooks, edits in Notion that no webhook announces).
 */
describe('sync engine (three apps, fake Notion)', () => {
  const notion = new FakeNotion();
  const env = testEnv();
  const config = loadConfig(env);
  const apps: AppProcess[] = [];
  let base: string;
  let pg: Client;
  let queue: Queue;
  let call: ApiCall;

  /**
   * A Notion database with its own integration token, bound to a new project.
   * Bodies are off: at Notion's 3 requests/s their backfill would take
   * minutes, and every body read is a change in the feed
   * (test/content.e2e-spec.ts covers bodies).
   */
  const newProject = (dataSources: string[], seed: (ids: string[]) => unknown = () => undefined) =>
    bindNotionDatabase(notion, call, dataSources, seed, { syncContent: false });

  const project = async (id: string) => (await call('GET', `/projects/${id}`)).body;
  const page = async (projectId: string, pageId: string) =>
    (await call('GET', `/projects/${projectId}/pages/${pageId}`)).body;
  const allPages = async (projectId: string, query = '') => {
    const items: Json[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(
        'GET',
        `/projects/${projectId}/pages?limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      items.push(...(res.body.items as Json[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return items;
  };
  const changesAfter = async (projectId: string, after: string) => {
    const items: Json[] = [];
    let next = after;
    for (;;) {
      const res = await call('GET', `/projects/${projectId}/changes?after=${next}&limit=1000`);
      expect(res.status).toBe(200);
      items.push(...(res.body.items as Json[]));
      next = res.body.nextAfter as string;
      if (!res.body.hasMore) return { items, next };
    }
  };
  const synced = (id: string, pageCount: number, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const p = await project(id);
        return p.sync?.status === 'idle' && p.sync.lastSyncedAt && p.sync.pageCount === pageCount ? p : undefined;
      },
      { timeoutMs, intervalMs: 250, what: `project ${id} synced with ${pageCount} pages` },
    );

  beforeAll(async () => {
    await notion.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    call = apiUser(config, base);
    const shared = {
      NOTION_API_BASE_URL: notion.url,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      SYNC_RECONCILE_INTERVAL_SECONDS: '3',
      RELAY_INTERVAL_MS: '500',
      RELAY_RECEIVED_GRACE_MS: '1000',
      JOB_BACKOFF_MS: '200',
      NOTION_MAX_RETRIES: '2',
      // Notion's own limit (the defaults), which test-env raises for other specs.
      NOTION_RATE_LIMIT_PER_SECOND: '3',
      NOTION_RATE_LIMIT_BURST: '3',
      // The spec polls the API for minutes; the per-client limits are not under test here.
      THROTTLE_LIMIT: '1000000',
      THROTTLE_IP_LIMIT: '1000000',
    };
    const workerPorts = [await freePort(), await freePort(), await freePort()];
    apps.push(AppProcess.start('api-gateway', processEnv({ ...shared, PORT: String(port) })));
    apps.push(
      AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: String(workerPorts[0]) })),
    );
    // Two job-workers: the rate limit must hold across replicas.
    for (const p of workerPorts.slice(1)) {
      apps.push(AppProcess.start('job-worker', processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: String(p) })));
    }
    await Promise.all([
      apps[0]!.waitForReady(port),
      apps[1]!.waitForReady(workerPorts[0]!),
      apps[2]!.waitForReady(workerPorts[1]!),
      apps[3]!.waitForReady(workerPorts[2]!),
    ]);
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
  }, 60_000);

  afterAll(async () => {
    await queue?.close();
    await pg?.end();
    const exits = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 60_000);

  it('says queued when created, idle with 0 pages once an empty database is imported, queued again on request', async () => {
    const p = await newProject(['Tasks']);
    expect(p.sync).toEqual({
      status: 'queued',
      lastSyncedAt: null,
      pageCount: 0,
      lastError: null,
      contentPending: 0,
      contentError: null,
    });
    const first = await synced(p.id, 0);
    expect(first.sync).toMatchObject({ status: 'idle', pageCount: 0, lastError: null });
    const requested = await call('POST', `/projects/${p.id}/sync`);
    expect(requested.status).toBe(202);
    expect(requested.body.sync).toMatchObject({ status: 'queued', lastSyncedAt: first.sync.lastSyncedAt });
    // Its run: a later lastSyncedAt, idle again.
    await waitFor(
      async () => {
        const { sync } = await project(p.id);
        return (sync.status === 'idle' && sync.lastSyncedAt > first.sync.lastSyncedAt) || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the requested sync' },
    );
  }, 60_000);

  it('runs a full sync requested while a scheduled one runs once that run ends: the request is not lost', async () => {
    const p = await newProject(['Tasks'], ([ds]) => notion.addPages(ds!, 3));
    const imported = await synced(p.id, 3);
    // Full reads of the data source (incremental syncs send a filter).
    const fullReads = () =>
      notion.requests.filter(
        (r) => r.token === p.token && r.path.endsWith('/query') && !(r.body as { filter?: unknown })?.filter,
      ).length;
    // A scheduled full sync, held at its first Notion call. A job scheduler adds
    // its jobs with no deduplication id, so a request meanwhile keeps no follow-up.
    notion.injectLatency({ path: new RegExp(`/v1/databases/${p.databaseId}$`), ms: 4000 });
    const scheduled: FullSyncJob = { projectId: p.id, correlationId: 'scheduled' };
    await queue.add(JobName.FullSync, scheduled);
    await waitFor(async () => (await project(p.id)).sync.status === 'syncing' || undefined, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the scheduled run to begin',
    });
    const readsBefore = fullReads();

    // The running sync began before this request and cannot see it.
    const requested = await call('POST', `/projects/${p.id}/sync`);
    expect(requested.status).toBe(202);
    expect(requested.body.sync.status).toBe('syncing');

    // Idle (not queued) means a run that began after the request completed.
    const after = await waitFor(
      async () => {
        const { sync } = await project(p.id);
        return sync.status === 'idle' && sync.lastSyncedAt > imported.sync.lastSyncedAt ? sync : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the requested run after the scheduled one' },
    );
    expect(after).toMatchObject({ pageCount: 3, lastError: null });
    // Two full syncs read the data source: the scheduled one and the request's own.
    expect(fullReads()).toBe(readsBefore + 2);
  }, 90_000);

  describe('a project with 250 pages in two data sources', () => {
    let p: Awaited<ReturnType<typeof newProject>>;
    let pages: Array<{ id: string }>;

    beforeAll(async () => {
      p = await newProject(['Tasks', 'Archive'], ([a, b]) => {
        pages = [
          ...notion.addPages(a!, 150, { title: (i) => `Task ${i}` }),
          ...notion.addPages(b!, 100, { title: (i) => `Archived ${i}` }),
        ];
      });
    }, 60_000);

    it('is imported when created, and the read API lists all 250', async () => {
      const view = await synced(p.id, 250);
      expect(view.sync).toMatchObject({ status: 'idle', pageCount: 250, lastError: null });
      const listed = await allPages(p.id);
      expect(listed).toHaveLength(250);
      expect(new Set(listed.map((x) => x.id))).toEqual(new Set(pages.map((x) => x.id)));
      const archived = listed.filter((x) => String(x.title).startsWith('Archived '));
      expect(archived).toHaveLength(100);
      expect(new Set(archived.map((x) => x.dataSourceId))).toEqual(new Set([p.dataSourceIds[1]]));
    }, 90_000);

    it('shows an edited page through the read API within seconds of its webhook', async () => {
      const target = pages[7]!;
      const sent = Date.now();
      const result = await notion.editAndNotify(target.id, { title: 'Edited by webhook' }, p.webhook);
      expect(result.deliveries.map((d) => d.status)).toEqual([200]);
      const seen = await waitFor(async () => (await page(p.id, target.id)).title === 'Edited by webhook' || undefined, {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'the edit through the read API',
      });
      expect(seen).toBe(true);
      // Reported, not asserted: speed belongs to bench/, deadlines here are generous.
      process.stdout.write(`sync.e2e: webhook -> read API in ${Date.now() - sent} ms\n`);
    }, 60_000);

    it('propagates a deletion and an undeletion, each reported once by the change feed', async () => {
      const target = pages[20]!;
      const { next: start } = await changesAfter(p.id, '0');

      await notion.trashAndNotify(target.id, { ...p.webhook, duplicate: true });
      const gone = await waitFor(async () => ((await page(p.id, target.id)).deletedAt as string | null) ?? undefined, {
        timeoutMs: 30_000,
        what: 'the tombstone',
      });
      expect(typeof gone).toBe('string');
      expect((await allPages(p.id)).some((x) => x.id === target.id)).toBe(false);
      expect((await allPages(p.id, '&includeDeleted=true')).some((x) => x.id === target.id)).toBe(true);
      const afterDelete = await changesAfter(p.id, start);
      expect(afterDelete.items.map((c) => [c.id, Boolean(c.deletedAt)])).toEqual([[target.id, true]]);

      await notion.restoreAndNotify(target.id, p.webhook);
      await waitFor(async () => (await page(p.id, target.id)).deletedAt === null || undefined, {
        timeoutMs: 30_000,
        what: 'the restore',
      });
      const afterRestore = await changesAfter(p.id, afterDelete.next);
      expect(afterRestore.items.map((c) => [c.id, c.deletedAt])).toEqual([[target.id, null]]);
      expect(BigInt(afterRestore.next)).toBeGreaterThan(BigInt(afterDelete.next));
      // Nothing more: the duplicate delivery and the restore each wrote once.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await changesAfter(p.id, afterRestore.next)).items).toEqual([]);
    }, 90_000);

    it('keeps the newest state when a slow, older fetch races a newer one in the same minute', async () => {
      const target = pages[30]!;
      const fetchesOfPage = () => notion.requests.filter((r) => r.path === `/v1/pages/${target.id}`).length;
      const before = fetchesOfPage();
      // The webhook's fetch takes 8 s and returns the state Notion had when it arrived...
      notion.injectLatency({ ms: 8000, pageId: target.id, count: 1 });
      await notion.editAndNotify(target.id, { title: 'Older edit' }, p.webhook);
      await waitFor(() => notion.inFlight > 0, { timeoutMs: 20_000, intervalMs: 20, what: 'the slow fetch to start' });
      // ...while a second edit in the same minute is read by a faster full sync.
      notion.editPage(target.id, { title: 'Newer edit' });
      expect((await call('POST', `/projects/${p.id}/sync`)).status).toBe(202);
      await waitFor(async () => (await page(p.id, target.id)).title === 'Newer edit' || undefined, {
        timeoutMs: 30_000,
        what: 'the newer edit',
      });
      // The race is real: the slow fetch has not answered yet (requests are logged when answered).
      expect(fetchesOfPage()).toBe(before);
      await waitFor(() => fetchesOfPage() > before || undefined, { timeoutMs: 30_000, what: 'the slow fetch' });
      await waitFor(
        async () =>
          (
            await pg.query(
              `SELECT count(*)::int AS n FROM webhook_deliveries
               WHERE project_id = $1 AND entity_id = $2 AND status IN ('received', 'enqueued')`,
              [p.id, target.id],
            )
          ).rows[0].n === 0 || undefined,
        { timeoutMs: 30_000, what: 'the slow job to finish' },
      );
      expect((await page(p.id, target.id)).title).toBe('Newer edit');
    }, 90_000);

    it('keeps the second of two edits within one minute', async () => {
      const target = pages[40]!;
      const at = new Date();
      await notion.editAndNotify(target.id, { title: 'First of the minute' }, { ...p.webhook, at });
      await waitFor(async () => (await page(p.id, target.id)).title === 'First of the minute' || undefined, {
        timeoutMs: 30_000,
        what: 'the first edit',
      });
      await notion.editAndNotify(target.id, { title: 'Second of the minute' }, { ...p.webhook, at });
      await waitFor(async () => (await page(p.id, target.id)).title === 'Second of the minute' || undefined, {
        timeoutMs: 30_000,
        what: 'the second edit, same last_edited_time',
      });
    }, 60_000);

    it('heals a webhook that was never sent, by reconciliation', async () => {
      const target = pages[50]!;
      notion.editPage(target.id, { title: 'Edited, webhook dropped' });
      await waitFor(async () => (await page(p.id, target.id)).title === 'Edited, webhook dropped' || undefined, {
        timeoutMs: 30_000,
        what: 'reconciliation to pick up the edit',
      });
    }, 60_000);
  });

  it('imports a database of 12,000 rows completely (past the 10,000-row query cap)', async () => {
    const p = await newProject(['Big'], ([ds]) => {
      notion.addPages(ds!, 12_000, { title: (i) => `Row ${i}` });
    });
    await synced(p.id, 12_000, 180_000);
    const { rows } = await pg.query<{ n: number; distinct_ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT page_id)::int AS distinct_ids FROM notion_pages
       WHERE project_id = $1 AND deleted_at IS NULL`,
      [p.id],
    );
    expect(rows[0]).toEqual({ n: 12_000, distinct_ids: 12_000 });
    const queries = notion.requests.filter((r) => r.token === p.token && r.path.endsWith('/query'));
    expect(queries.some((r) => r.status === 200)).toBe(true);
  }, 240_000);

  it('delivers every page under a 429 storm, never above 3 requests/s per token, with two job-workers', async () => {
    const p = await newProject(['Tasks', 'Archive'], ([a, b]) => {
      notion.addPages(a!, 60, { title: (i) => `Storm ${i}` });
      notion.addPages(b!, 60, { title: (i) => `Storm archive ${i}` });
    });
    await synced(p.id, 120);
    const pages = notion.listPages().filter((x) => p.dataSourceIds.includes(x.dataSourceId));
    notion.rateLimit({ perSecond: 3, burst: 3 });
    notion.injectRateLimited({ count: 40, retryAfterSeconds: 1, token: p.token });
    try {
      // 40 edits announced at once: 40 page fetches from two workers, all paced by one bucket.
      await Promise.all(
        pages.slice(0, 40).map((x, i) => notion.editAndNotify(x.id, { title: `Stormed ${i}` }, p.webhook)),
      );
      await waitFor(
        async () => {
          const listed = await allPages(p.id, '&q=Stormed');
          return listed.length === 40 ? listed : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1000, what: 'every stormed edit' },
      );
    } finally {
      notion.rateLimit(null);
    }
    const mine = notion.requests.filter((r) => r.token === p.token);
    expect(mine.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(40);
    expect(notion.maxRequestsInWindow(p.token, 10_000)).toBeLessThanOrEqual(33);
  }, 180_000);

  it('puts a project whose token was revoked in error, with a message for people', async () => {
    const p = await newProject(['Tasks'], ([ds]) => notion.addPages(ds!, 3));
    await synced(p.id, 3);
    notion.revoke(p.token);
    expect((await call('POST', `/projects/${p.id}/sync`)).status).toBe(202);
    const view = await waitFor(
      async () => {
        const v = await project(p.id);
        return v.sync.status === 'error' ? v : undefined;
      },
      { timeoutMs: 30_000, what: 'the error state' },
    );
    expect(view.sync.lastError).toBe('Notion rejected the integration token');
    // The mirror keeps what it had.
    expect(view.sync.pageCount).toBe(3);
  }, 60_000);
});
