import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signDevToken } from '@app/auth';
import { MirrorWriter, type MirrorRow } from '@app/sync';
import { createGatewayApp } from '../src/bootstrap.js';
import { testConfig } from '../../../test/jest/test-env.js';

interface Page {
  id: string;
  title: string;
  lastEditedTime: string;
  deletedAt: string | null;
  version: string;
  [field: string]: unknown;
}

/**
 * The read API over the mirror (pages, one page, the change feed), in process
 * against the real Postgres. Pages are written with the sync engine's own
 * MirrorWriter, so versions and tombstones are exactly what a sync produces.
 */
describe('pages API', () => {
  // Generous limits: the suite pages through long lists. Quiet: 4xx answers log warnings.
  const config = testConfig({ THROTTLE_LIMIT: '100000', THROTTLE_IP_LIMIT: '100000', LOG_LEVEL: 'error' });
  let app: NestFastifyApplication;
  let base: string;
  let writer: MirrorWriter;

  const call = async (user: string | null, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(user && {
          authorization: `Bearer ${signDevToken({ secret: config.auth.mode === 'secret' ? config.auth.secret : '', sub: user, ttlSeconds: 600 })}`,
        }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
    };
  };
  const get = (user: string, path: string) => call(user, 'GET', path);

  const newProject = async (owner: string): Promise<string> => {
    const res = await call(owner, 'POST', '/projects', {
      name: 'Tasks',
      notionDatabaseId: randomUUID(),
      notionToken: 'secret_token',
    });
    expect(res.status).toBe(201);
    return res.body!.id as string;
  };

  const row = (overrides: Partial<MirrorRow> = {}): MirrorRow => ({
    pageId: randomUUID(),
    dataSourceId: '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e',
    title: 'A task',
    properties: { Name: { id: 'title', type: 'title', title: [{ plain_text: overrides.title ?? 'A task' }] } },
    url: 'https://www.notion.so/A-task',
    icon: { type: 'emoji', emoji: '📌' },
    createdTime: '2026-01-01T09:00:00.000Z',
    lastEditedTime: '2026-03-01T10:00:00.000Z',
    inTrash: false,
    ...overrides,
  });
  const upsert = async (projectId: string, rows: MirrorRow[]) => writer.upsert(projectId, rows, await writer.now());
  const tombstone = async (projectId: string, pageId: string) =>
    writer.tombstone(projectId, pageId, await writer.now());

  /** Every page of a listing, following nextCursor to the end. */
  const listAll = async (user: string, projectId: string, query = '') => {
    const pages: Page[][] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams(query);
      if (cursor) params.set('cursor', cursor);
      const res = await get(user, `/projects/${projectId}/pages?${params}`);
      expect(res.status).toBe(200);
      pages.push(res.body!.items);
      cursor = res.body!.nextCursor;
    } while (cursor);
    return pages;
  };

  const feed = async (user: string, projectId: string, after: string, limit?: number) => {
    const res = await get(user, `/projects/${projectId}/changes?after=${after}${limit ? `&limit=${limit}` : ''}`);
    expect(res.status).toBe(200);
    return res.body as { items: Page[]; nextAfter: string; hasMore: boolean };
  };

  const expectProblem = (res: Awaited<ReturnType<typeof call>>, status: number, type = 'about:blank') => {
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, type });
  };

  beforeAll(async () => {
    app = await createGatewayApp(config);
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/v1`;
    writer = app.get(MirrorWriter);
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('list', () => {
    const owner = `user_${randomUUID()}`;
    let projectId: string;
    let rows: MirrorRow[];
    /** Newest edit first, ties by page id descending: the order the API promises. */
    let expected: string[];

    beforeAll(async () => {
      projectId = await newProject(owner);
      // 120 pages over four minutes: 30 share each (Notion rounds edit times to the minute).
      rows = Array.from({ length: 120 }, (_, i) =>
        row({ title: `Task ${i}`, lastEditedTime: `2026-03-01T10:0${i % 4}:00.000Z` }),
      );
      await upsert(projectId, rows);
      expected = [...rows]
        .sort((a, b) => b.lastEditedTime.localeCompare(a.lastEditedTime) || b.pageId.localeCompare(a.pageId))
        .map((r) => r.pageId);
    });

    it('pages 120 pages with tied edit times: each exactly once, newest first, stable', async () => {
      const pages = await listAll(owner, projectId, 'limit=7');
      expect(pages.map((p) => p.length)).toEqual([...Array(17).fill(7), 1]);
      const seen = pages.flat().map((p) => p.id);
      expect(seen).toEqual(expected);
      // The same walk again gives the same sequence; the default limit is 50.
      const again = await listAll(owner, projectId);
      expect(again.map((p) => p.length)).toEqual([50, 50, 20]);
      expect(again.flat().map((p) => p.id)).toEqual(expected);
    });

    it('answers pages with every field, and null nextCursor on the last page', async () => {
      const res = await get(owner, `/projects/${projectId}/pages?limit=100`);
      const first = rows.find((r) => r.pageId === expected[0])!;
      expect(res.body!.items[0]).toEqual({
        id: first.pageId,
        dataSourceId: first.dataSourceId,
        title: first.title,
        properties: first.properties,
        // No schema mirrored for this data source: values are named as the row's own properties.
        values: { Name: first.title },
        url: first.url,
        icon: first.icon,
        cover: null,
        createdTime: first.createdTime,
        lastEditedTime: first.lastEditedTime,
        inTrash: false,
        deletedAt: null,
        version: expect.stringMatching(/^\d+$/),
        // The body is not fetched yet (no worker runs in this suite).
        contentVersion: null,
        syncedAt: expect.any(String),
      });
      const last = await get(owner, `/projects/${projectId}/pages?limit=100&cursor=${res.body!.nextCursor}`);
      expect(last.body!.items).toHaveLength(20);
      expect(last.body!.nextCursor).toBeNull();
    });

    it('hides tombstones unless includeDeleted=true, which shows them with deletedAt', async () => {
      const own = await newProject(owner);
      const [live, gone, trashed] = [row({ title: 'live' }), row({ title: 'gone' }), row({ title: 'trashed' })];
      await upsert(own, [live, gone]);
      await tombstone(own, gone.pageId);
      await upsert(own, [{ ...trashed, inTrash: true }]);

      const visible = (await listAll(owner, own)).flat();
      expect(visible.map((p) => p.title)).toEqual(['live']);
      expect((await listAll(owner, own, 'includeDeleted=false')).flat()).toHaveLength(1);
      const all = (await listAll(owner, own, 'includeDeleted=true')).flat();
      expect(all.map((p) => p.title).sort()).toEqual(['gone', 'live', 'trashed']);
      const byTitle = Object.fromEntries(all.map((p) => [p.title, p]));
      expect(byTitle.gone!.deletedAt).toEqual(expect.any(String));
      expect(byTitle.trashed).toMatchObject({ inTrash: true, deletedAt: expect.any(String) });
      expect(byTitle.live!.deletedAt).toBeNull();

      for (const bad of ['yes', '1', ''])
        expectProblem(await get(owner, `/projects/${own}/pages?includeDeleted=${bad}`), 400);
    });

    it('filters by title: case-insensitive substring, wildcards taken literally', async () => {
      const own = await newProject(owner);
      const titles = ['Alpha plan', 'The ALPHA test', '100% done', '100 percent', 'a_b', 'axb', 'back\\slash', 'beta'];
      await upsert(
        own,
        titles.map((title) => row({ title })),
      );
      const search = async (q: string) =>
        (await listAll(owner, own, new URLSearchParams({ q }).toString()))
          .flat()
          .map((p) => p.title)
          .sort();
      expect(await search('alpha')).toEqual(['Alpha plan', 'The ALPHA test']);
      expect(await search('100%')).toEqual(['100% done']);
      expect(await search('%')).toEqual(['100% done']);
      expect(await search('a_b')).toEqual(['a_b']);
      expect(await search('\\')).toEqual(['back\\slash']);
      expect(await search('nothing like it')).toEqual([]);

      // Paging through a filtered list keeps the filter's order and completeness.
      const pages = await listAll(owner, own, 'q=a&limit=2');
      expect(
        pages
          .flat()
          .map((p) => p.title)
          .sort(),
      ).toEqual(titles.filter((t) => t.toLowerCase().includes('a')).sort());

      for (const q of ['', 'x'.repeat(201), 'a\u0000b']) {
        const res = await get(owner, `/projects/${own}/pages?${new URLSearchParams({ q })}`);
        expectProblem(res, 400);
        expect(res.body!.errors.map((e: { field: string }) => e.field)).toEqual(['q']);
      }
      expect((await get(owner, `/projects/${own}/pages?q=${'x'.repeat(200)}`)).status).toBe(200);
    });

    it('counts the title search in characters (code points), as Postgres does: 200 emoji fit, 201 do not', async () => {
      const own = await newProject(owner);
      await upsert(own, [row({ title: `Launch ${'🚀'.repeat(3)}` })]);
      const search = (q: string) => get(owner, `/projects/${own}/pages?${new URLSearchParams({ q })}`);
      expect((await search('🚀'.repeat(200))).status).toBe(200);
      expect((await search('🚀🚀')).body!.items.map((p: Page) => p.title)).toEqual([`Launch ${'🚀'.repeat(3)}`]);
      const tooLong = await search('🚀'.repeat(201));
      expectProblem(tooLong, 400);
      expect(tooLong.body!.errors.map((e: { field: string }) => e.field)).toEqual(['q']);
    });

    it("answers 404 for another user's project, the same as for one that does not exist", async () => {
      for (const path of [`/projects/${projectId}/pages`, `/projects/${randomUUID()}/pages`]) {
        const res = await get('intruder', path);
        expectProblem(res, 404, 'urn:notion-sync:problem:project-not-found');
        expect(res.body!.detail).toBe('No project with that id');
      }
    });

    it("refuses another project's cursor, a projects-list cursor and tampered cursors with 400", async () => {
      const first = await get(owner, `/projects/${projectId}/pages?limit=5`);
      const cursor: string = first.body!.nextCursor;
      const other = await newProject(owner);
      await upsert(other, [row()]);

      // Another user's cursor for the same project cannot exist; another project's is refused.
      const elsewhere = await get(owner, `/projects/${other}/pages?cursor=${encodeURIComponent(cursor)}`);
      expectProblem(elsewhere, 400, 'urn:notion-sync:problem:invalid-cursor');
      expect(elsewhere.body!.detail).toMatch(/cursor/);

      await newProject(owner);
      const projectsCursor: string = (await get(owner, '/projects?limit=1')).body!.nextCursor;
      expect(projectsCursor).toEqual(expect.any(String));
      const [payload, signature] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify(['2099-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url');
      for (const bad of [projectsCursor, `${forged}.${signature}`, `${payload}.${'A'.repeat(22)}`, 'garbage']) {
        const res = await get(owner, `/projects/${projectId}/pages?cursor=${encodeURIComponent(bad)}`);
        expectProblem(res, 400, 'urn:notion-sync:problem:invalid-cursor');
      }
    });

    it('answers 400 problem+json for unknown query fields, bad limits and a bad project id', async () => {
      const unknown = await get(owner, `/projects/${projectId}/pages?ownerId=someone`);
      expectProblem(unknown, 400);
      expect(unknown.body!.errors).toEqual([{ field: 'ownerId', messages: [expect.any(String)] }]);
      for (const limit of ['0', '101', 'ten', '1e1'])
        expectProblem(await get(owner, `/projects/${projectId}/pages?limit=${limit}`), 400);
      expect((await get(owner, `/projects/${projectId}/pages?limit=1&limit=2`)).status).toBe(400);
      const badId = await get(owner, '/projects/123/pages');
      expectProblem(badId, 400);
      expect(badId.body!.errors).toEqual([{ field: 'id', messages: ['id must be a UUID'] }]);
    });
  });

  describe('one page', () => {
    const owner = `user_${randomUUID()}`;
    let projectId: string;
    const page = row({
      title: 'Launch',
      properties: {
        Name: { id: 'title', type: 'title', title: [{ type: 'text', plain_text: 'Launch' }] },
        Status: { id: 'abc', type: 'status', status: { name: 'Done', color: 'green' } },
        Due: { id: 'def', type: 'date', date: { start: '2026-04-01', end: null } },
      },
    });

    beforeAll(async () => {
      projectId = await newProject(owner);
      await upsert(projectId, [page]);
    });

    it('answers the page with its properties, by dashed or plain, upper- or lower-case id', async () => {
      const res = await get(owner, `/projects/${projectId}/pages/${page.pageId}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: page.pageId,
        title: 'Launch',
        properties: page.properties,
        icon: page.icon,
        deletedAt: null,
      });
      for (const id of [page.pageId.replace(/-/g, ''), page.pageId.toUpperCase()])
        expect((await get(owner, `/projects/${projectId}/pages/${id}`)).body).toEqual(res.body);
    });

    it('still answers a page that left the database, with deletedAt set', async () => {
      const gone = row();
      await upsert(projectId, [gone]);
      await tombstone(projectId, gone.pageId);
      const res = await get(owner, `/projects/${projectId}/pages/${gone.pageId}`);
      expect(res.status).toBe(200);
      expect(res.body!.deletedAt).toEqual(expect.any(String));
    });

    it('answers 404 page-not-found for a page not mirrored here, 404 project-not-found to others', async () => {
      expectProblem(
        await get(owner, `/projects/${projectId}/pages/${randomUUID()}`),
        404,
        'urn:notion-sync:problem:page-not-found',
      );
      // A page of another project of the same owner is not found through this one.
      const other = await newProject(owner);
      expectProblem(
        await get(owner, `/projects/${other}/pages/${page.pageId}`),
        404,
        'urn:notion-sync:problem:page-not-found',
      );
      expectProblem(
        await get('intruder', `/projects/${projectId}/pages/${page.pageId}`),
        404,
        'urn:notion-sync:problem:project-not-found',
      );
    });

    it('answers 400 for a page id that is not one', async () => {
      for (const id of ['123', `${page.pageId}0`, 'zz'.repeat(16)]) {
        const res = await get(owner, `/projects/${projectId}/pages/${id}`);
        expectProblem(res, 400);
        expect(res.body!.errors.map((e: { field: string }) => e.field)).toEqual(['pageId']);
      }
    });
  });

  describe('changes', () => {
    const owner = `user_${randomUUID()}`;
    let projectId: string;
    let rows: MirrorRow[];

    beforeAll(async () => {
      projectId = await newProject(owner);
      rows = Array.from({ length: 25 }, (_, i) => row({ title: `Row ${i}` }));
      // Several writes, so versions come from several transactions.
      for (let i = 0; i < 25; i += 5) await upsert(projectId, rows.slice(i, i + 5));
    });

    it('lists every row after 0 in version order, then nothing new from nextAfter', async () => {
      const all = await feed(owner, projectId, '0');
      expect(all.hasMore).toBe(false);
      expect(all.items.map((c) => c.id).sort()).toEqual(rows.map((r) => r.pageId).sort());
      const versions = all.items.map((c) => BigInt(c.version));
      for (let i = 1; i < versions.length; i++) expect(versions[i]! > versions[i - 1]!).toBe(true);
      expect(all.nextAfter).toBe(all.items[24]!.version);

      const none = await feed(owner, projectId, all.nextAfter);
      expect(none).toEqual({ items: [], nextAfter: all.nextAfter, hasMore: false });
      // The default after is 0.
      expect((await get(owner, `/projects/${projectId}/changes`)).body!.items).toHaveLength(25);
    });

    it('pages by limit with hasMore, each row once', async () => {
      const batches: Array<{ size: number; hasMore: boolean }> = [];
      const seen: string[] = [];
      let after = '0';
      for (;;) {
        const batch = await feed(owner, projectId, after, 10);
        batches.push({ size: batch.items.length, hasMore: batch.hasMore });
        seen.push(...batch.items.map((c) => c.id));
        after = batch.nextAfter;
        if (!batch.hasMore) break;
      }
      expect(batches).toEqual([
        { size: 10, hasMore: true },
        { size: 10, hasMore: true },
        { size: 5, hasMore: false },
      ]);
      expect(new Set(seen).size).toBe(25);
    });

    it('shows a later edit, a tombstone and a new page after the previous nextAfter, exactly once each', async () => {
      const start = (await feed(owner, projectId, '0', 1000)).nextAfter;
      const edited = { ...rows[3]!, title: 'Edited', lastEditedTime: '2026-03-01T11:00:00.000Z' };
      const added = row({ title: 'Added' });
      await upsert(projectId, [edited]);
      await tombstone(projectId, rows[7]!.pageId);
      await upsert(projectId, [added]);
      // A second edit of the same page before the client asks: a compacted log shows it once, latest.
      await upsert(projectId, [{ ...edited, title: 'Edited twice', lastEditedTime: '2026-03-01T11:01:00.000Z' }]);

      const next = await feed(owner, projectId, start);
      expect(next.hasMore).toBe(false);
      expect(next.items.map((c) => [c.id, c.title, c.deletedAt !== null])).toEqual([
        [rows[7]!.pageId, 'Row 7', true],
        [added.pageId, 'Added', false],
        [edited.pageId, 'Edited twice', false],
      ]);
      expect(next.nextAfter).toBe(next.items[2]!.version);
      // Nothing is repeated from there on.
      expect((await feed(owner, projectId, next.nextAfter)).items).toEqual([]);
      // Tombstones are in the feed from 0 too, once, with their latest state.
      const all = await feed(owner, projectId, '0', 1000);
      expect(all.items).toHaveLength(26);
      expect(all.items.filter((c) => c.deletedAt !== null).map((c) => c.id)).toEqual([rows[7]!.pageId]);
    });

    it('answers 400 problem+json for an invalid after or limit, 404 to others', async () => {
      for (const query of [
        'after=abc',
        'after=-1',
        'after=1.5',
        'after=',
        `after=${'9'.repeat(20)}`,
        'after=9223372036854775808',
        'limit=0',
        'limit=1001',
        'since=0',
      ])
        expectProblem(await get(owner, `/projects/${projectId}/changes?${query}`), 400);
      const max = await feed(owner, projectId, '9223372036854775807');
      expect(max).toEqual({ items: [], nextAfter: '9223372036854775807', hasMore: false });
      expect((await feed(owner, projectId, '000')).items.length).toBeGreaterThan(0);
      expectProblem(
        await get('intruder', `/projects/${projectId}/changes?after=0`),
        404,
        'urn:notion-sync:problem:project-not-found',
      );
    });
  });

  it('needs a token', async () => {
    const res = await call(null, 'GET', `/projects/${randomUUID()}/changes`);
    expectProblem(res, 401);
  });
});
