import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource, type QueryRunner } from 'typeorm';
import { ConfigModule } from '@app/config';
import { DatabaseModule, selectRows } from '@app/database';
import { ProjectsModule, ProjectsService } from '@app/projects';
import { MirrorWriter, SyncStateModule, type MirrorRow } from '@app/sync';
import { waitFor } from '@app/testing';
import { testConfig } from '../../../test/jest/test-env.js';

/**
 * The mirror writer on the real database: the page count it keeps by delta
 * (never a count(*)), and its locks against a project's deletion and edits.
 */
describe('MirrorWriter', () => {
  let moduleRef: TestingModule;
  let projects: ProjectsService;
  let writer: MirrorWriter;
  let db: DataSource;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig()),
        DatabaseModule.forRoot('mirror-writer-int-spec'),
        SyncStateModule,
        ProjectsModule,
      ],
    }).compile();
    projects = moduleRef.get(ProjectsService);
    writer = moduleRef.get(MirrorWriter);
    db = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  const create = async (owner = randomUUID()) =>
    (await projects.create(owner, { name: 'p', notionDatabaseId: randomUUID(), notionToken: 'secret_token_1' })).project
      .id;

  const page = (pageId: string, editedMinute: number, extra: Partial<MirrorRow> = {}): MirrorRow => ({
    pageId,
    dataSourceId: null,
    title: `t${editedMinute}`,
    properties: {},
    url: null,
    icon: null,
    createdTime: '2025-01-01T00:00:00.000Z',
    lastEditedTime: new Date(Date.UTC(2025, 0, 1, 0, editedMinute)).toISOString(),
    inTrash: false,
    ...extra,
  });

  /** The kept count beside the real one. */
  const counts = async (projectId: string) => {
    const [row] = await selectRows<{ kept: number; live: number }>(
      db,
      `SELECT s.page_count AS kept,
         (SELECT count(*)::int FROM notion_pages n WHERE n.project_id = s.project_id AND n.deleted_at IS NULL) AS live
       FROM project_sync s WHERE s.project_id = $1`,
      [projectId],
    );
    return row!;
  };

  it('keeps the page count by delta through inserts, trash, restores, tombstones and sweeps', async () => {
    const projectId = await create();
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const dsKept = randomUUID();
    const dsGone = randomUUID();
    const expectCount = async (n: number) => expect(await counts(projectId)).toEqual({ kept: n, live: n });

    // New rows: live ones count, one already in the trash does not; a page twice in one batch counts once.
    const first = await writer.now();
    await writer.upsert(projectId, [page(a, 1), page(b, 1), page(c, 1, { inTrash: true }), page(a, 1)], first);
    await expectCount(2);
    // The same fetch again (nothing newer): nothing written, nothing counted.
    expect((await writer.upsert(projectId, [page(a, 1), page(b, 1)], first)).written).toBe(0);
    await expectCount(2);
    // A later fetch of the same state replaces the rows, and they stay counted once.
    expect((await writer.upsert(projectId, [page(a, 1), page(b, 1)], await writer.now())).written).toBe(2);
    await expectCount(2);
    // An edit of a live row: still one page.
    await writer.upsert(projectId, [page(a, 2)], await writer.now());
    await expectCount(2);
    // Restored from the trash, and a live one moved to it, in one batch.
    await writer.upsert(projectId, [page(c, 2), page(b, 2, { inTrash: true })], await writer.now());
    await expectCount(2);
    // A trashed row edited in the trash stays uncounted.
    await writer.upsert(projectId, [page(b, 3, { inTrash: true })], await writer.now());
    await expectCount(2);
    // Gone from Notion: once, then again (already a tombstone).
    expect(await writer.tombstone(projectId, a, await writer.now())).toBe(true);
    await expectCount(1);
    expect(await writer.tombstone(projectId, a, await writer.now())).toBe(false);
    await expectCount(1);
    // Brought back by a later fetch.
    await writer.upsert(projectId, [page(a, 4)], await writer.now());
    await expectCount(2);

    // Data sources: rows of one that left are swept; a full run sweeps what it did not see.
    await writer.upsert(
      projectId,
      [page(d, 1, { dataSourceId: dsGone }), page(randomUUID(), 1, { dataSourceId: dsKept })],
      await writer.now(),
    );
    await expectCount(4);
    expect(await writer.sweepDataSources(projectId, [dsKept], await writer.now())).toBe(1);
    await expectCount(3);
    const runStartedAt = await writer.now();
    await writer.upsert(projectId, [page(c, 5)], await writer.now());
    expect(await writer.sweep(projectId, runStartedAt)).toBe(2);
    await expectCount(1);
    expect(await writer.sweep(projectId, runStartedAt)).toBe(0);
    await expectCount(1);
  });

  it('keeps the count exact under racing writes of one project', async () => {
    const projectId = await create();
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const fetchedAt = await writer.now();
    await Promise.all(
      ids.flatMap((id, i) => [
        writer.upsert(projectId, [page(id, 1), page(ids[(i + 1) % ids.length]!, 2)], fetchedAt),
        writer.upsert(projectId, [page(id, 3, { inTrash: i % 3 === 0 })], fetchedAt),
        writer.tombstone(projectId, ids[(i + 5) % ids.length]!, fetchedAt),
      ]),
    );
    const { kept, live } = await counts(projectId);
    expect(live).toBeGreaterThan(0);
    expect(kept).toBe(live);
  });

  /** A delivery about `pageId`, received now (the database clock), in flight. */
  const deliver = async (projectId: string, pageId: string): Promise<string> => {
    const [row] = await selectRows<{ id: string }>(
      db,
      `INSERT INTO webhook_deliveries (project_id, event_id, event_type, entity_id, payload, correlation_id, status)
       VALUES ($1, $2, 'page.properties_updated', $3, '{}', $2, 'enqueued') RETURNING id`,
      [projectId, randomUUID(), pageId],
    );
    return row!.id;
  };
  const statuses = async (ids: string[]) =>
    (
      await selectRows<{ status: string }>(db, `SELECT status FROM webhook_deliveries WHERE id = ANY($1) ORDER BY id`, [
        ids,
      ])
    ).map((r) => r.status);

  /** Counts the calls of page writes (`mirror_write_batch`) made while `work` runs. */
  const callsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; calls: number }> => {
    const spy = jest.spyOn(db, 'query');
    try {
      const result = await work();
      const calls = spy.mock.calls.filter(([sql]) => String(sql).startsWith('SELECT mirror_write_batch(')).length;
      return { result, calls };
    } finally {
      spy.mockRestore();
    }
  };

  it("batches a project's page writes that arrive while one is in flight, settling each page's deliveries", async () => {
    const projectId = await create();
    const pages = Array.from({ length: 20 }, () => randomUUID());
    const gone = randomUUID();
    await writer.upsert(projectId, [page(gone, 1)], await writer.now());
    const covered = await Promise.all([...pages, gone].map((p) => deliver(projectId, p)));
    // A fetch start travels as a JS Date (milliseconds): a delivery received in
    // the same millisecond as the clock read, before it, is left for the next
    // fetch (never one received after it marked). Not what this test is about.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const fetchStartedAt = await writer.now();
    // Received after the fetch began: the fetch may not have seen its edit.
    const later = await deliver(projectId, pages[0]!);

    const { result: writes, calls } = await callsDuring(() =>
      Promise.all([
        ...pages.map((p) => writer.writePage(projectId, p, page(p, 2), fetchStartedAt)),
        writer.writePage(projectId, gone, undefined, fetchStartedAt),
      ]),
    );

    // The first goes alone at once; the other 20 arrive while it runs and go together.
    expect(calls).toBe(2);
    expect(writes.slice(0, 20).every((w) => w.written && !w.tombstoned && w.lagSeconds.length === 1)).toBe(true);
    expect(writes[20]).toMatchObject({ projectDeleted: false, written: false, tombstoned: true });
    expect(writes[20]!.lagSeconds).toHaveLength(1);
    expect(await statuses(covered)).toEqual(covered.map(() => 'processed'));
    expect(await statuses([later])).toEqual(['enqueued']);
    expect(await counts(projectId)).toEqual({ kept: 20, live: 20 });
  });

  it('writes page jobs of several projects in one call, each answered for its own project', async () => {
    const projectIds = await Promise.all([create(), create(), create()]);
    const first = randomUUID();
    const at = await writer.now();
    const pages = projectIds.map(() => randomUUID());
    const { result: writes, calls } = await callsDuring(() =>
      Promise.all([
        writer.writePage(projectIds[0]!, first, page(first, 1), at),
        ...projectIds.map((id, i) => writer.writePage(id, pages[i]!, page(pages[i]!, 1), at)),
        // The same page id in another project is another row: it shares the call.
        writer.writePage(projectIds[1]!, pages[0]!, undefined, at),
      ]),
    );
    expect(calls).toBe(2);
    expect(writes.map((w) => [w.written, w.tombstoned])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [true, false],
      [false, false],
    ]);
    expect(await Promise.all(projectIds.map(counts))).toEqual([
      { kept: 2, live: 2 },
      { kept: 1, live: 1 },
      { kept: 1, live: 1 },
    ]);
  });

  it('sends two writes of one page in separate calls, in arrival order, the newer fetch winning', async () => {
    const projectId = await create();
    const [first, other] = [randomUUID(), randomUUID()];
    const older = await writer.now();
    const newer = new Date(older.getTime() + 1000);
    const { result: writes, calls } = await callsDuring(() =>
      Promise.all([
        writer.writePage(projectId, first, page(first, 1), older),
        writer.writePage(projectId, other, page(other, 1, { title: 'older fetch' }), older),
        writer.writePage(projectId, other, page(other, 1, { title: 'newer fetch' }), newer),
      ]),
    );
    expect(calls).toBe(3);
    expect(writes.map((w) => w.written)).toEqual([true, true, true]);
    const [row] = await selectRows<{ title: string }>(
      db,
      `SELECT title FROM notion_pages WHERE project_id = $1 AND page_id = $2`,
      [projectId, other],
    );
    expect(row!.title).toBe('newer fetch');
  });

  it("fails only the write Postgres refuses when a batch fails, and a deleted project's write is no error", async () => {
    const projectId = await create();
    const [first, bad, good] = [randomUUID(), randomUUID(), randomUUID()];
    const at = await writer.now();
    const [, refused, accepted] = await Promise.allSettled([
      writer.writePage(projectId, first, page(first, 1), at),
      writer.writePage(projectId, bad, page(bad, 1, { dataSourceId: 'not-a-uuid' }), at),
      writer.writePage(projectId, good, page(good, 1), at),
    ]);
    expect(refused.status).toBe('rejected');
    expect(accepted).toMatchObject({ status: 'fulfilled', value: { written: true } });
    expect(await counts(projectId)).toEqual({ kept: 2, live: 2 });

    await db.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
    await expect(writer.writePage(projectId, good, page(good, 3), await writer.now())).resolves.toEqual({
      projectDeleted: true,
      written: false,
      inserted: false,
      tombstoned: false,
      lagSeconds: [],
    });
  });

  /** Whether a connection of this suite waits on a lock in a statement that starts with `sql`. */
  const waiting = async (sql: string) =>
    (
      await selectRows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = current_setting('application_name')
           AND wait_event_type = 'Lock' AND starts_with(query, $1)`,
        [sql],
      )
    )[0]!.n > 0;
  /** A write (one call of the SQL function: its page count comes after its mirror rows). */
  const PAGE_COUNT = 'SELECT mirror_write(';

  /**
   * Holds the project's sync row from another connection, so that a writer
   * stops at its last step (the page count) with its mirror rows locked.
   */
  const holdSyncRow = async (projectId: string): Promise<QueryRunner> => {
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT 1 FROM project_sync WHERE project_id = $1 FOR UPDATE`, [projectId]);
    return holder;
  };

  it('lets a deletion wait for a writer holding mirror rows, without a deadlock', async () => {
    const projectId = await create();
    const pageId = randomUUID();
    await writer.upsert(projectId, [page(pageId, 1)], await writer.now());
    const holder = await holdSyncRow(projectId);
    try {
      // The tombstone locks the mirror row, then waits for the sync row.
      const tombstoned = writer.tombstone(projectId, pageId, await writer.now());
      await waitFor(() => waiting(PAGE_COUNT), { what: 'the writer to wait' });
      // The deletion locks the project row, then cascades to notion_pages and project_sync (in an order
      // of Postgres' choosing): it must wait for the writer before it takes any of them.
      const deleted = db.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
      await waitFor(() => waiting('DELETE FROM projects'), { what: 'the deletion to wait' });
      await holder.commitTransaction();
      await expect(tombstoned).resolves.toBe(true);
      await deleted;
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect(await selectRows(db, `SELECT 1 FROM notion_pages WHERE project_id = $1`, [projectId])).toEqual([]);
    expect(await selectRows(db, `SELECT 1 FROM project_sync WHERE project_id = $1`, [projectId])).toEqual([]);
  });

  it('does not hold up edits of the project while it writes', async () => {
    const owner = randomUUID();
    const projectId = await create(owner);
    const holder = await holdSyncRow(projectId);
    try {
      const written = writer.upsert(projectId, [page(randomUUID(), 1)], await writer.now());
      await waitFor(() => waiting(PAGE_COUNT), { what: 'the writer to wait' });
      // The writer holds the project row (KEY SHARE) until it commits: a rename goes through meanwhile.
      await projects.update(owner, projectId, { name: 'renamed' });
      await holder.commitTransaction();
      await expect(written).resolves.toEqual({ written: 1 });
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect((await projects.get(owner, projectId)).name).toBe('renamed');
    expect(await counts(projectId)).toEqual({ kept: 1, live: 1 });
  });
});
