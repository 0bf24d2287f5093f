import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { JobName } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import { FakeNotion, FIXTURE_NOTION_TOKEN, insertProject, waitFor, type LoggedRequest } from '@app/testing';
import { JobWorkerModule } from '../src/job-worker.module.js';
import {
  FullSyncBusyError,
  FullSyncLock,
  MirrorWriter,
  ProjectSyncStore,
  SyncEngine,
  type FullSyncRun,
  type MirrorRow,
  type ProjectSyncView,
} from '@app/sync';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';

interface PageRow {
  page_id: string;
  data_source_id: string | null;
  title: string;
  properties: Record<string, any>;
  in_trash: boolean;
  deleted_at: Date | null;
  created_time: Date;
  last_edited_time: Date;
  fetched_at: Date;
  synced_at: Date;
  version: number;
}

interface ProjectState {
  status: string;
  page_count: number;
  watermark: Date | null;
  run: FullSyncRun | null;
  last_synced_at: Date | null;
  live: number;
}

const SKIPPED_LOCKED = 'a full sync of this project is already running';
/** addPages' default first creation time; pages follow one minute apart. */
const SEED_START = Date.UTC(2025, 0, 1);
const createdTimeOf = (n: number) => new Date(SEED_START + (n - 1) * 60_000).toISOString();

/** The projects API's view of the project's sync state. */
async function syncOf(store: ProjectSyncStore, projectId: string): Promise<ProjectSyncView> {
  return (await store.views([projectId])).get(projectId)!;
}

/** As `POST /projects/:id/sync` does, answering the view after it. */
async function requestSync(store: ProjectSyncStore, projectId: string): Promise<ProjectSyncView> {
  await store.requestFullSync(projectId);
  return syncOf(store, projectId);
}

/** The job-worker module in process against `notion`, and a Postgres client; `close()` stops all three. */
async function startEngine(notion: FakeNotion) {
  await notion.start();
  const config = testConfig({ NOTION_API_BASE_URL: notion.url, LOG_LEVEL: 'error' });
  const moduleRef = await Test.createTestingModule({ imports: [JobWorkerModule.forRoot(config)] }).compile();
  const app: INestApplication = moduleRef.createNestApplication(new FastifyAdapter());
  await app.init();
  const pg = new Client({ connectionString: testEnv().DATABASE_URL });
  await pg.connect();
  return {
    engine: app.get(SyncEngine),
    writer: app.get(MirrorWriter),
    store: app.get(ProjectSyncStore),
    pg,
    close: async () => {
      await app.close();
      await pg.end();
      await notion.stop();
    },
  };
}

/**
 * The sync engine in process: the job-worker module's `SyncEngine` called
 * directly against the run's Postgres and a FakeNotion of this suite's own.
 * Fixture projects ask for no full sync, so nothing but these calls syncs them.
 */
describe('SyncEngine (job-worker, real Postgres, fake Notion)', () => {
  const notion = new FakeNotion();
  let close: () => Promise<void>;
  let engine: SyncEngine;
  let writer: MirrorWriter;
  let store: ProjectSyncStore;
  let pg: Client;

  beforeAll(async () => {
    ({ engine, writer, store, pg, close } = await startEngine(notion));
  });

  afterAll(async () => {
    await close?.();
  });

  /** A Notion database shared with the fixture token, bound to a new fixture project. */
  const newProject = async (dataSources: string[] = ['Default']) => {
    const { databaseId, dataSourceIds } = notion.addDatabase('Tasks', dataSources);
    notion.share(FIXTURE_NOTION_TOKEN, databaseId);
    const projectId = await insertProject(pg, undefined, databaseId);
    return { projectId, databaseId, dataSourceIds };
  };

  const rows = async (projectId: string): Promise<PageRow[]> =>
    (
      await pg.query<PageRow>(
        `SELECT page_id, data_source_id, title, properties, in_trash, deleted_at, created_time, last_edited_time,
                fetched_at, synced_at, version::float8 AS version
         FROM notion_pages WHERE project_id = $1 ORDER BY created_time, page_id`,
        [projectId],
      )
    ).rows;

  const row = async (projectId: string, pageId: string): Promise<PageRow | undefined> =>
    (await rows(projectId)).find((r) => r.page_id === pageId);

  const state = async (projectId: string): Promise<ProjectState> =>
    (
      await pg.query<ProjectState>(
        `SELECT status, page_count, watermark, run, last_synced_at,
                (SELECT count(*)::int FROM notion_pages n WHERE n.project_id = s.project_id AND n.deleted_at IS NULL) AS live
         FROM project_sync s WHERE project_id = $1`,
        [projectId],
      )
    ).rows[0]!;

  const dbNow = async (): Promise<Date> => (await pg.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;

  const compact = (id: string) => id.replace(/-/g, '').toLowerCase();

  /** Query requests for one data source logged since index `from`. */
  const queriesOf = (dataSourceId: string, from = 0): LoggedRequest[] =>
    notion.requests
      .slice(from)
      .filter((r) => r.method === 'POST' && /\/query$/.test(r.path) && compact(r.path).includes(compact(dataSourceId)));

  const filterOf = (request: LoggedRequest | undefined): unknown => (request?.body as any)?.filter;

  it('mirrors every row of a database with two data sources and leaves the project idle', async () => {
    const { projectId, dataSourceIds } = await newProject(['Tasks', 'Archive']);
    const [tasks, archive] = dataSourceIds as [string, string];
    notion.addPages(tasks, 150);
    notion.addPages(archive, 30, { start: new Date(Date.UTC(2024, 5, 1)), title: (i) => `Archived ${i + 1}` });
    const before = await dbNow();

    const outcome = await engine.full(projectId, randomUUID());

    const after = await dbNow();
    expect(outcome).toEqual({ processedDeliveries: 0, pagesWritten: 180, tombstoned: 0, backfillWanted: true });
    const mirrored = await rows(projectId);
    expect(mirrored).toHaveLength(180);
    expect(mirrored.filter((r) => r.data_source_id === tasks)).toHaveLength(150);
    expect(mirrored.filter((r) => r.data_source_id === archive)).toHaveLength(30);
    expect(mirrored.every((r) => r.deleted_at === null && !r.in_trash)).toBe(true);
    expect(mirrored.find((r) => r.title === 'Archived 30')?.created_time.toISOString()).toBe(
      new Date(Date.UTC(2024, 5, 1) + 29 * 60_000).toISOString(),
    );
    const s = await state(projectId);
    expect(s.live).toBe(180);
    expect(s.page_count).toBe(s.live);
    expect(s.status).toBe('idle');
    expect(s.run).toBeNull();
    expect(s.last_synced_at).not.toBeNull();
    // The watermark is the run's start, read from the database clock.
    expect(s.watermark).not.toBeNull();
    expect(s.watermark!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(s.watermark!.getTime()).toBeLessThanOrEqual(after.getTime());
  });

  it('moves a requested project from queued to syncing when the run begins, and to idle with 0 pages for an empty database', async () => {
    const owner = `owner-${randomUUID()}`;
    const { databaseId } = notion.addDatabase('Empty', ['Default']);
    notion.share(FIXTURE_NOTION_TOKEN, databaseId);
    const projectId = await insertProject(pg, owner, databaseId);
    // As creating it through the API does: its first full sync is asked for.
    await pg.query(`UPDATE project_sync SET requested_at = now() WHERE project_id = $1`, [projectId]);
    const sync = async () => await syncOf(store, projectId);
    expect(await sync()).toEqual({
      status: 'queued',
      lastSyncedAt: null,
      pageCount: 0,
      lastError: null,
      contentPending: 0,
      contentError: null,
    });

    // Holds the run at its first Notion call, after it began.
    notion.injectLatency({ path: new RegExp(`/v1/databases/${databaseId}$`), ms: 3000 });
    const run = engine.full(projectId, randomUUID());
    await waitFor(() => notion.inFlight > 0, { intervalMs: 5, what: 'the run to call Notion' });
    expect((await sync()).status).toBe('syncing');
    // The owner asks again meanwhile: the run keeps the status, the request waits for a run of its own.
    expect((await requestSync(store, projectId)).status).toBe('syncing');
    expect(await run).toEqual({ processedDeliveries: 0, pagesWritten: 0, tombstoned: 0, backfillWanted: true });
    expect(await sync()).toMatchObject({ status: 'queued', pageCount: 0, lastSyncedAt: expect.any(Date) });

    await engine.full(projectId, randomUUID());
    expect(await sync()).toMatchObject({
      status: 'idle',
      pageCount: 0,
      lastError: null,
      lastSyncedAt: expect.any(Date),
    });
  });

  it('resumes an interrupted full sync from its checkpoint', async () => {
    const { projectId, dataSourceIds } = await newProject(['Small', 'Big']);
    const [small, big] = dataSourceIds as [string, string];
    notion.addPages(small, 5, { start: new Date(Date.UTC(2024, 0, 1)) });
    notion.addPages(big, 1000);

    // First run: Notion starts failing every query once three of Big's have been answered.
    const from1 = notion.requests.length;
    const crashed = engine.full(projectId, randomUUID()).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor(() => queriesOf(big, from1).length >= 3, { intervalMs: 1, what: 'three queries of Big' });
    // POST is not retried by the SDK on 500: the run fails at its next query.
    notion.injectFailure({ status: 500, path: /\/query$/, count: 1000 });
    const err = await crashed;
    notion.clearInjections();
    expect(err).toBeInstanceOf(Error);
    expect((err as { status?: number }).status).toBe(500);

    const answered = queriesOf(big, from1).filter((r) => r.status === 200).length;
    expect(answered).toBeGreaterThanOrEqual(3);
    expect(answered).toBeLessThan(10); // really cut short
    const interrupted = await state(projectId);
    expect(interrupted.status).toBe('syncing');
    expect(interrupted.run).toMatchObject({ done: [small], current: { dataSourceId: big } });
    // Each answered query (100 rows) was written, then checkpointed at its last row's created_time.
    const checkpoint = interrupted.run!.current!.createdFrom;
    expect(new Date(checkpoint).toISOString()).toBe(createdTimeOf(answered * 100));
    expect((await rows(projectId)).filter((r) => r.data_source_id === big)).toHaveLength(answered * 100);
    expect(interrupted.page_count).toBe(5 + answered * 100);

    // Second run: resumes Big where the checkpoint says, skips Small.
    const from2 = notion.requests.length;
    const resumed = await engine.full(projectId, randomUUID());
    expect(resumed.skipped).toBeUndefined();
    expect(resumed.tombstoned).toBe(0); // rows of the first attempt are part of the same run
    expect(queriesOf(small, from2)).toHaveLength(0);
    const resumedQueries = queriesOf(big, from2);
    expect(filterOf(resumedQueries[0])).toEqual({
      timestamp: 'created_time',
      created_time: { on_or_after: checkpoint },
    });
    // From the checkpoint's row (re-read) to the end, 100 rows a query.
    expect(resumedQueries).toHaveLength(Math.ceil((1000 - answered * 100 + 1) / 100));
    const done = await state(projectId);
    expect(done.status).toBe('idle');
    expect(done.run).toBeNull();
    expect(done.live).toBe(1005);
    expect(done.page_count).toBe(1005);
    const big1000 = (await rows(projectId)).filter((r) => r.data_source_id === big);
    expect(big1000).toHaveLength(1000);
    expect(new Set(big1000.map((r) => r.created_time.toISOString())).size).toBe(1000);

    // A fresh run (no checkpoint) reads everything: the resumed one asked clearly less.
    const from3 = notion.requests.length;
    const fresh = await engine.full(projectId, randomUUID());
    expect(fresh.tombstoned).toBe(0);
    const freshQueries = queriesOf(big, from3);
    expect(filterOf(freshQueries[0])).toBeUndefined();
    expect(freshQueries).toHaveLength(10);
    expect(queriesOf(small, from3)).toHaveLength(1);
    expect(resumedQueries.length).toBeLessThanOrEqual(freshQueries.length - 2);
  });

  it('tombstones rows a full sync no longer sees, restores them, and leaves unchanged rows alone', async () => {
    const { projectId, dataSourceIds } = await newProject();
    const pages = notion.addPages(dataSourceIds[0]!, 20);
    const gone = pages[3]!.id;
    await engine.full(projectId, randomUUID());
    const first = new Map((await rows(projectId)).map((r) => [r.page_id, r.version]));
    expect(first.size).toBe(20);
    const maxFirst = Math.max(...first.values());

    // An unchanged re-run: every row confirmed, no version moves.
    const rerun = await engine.full(projectId, randomUUID());
    expect(rerun.tombstoned).toBe(0);
    expect(new Map((await rows(projectId)).map((r) => [r.page_id, r.version]))).toEqual(first);

    notion.trashPage(gone);
    const swept = await engine.full(projectId, randomUUID());
    expect(swept.tombstoned).toBe(1);
    const afterSweep = await rows(projectId);
    const tomb = afterSweep.find((r) => r.page_id === gone)!;
    expect(tomb.deleted_at).not.toBeNull();
    expect(tomb.version).toBeGreaterThan(first.get(gone)!);
    const swept2 = await state(projectId);
    // The sweep runs at the end of the run: after its start (the new watermark).
    expect(tomb.deleted_at!.getTime()).toBeGreaterThanOrEqual(swept2.watermark!.getTime());
    expect(swept2.live).toBe(19);
    expect(swept2.page_count).toBe(19);
    // Unchanged rows keep their versions: the change feed gets the tombstone only.
    for (const r of afterSweep) if (r.page_id !== gone) expect(r.version).toBe(first.get(r.page_id));
    expect(afterSweep.filter((r) => r.version > maxFirst).map((r) => r.page_id)).toEqual([gone]);
    const maxSwept = Math.max(...afterSweep.map((r) => r.version));

    notion.restorePage(gone);
    const restored = await engine.full(projectId, randomUUID());
    expect(restored.tombstoned).toBe(0);
    const afterRestore = await rows(projectId);
    const back = afterRestore.find((r) => r.page_id === gone)!;
    expect(back.deleted_at).toBeNull();
    expect(back.in_trash).toBe(false);
    expect(afterRestore.filter((r) => r.version > maxSwept).map((r) => r.page_id)).toEqual([gone]);
    const s = await state(projectId);
    expect(s.live).toBe(20);
    expect(s.page_count).toBe(20);
  });

  describe('syncPage', () => {
    it('mirrors a relation of 60 ids whole, completing it through the property endpoint', async () => {
      const { projectId, dataSourceIds } = await newProject();
      const related = Array.from({ length: 60 }, () => randomUUID());
      const page = notion.addPage(dataSourceIds[0]!, 'Linked', {
        properties: { Related: FakeNotion.prop.relation(related) },
      });
      const from = notion.requests.length;

      const outcome = await engine.syncPage(projectId, page.id, randomUUID());

      expect(outcome).toEqual({ processedDeliveries: 0, pagesWritten: 1, tombstoned: 0, contentWanted: true });
      const stored = await row(projectId, page.id);
      expect(stored?.title).toBe('Linked');
      expect(stored?.deleted_at).toBeNull();
      expect(stored?.data_source_id).toBe(dataSourceIds[0]);
      const relation = stored?.properties['Related'];
      expect(relation?.type).toBe('relation');
      expect(relation?.has_more).toBe(false);
      expect((relation?.relation as Array<{ id: string }>).map((r) => r.id)).toEqual(related);
      const propertyId = notion.propertyId(dataSourceIds[0]!, 'Related', 'relation');
      const propertyRequests = notion.requests
        .slice(from)
        .filter((r) => r.method === 'GET' && r.path.endsWith(`/properties/${encodeURIComponent(propertyId)}`));
      expect(propertyRequests.length).toBeGreaterThanOrEqual(1);
      expect((await state(projectId)).page_count).toBe(1);
    });

    it('tombstones an existing row when Notion answers 404; a page never mirrored stays absent', async () => {
      const { projectId } = await newProject();
      const unknown = randomUUID();
      await writer.upsert(projectId, [mirrorRow(unknown, 'Was here')], await writer.now());
      const before = (await row(projectId, unknown))!;
      expect(before.deleted_at).toBeNull();
      expect((await state(projectId)).page_count).toBe(1);
      const from = notion.requests.length;

      const outcome = await engine.syncPage(projectId, unknown, randomUUID());

      expect(notion.requests.slice(from).some((r) => r.status === 404)).toBe(true);
      expect(outcome).toEqual({ processedDeliveries: 0, pagesWritten: 0, tombstoned: 1 });
      const after = (await row(projectId, unknown))!;
      expect(after.deleted_at).not.toBeNull();
      expect(after.version).toBeGreaterThan(before.version);
      expect(after.title).toBe('Was here'); // a tombstone keeps its last state
      expect((await state(projectId)).page_count).toBe(0);

      const never = randomUUID();
      expect(await engine.syncPage(projectId, never, randomUUID())).toEqual({
        processedDeliveries: 0,
        pagesWritten: 0,
        tombstoned: 0,
      });
      expect(await row(projectId, never)).toBeUndefined();
    });

    it('does not mirror a page of another database, and tombstones its row if one exists', async () => {
      const { projectId } = await newProject();
      const other = notion.addDatabase('Elsewhere', ['Default']);
      notion.share(FIXTURE_NOTION_TOKEN, other.databaseId);
      const stranger = notion.addPage(other.dataSourceIds[0]!, 'Not ours');
      const from = notion.requests.length;

      const outcome = await engine.syncPage(projectId, stranger.id, randomUUID());

      // Notion answered it (shared with the token): the engine refused it for its parent.
      expect(notion.requests.slice(from).some((r) => r.path.endsWith(stranger.id) && r.status === 200)).toBe(true);
      expect(outcome).toEqual({ processedDeliveries: 0, pagesWritten: 0, tombstoned: 0 });
      expect(await row(projectId, stranger.id)).toBeUndefined();

      // A row for it (say the page moved out of the project's database) becomes a tombstone.
      await writer.upsert(projectId, [mirrorRow(stranger.id, 'Moved away')], await writer.now());
      const moved = await engine.syncPage(projectId, stranger.id, randomUUID());
      expect(moved.tombstoned).toBe(1);
      expect((await row(projectId, stranger.id))?.deleted_at).not.toBeNull();
      expect((await state(projectId)).page_count).toBe(0);
    });

    it('stores a trashed page as a tombstone in the trash, and brings it back when restored', async () => {
      const { projectId, dataSourceIds } = await newProject();
      const page = notion.addPage(dataSourceIds[0]!, 'Short-lived');
      await engine.syncPage(projectId, page.id, randomUUID());
      const live = (await row(projectId, page.id))!;
      expect(live.deleted_at).toBeNull();

      // Trashed and restored within the minute, most likely: the fetch start breaks the ties.
      notion.trashPage(page.id);
      expect((await engine.syncPage(projectId, page.id, randomUUID())).pagesWritten).toBe(1);
      const trashed = (await row(projectId, page.id))!;
      expect(trashed.in_trash).toBe(true);
      expect(trashed.deleted_at).not.toBeNull();
      expect(trashed.title).toBe('Short-lived');
      expect(trashed.version).toBeGreaterThan(live.version);
      expect((await state(projectId)).page_count).toBe(0);

      notion.restorePage(page.id);
      expect((await engine.syncPage(projectId, page.id, randomUUID())).pagesWritten).toBe(1);
      const restored = (await row(projectId, page.id))!;
      expect(restored.in_trash).toBe(false);
      expect(restored.deleted_at).toBeNull();
      expect(restored.version).toBeGreaterThan(trashed.version);
      expect((await state(projectId)).page_count).toBe(1);
    });
  });

  it('MirrorWriter keeps the newest state whatever order writes arrive in', async () => {
    const projectId = await insertProject(pg);
    const pageId = randomUUID();
    const now = await writer.now();
    const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
    const edited = '2025-03-01T10:01:00.000Z';

    expect((await writer.upsert(projectId, [mirrorRow(pageId, 'Newer', edited)], at(0))).written).toBe(1);
    const newer = (await row(projectId, pageId))!;

    // A slow fetch that started earlier, of an older edit, then of the same minute: both lose.
    const older = mirrorRow(pageId, 'Older', '2025-03-01T10:00:00.000Z');
    expect((await writer.upsert(projectId, [older], at(-5000))).written).toBe(0);
    expect((await writer.upsert(projectId, [mirrorRow(pageId, 'Stale', edited)], at(-5000))).written).toBe(0);
    const kept = (await row(projectId, pageId))!;
    expect(kept.title).toBe('Newer');
    expect(kept.version).toBe(newer.version);
    expect(kept.fetched_at.getTime()).toBe(at(0).getTime());
    expect(kept.synced_at.getTime()).toBe(at(0).getTime()); // never moved back

    // A second edit in the same minute, fetched later, wins.
    expect((await writer.upsert(projectId, [mirrorRow(pageId, 'Second edit', edited)], at(1000))).written).toBe(1);
    const second = (await row(projectId, pageId))!;
    expect(second.title).toBe('Second edit');
    expect(second.version).toBeGreaterThan(newer.version);

    // The same content fetched again: stored (newer fetch), no new version.
    expect((await writer.upsert(projectId, [mirrorRow(pageId, 'Second edit', edited)], at(2000))).written).toBe(1);
    const same = (await row(projectId, pageId))!;
    expect(same.version).toBe(second.version);
    expect(same.fetched_at.getTime()).toBe(at(2000).getTime());
    expect(same.synced_at.getTime()).toBe(at(2000).getTime());
  });

  it('incremental() reads pages edited since the watermark less two minutes, in every data source', async () => {
    const { projectId, databaseId, dataSourceIds } = await newProject(['One', 'Two']);
    const [one, two] = dataSourceIds as [string, string];
    notion.addPages(one, 10);
    const pages = notion.addPages(two, 10, { start: new Date(Date.UTC(2024, 0, 1)) });

    // Before the first full sync there is no watermark: nothing to ask Notion.
    const from0 = notion.requests.length;
    expect(await engine.incremental(projectId, databaseId, randomUUID())).toEqual({
      processedDeliveries: 0,
      skipped: 'no full sync completed yet',
    });
    expect(notion.requests.length).toBe(from0);

    await engine.full(projectId, randomUUID());
    const watermark = (await state(projectId)).watermark!;
    const edited = pages[4]!.id;
    const before = (await row(projectId, edited))!;
    notion.editPage(edited, { title: 'Edited' });
    const from = notion.requests.length;

    const outcome = await engine.incremental(projectId, databaseId, randomUUID());

    // Only the edited page is newer than the window's start.
    expect(outcome).toEqual({ processedDeliveries: 0, pagesWritten: 1, tombstoned: 0, backfillWanted: true });
    const after = (await row(projectId, edited))!;
    expect(after.title).toBe('Edited');
    expect(after.last_edited_time.getTime()).toBeGreaterThan(before.last_edited_time.getTime());
    expect(after.version).toBeGreaterThan(before.version);
    const since = new Date(watermark.getTime() - 2 * 60_000).toISOString();
    for (const ds of [one, two]) {
      const queries = queriesOf(ds, from);
      expect(queries).toHaveLength(1);
      expect(filterOf(queries[0])).toEqual({ timestamp: 'last_edited_time', last_edited_time: { on_or_after: since } });
    }
    const s = await state(projectId);
    expect(s.watermark!.getTime()).toBeGreaterThan(watermark.getTime());
    expect(s.status).toBe('idle');
    expect(s.live).toBe(20);
  });

  it('never lets a fetch that started before a page was found gone bring it back', async () => {
    const projectId = await insertProject(pg);
    const pageId = randomUUID();
    const now = await writer.now();
    const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
    await writer.upsert(projectId, [mirrorRow(pageId, 'Alive', '2025-03-01T10:00:00.000Z')], at(0));
    // Found gone (404 or moved out) by a fetch that started at +10 s...
    expect(await writer.tombstone(projectId, pageId, at(10_000))).toBe(true);
    const gone = (await row(projectId, pageId))!;
    // ...then a slower query that started at +5 s and saw a newer edit arrives: it loses.
    const late = mirrorRow(pageId, 'Edited before it left', '2025-03-01T10:04:00.000Z');
    expect((await writer.upsert(projectId, [late], at(5000))).written).toBe(0);
    expect((await row(projectId, pageId))!).toMatchObject({ title: 'Alive', version: gone.version });
    expect((await row(projectId, pageId))!.deleted_at).not.toBeNull();
    // A fetch that started after the tombstone and finds the page restores it.
    expect((await writer.upsert(projectId, [late], at(15_000))).written).toBe(1);
    const back = (await row(projectId, pageId))!;
    expect(back.deleted_at).toBeNull();
    expect(back.version).toBeGreaterThan(gone.version);
  });

  it('tombstones the rows of a data source the database no longer holds, and refuses an empty list', async () => {
    const projectId = await insertProject(pg);
    const [kept, removed] = [randomUUID(), randomUUID()];
    const rowIn = (dataSourceId: string) => ({ ...mirrorRow(randomUUID(), 'x'), dataSourceId });
    await writer.upsert(projectId, [rowIn(kept), rowIn(kept), rowIn(removed)], await writer.now());
    expect(await writer.sweepDataSources(projectId, [kept], await writer.now())).toBe(1);
    const live = (await rows(projectId)).filter((r) => !r.deleted_at).map((r) => r.data_source_id);
    expect(live).toEqual([kept, kept]);
    await expect(writer.sweepDataSources(projectId, [], await writer.now())).rejects.toThrow(/Refusing/);
  });

  it('incremental() reads a data source whole when its schema changed', async () => {
    const { projectId, databaseId, dataSourceIds } = await newProject(['Schema']);
    const [ds] = dataSourceIds as [string];
    const pages = notion.addPages(ds, 5);
    await engine.full(projectId, randomUUID());
    // A property renamed in Notion changes no page's last_edited_time: simulate the stale mirror.
    await pg.query(`UPDATE notion_pages SET title = 'stale' WHERE project_id = $1`, [projectId]);
    const unchanged = notion.requests.length;
    await engine.incremental(projectId, databaseId, randomUUID());
    expect(filterOf(queriesOf(ds, unchanged)[0])).toEqual(expect.objectContaining({ timestamp: 'last_edited_time' }));
    expect((await row(projectId, pages[0]!.id))!.title).toBe('stale');

    notion.propertyId(ds, 'Estimate', 'number'); // the schema changes
    const from = notion.requests.length;
    const outcome = await engine.incremental(projectId, databaseId, randomUUID());
    expect(filterOf(queriesOf(ds, from)[0])).toBeUndefined();
    expect(outcome.pagesWritten).toBe(5);
    expect((await row(projectId, pages[0]!.id))!.title).not.toBe('stale');
  });

  it('starts over instead of resuming a checkpoint older than the latest sync request', async () => {
    const { projectId, dataSourceIds } = await newProject(['Fresh']);
    const [ds] = dataSourceIds as [string];
    notion.addPages(ds, 20);
    const checkpoint = {
      startedAt: '2020-01-01T00:00:00.000Z',
      done: [],
      current: { dataSourceId: ds, createdFrom: '2025-01-01T00:10:00.000Z' },
    };
    await pg.query(`UPDATE project_sync SET run = $2::jsonb, requested_at = now() WHERE project_id = $1`, [
      projectId,
      JSON.stringify(checkpoint),
    ]);
    const from = notion.requests.length;
    await engine.full(projectId, randomUUID());
    expect(filterOf(queriesOf(ds, from)[0])).toBeUndefined();
    expect((await state(projectId)).live).toBe(20);
  });

  it('runs one full sync of a project at a time: a concurrent call steps aside', async () => {
    const { projectId, databaseId, dataSourceIds } = await newProject();
    notion.addPages(dataSourceIds[0]!, 5);
    // Holds the winner inside its run while the other call tries the lock.
    notion.injectLatency({ path: new RegExp(`/v1/databases/${databaseId}$`), ms: 500 });

    const outcomes = await Promise.all([engine.full(projectId, randomUUID()), engine.full(projectId, randomUUID())]);

    expect(outcomes.map((o) => o.skipped ?? 'ran').sort()).toEqual([SKIPPED_LOCKED, 'ran'].sort());
    expect(outcomes.find((o) => !o.skipped)?.pagesWritten).toBe(5);
    const s = await state(projectId);
    expect(s.status).toBe('idle');
    expect(s.live).toBe(5);
    // The lock was released: the next run goes ahead.
    expect((await engine.full(projectId, randomUUID())).skipped).toBeUndefined();
  });

  it('waits for a running full sync that began before the latest request, and steps aside for one that began after', async () => {
    const owner = `owner-${randomUUID()}`;
    const { databaseId, dataSourceIds } = notion.addDatabase('Busy', ['Default']);
    notion.share(FIXTURE_NOTION_TOKEN, databaseId);
    notion.addPages(dataSourceIds[0]!, 2);
    const projectId = await insertProject(pg, owner, databaseId);
    const status = async () => (await syncOf(store, projectId)).status;
    /** A run held at its first Notion call, once it began (status `syncing`); `done` settles with it. */
    const heldRun = async () => {
      notion.injectLatency({ path: new RegExp(`/v1/databases/${databaseId}$`), ms: 1500 });
      const done = engine.full(projectId, randomUUID());
      await waitFor(() => notion.inFlight > 0, { intervalMs: 5, what: 'the run to call Notion' });
      return { done };
    };

    // Requested, then a run begins: it covers the request; another job steps aside.
    await store.requestFullSync(projectId);
    const covering = await heldRun();
    expect(await status()).toBe('syncing');
    expect(await engine.full(projectId, randomUUID())).toEqual({ processedDeliveries: 0, skipped: SKIPPED_LOCKED });
    expect((await covering.done).pagesWritten).toBe(2);
    expect(await status()).toBe('idle');

    // A run begins (a scheduled one), then the owner asks: the run cannot see the
    // request, so the request's job must not step aside; it is told to come back.
    const scheduled = await heldRun();
    await store.requestFullSync(projectId);
    const waiting = engine.full(projectId, randomUUID());
    await expect(waiting).rejects.toBeInstanceOf(FullSyncBusyError);
    await expect(waiting).rejects.toHaveProperty('retryAfterMs', expect.any(Number));
    await scheduled.done;
    expect(await status()).toBe('queued');
    // Back after the running one: it runs, and takes the request up.
    expect((await engine.full(projectId, randomUUID())).skipped).toBeUndefined();
    expect(await status()).toBe('idle');
  });
});

/**
 * A full-sync job run by the job-worker's queue that fails for good before its
 * run begins: here its lock connection is refused on its only attempt.
 */
describe('a full-sync job that fails before its run begins', () => {
  let app: INestApplication;
  let pg: Client;

  beforeAll(async () => {
    const config = testConfig({ JOB_ATTEMPTS: '1', LOG_LEVEL: 'error' });
    const moduleRef = await Test.createTestingModule({ imports: [JobWorkerModule.forRoot(config)] })
      .overrideProvider(FullSyncLock)
      .useValue({
        tryAcquire: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        },
      })
      .compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
  });

  it('shows error with its reason, not queued, for the requests before the failure; a newer request is queued', async () => {
    const store = app.get(ProjectSyncStore);
    const owner = `owner-${randomUUID()}`;
    const projectId = await insertProject(pg, owner);
    const sync = async () => await syncOf(store, projectId);
    expect((await requestSync(store, projectId)).status).toBe('queued');

    await app.get(JobQueue).addDeduplicated(JobName.FullSync, { projectId, correlationId: randomUUID() });

    // The worker stored the failure: the job is over, and no run took the request up.
    await waitFor(
      async () =>
        (await pg.query(`SELECT 1 FROM project_sync WHERE project_id = $1 AND status = 'error'`, [projectId]))
          .rowCount || undefined,
      { timeoutMs: 15_000, what: 'the job to fail for good' },
    );
    expect(await sync()).toMatchObject({ status: 'error', lastError: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(await requestSync(store, projectId)).toMatchObject({
      status: 'queued',
      lastError: 'connect ECONNREFUSED 127.0.0.1:5432',
    });
  });
});

/**
 * Past Notion's per-query cap (here 150 rows) `iterateAllDataSourceRows` starts a
 * new `created_time` window at the last row's time, so the rows of that minute
 * come back twice; the helper yields only their first copy.
 */
describe('SyncEngine across a result-cap window (fake Notion capped at 150 rows)', () => {
  const notion = new FakeNotion({ resultCap: 150 });
  let close: () => Promise<void>;
  let engine: SyncEngine;
  let pg: Client;

  beforeAll(async () => {
    ({ engine, pg, close } = await startEngine(notion));
  });

  afterAll(async () => {
    await close?.();
  });

  // At a window boundary the SDK helper fetches rows again and skips them; the
  // copy it yielded must keep the time of its own (earlier) request.
  it('does not let a stale copy from before a window boundary replace a newer webhook write', async () => {
    const { databaseId, dataSourceIds } = notion.addDatabase('Capped', ['Default']);
    const ds = dataSourceIds[0]!;
    notion.share(FIXTURE_NOTION_TOKEN, databaseId);
    const projectId = await insertProject(pg, undefined, databaseId);
    // Rows 1-100 a minute apart, rows 101-150 created in one minute (an import), then 60 more.
    notion.addPages(ds, 100);
    const importMinute = new Date(SEED_START + 100 * 60_000);
    const imported = notion.addPages(ds, 50, { start: importMinute, stepMs: 0, title: (i) => `Imported ${i + 1}` });
    notion.addPages(ds, 60, { start: new Date(importMinute.getTime() + 60_000) });
    const target = imported[20]!;
    const queries = () => notion.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/query'));

    const run = engine.full(projectId, randomUUID());
    // The second query (rows 101-150, the capped end of the first window) is answered slowly.
    await waitFor(() => queries().length >= 1, { intervalMs: 1, what: 'the first query' });
    notion.injectLatency({ path: /\/query$/, ms: 800 });
    await waitFor(() => notion.inFlight > 0, { intervalMs: 1, what: 'the second query to arrive' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // its answer is fixed at arrival
    // Meanwhile: a second edit in the page's minute, mirrored at once by its webhook.
    notion.editPage(target.id, { title: 'After' }, importMinute);
    await engine.syncPage(projectId, target.id, randomUUID());
    const { rows: webhook } = await pg.query<{ title: string }>(
      'SELECT title FROM notion_pages WHERE project_id = $1 AND page_id = $2',
      [projectId, target.id],
    );
    expect(webhook[0]?.title).toBe('After');

    const outcome = await run;

    expect(queries().length).toBeGreaterThanOrEqual(4); // two windows: the boundary was crossed
    expect(outcome.skipped).toBeUndefined();
    const { rows } = await pg.query<{ title: string; n: number }>(
      `SELECT (SELECT title FROM notion_pages WHERE project_id = $1 AND page_id = $2) AS title,
              (SELECT count(*)::int FROM notion_pages WHERE project_id = $1 AND deleted_at IS NULL) AS n`,
      [projectId, target.id],
    );
    expect(rows[0]?.n).toBe(210);
    // The full sync's copy of the page was fetched before the webhook's: it must not win.
    expect(rows[0]?.title).toBe('After');
  });
});

function mirrorRow(pageId: string, title: string, lastEditedTime = '2025-02-01T00:00:00.000Z'): MirrorRow {
  return {
    pageId,
    dataSourceId: null,
    title,
    properties: { Name: { id: 'title', type: 'title', title: [{ plain_text: title }] } },
    url: null,
    icon: null,
    createdTime: '2025-02-01T00:00:00.000Z',
    lastEditedTime,
    inTrash: false,
  };
}
