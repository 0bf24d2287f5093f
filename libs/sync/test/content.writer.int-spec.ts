import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ConfigModule } from '@app/config';
import { DatabaseModule, selectRows } from '@app/database';
import { ProjectsModule, ProjectsService } from '@app/projects';
import {
  FileUrlCache,
  MirrorWriter,
  ProjectSyncStore,
  SyncStateModule,
  type MirrorRow,
  type PageBody,
} from '@app/sync';
import { ContentWriter } from '../src/content/content.writer.js';
import { testConfig } from '../../../test/jest/test-env.js';

/**
 * Page bodies on the real database: the ordering rule, versions only for a
 * changed body (a re-signed file URL is none), the page row's
 * contentVersion in the change feed, contentPending, and the file URL cache.
 */
describe('ContentWriter', () => {
  let moduleRef: TestingModule;
  let projects: ProjectsService;
  let mirror: MirrorWriter;
  let writer: ContentWriter;
  let cache: FileUrlCache;
  let store: ProjectSyncStore;
  let db: DataSource;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig()),
        DatabaseModule.forRoot('content-writer-int-spec'),
        SyncStateModule,
        ProjectsModule,
      ],
      providers: [ContentWriter],
    }).compile();
    projects = moduleRef.get(ProjectsService);
    mirror = moduleRef.get(MirrorWriter);
    writer = moduleRef.get(ContentWriter);
    cache = moduleRef.get(FileUrlCache);
    store = moduleRef.get(ProjectSyncStore);
    db = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  const create = async () =>
    (
      await projects.create(randomUUID(), {
        name: 'p',
        notionDatabaseId: randomUUID(),
        notionToken: 'secret_token_1',
      })
    ).project.id;

  const row = (pageId: string, minute: number, extra: Partial<MirrorRow> = {}): MirrorRow => ({
    pageId,
    dataSourceId: null,
    title: 't',
    properties: {},
    url: null,
    icon: null,
    createdTime: '2025-01-01T00:00:00.000Z',
    lastEditedTime: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(),
    inTrash: false,
    ...extra,
  });

  const identity = 'https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/file-1/cat.png';
  const body = (markdown: string, extra: Partial<PageBody> = {}): PageBody => ({
    markdown,
    truncated: false,
    truncatedReason: null,
    unknownBlocks: [],
    files: [],
    ...extra,
  });

  const pageRow = async (projectId: string, pageId: string) => {
    const [found] = await selectRows<{ version: string; content_version: string | null }>(
      db,
      `SELECT version::text, content_version::text FROM notion_pages WHERE project_id = $1 AND page_id = $2`,
      [projectId, pageId],
    );
    return found!;
  };

  const pending = async (projectId: string) => (await store.views([projectId])).get(projectId)!.contentPending;

  it('stores a body with a new version for the page row, and only when the body changed', async () => {
    const projectId = await create();
    const pageId = randomUUID();
    await mirror.upsert(projectId, [row(pageId, 1)], await mirror.now());
    const before = await pageRow(projectId, pageId);
    expect(before.content_version).toBeNull();
    expect(await pending(projectId)).toBe(1);

    const first = await writer.write(projectId, pageId, body(`# Hi\n\n![cat](${identity})`), await mirror.now());
    expect(first).toMatchObject({ outcome: 'written', changed: true });
    const afterFirst = await pageRow(projectId, pageId);
    // The page row moved with its body: the change feed carries the new contentVersion.
    expect(BigInt(afterFirst.version)).toBeGreaterThan(BigInt(before.version));
    expect(afterFirst.content_version).toBe(afterFirst.version);
    expect(first.outcome === 'written' && first.version).toBe(afterFirst.version);
    expect(await pending(projectId)).toBe(0);

    // The same body again (Notion re-signed its file URLs: the stored Markdown holds identities): no version.
    const again = await writer.write(projectId, pageId, body(`# Hi\n\n![cat](${identity})`), await mirror.now());
    expect(again).toEqual({ outcome: 'written', changed: false, version: afterFirst.version });
    expect(await pageRow(projectId, pageId)).toEqual(afterFirst);

    // A changed body, and a changed flag alone, each take a new version.
    const edited = await writer.write(projectId, pageId, body('# Hi there'), await mirror.now());
    expect(edited).toMatchObject({ outcome: 'written', changed: true });
    const flagged = await writer.write(
      projectId,
      pageId,
      body('# Hi there', { truncated: true, truncatedReason: 'size_cap' }),
      await mirror.now(),
    );
    expect(flagged).toMatchObject({ outcome: 'written', changed: true });
    expect(BigInt((await pageRow(projectId, pageId)).version)).toBeGreaterThan(BigInt(afterFirst.version));
  });

  it('drops a fetch that started before the stored one (a slow, older fetch never wins)', async () => {
    const projectId = await create();
    const pageId = randomUUID();
    await mirror.upsert(projectId, [row(pageId, 1)], await mirror.now());
    const older = await mirror.now();
    const newer = await mirror.now();
    expect(await writer.write(projectId, pageId, body('new'), newer)).toMatchObject({ outcome: 'written' });
    expect(await writer.write(projectId, pageId, body('old'), older)).toEqual({ outcome: 'older' });
    const [stored] = await selectRows<{ markdown: string }>(
      db,
      `SELECT markdown FROM page_contents WHERE project_id = $1 AND page_id = $2`,
      [projectId, pageId],
    );
    expect(stored!.markdown).toBe('new');
  });

  it('writes nothing for a page not mirrored, a tombstone, or a deleted project', async () => {
    const projectId = await create();
    expect(await writer.write(projectId, randomUUID(), body('x'), await mirror.now())).toEqual({ outcome: 'missing' });
    const trashed = randomUUID();
    await mirror.upsert(projectId, [row(trashed, 1, { inTrash: true })], await mirror.now());
    expect(await writer.write(projectId, trashed, body('x'), await mirror.now())).toEqual({ outcome: 'gone' });
    expect(await writer.write(randomUUID(), randomUUID(), body('x'), await mirror.now())).toEqual({
      outcome: 'projectDeleted',
    });
  });

  it('counts a body older than its page last edit as pending again', async () => {
    const projectId = await create();
    const pageId = randomUUID();
    await mirror.upsert(projectId, [row(pageId, 1)], await mirror.now());
    await writer.write(projectId, pageId, body('x'), await mirror.now());
    expect(await pending(projectId)).toBe(0);
    // Edited in Notion after the body's fetch (a far future minute stands for it).
    await mirror.upsert(projectId, [row(pageId, 60 * 24 * 365 * 5)], await mirror.now());
    expect(await pending(projectId)).toBe(1);
  });

  it('keeps the signed URL that expires last for each file of a page', async () => {
    const projectId = await create();
    const pageId = randomUUID();
    await mirror.upsert(projectId, [row(pageId, 1)], await mirror.now());
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);
    const seen = (url: string, expiresAt: Date) => [{ identity, url, expiresAt }];
    const key = (await import('@app/notion')).fileKey(identity);
    const cached = async (page: string) =>
      (
        await selectRows<{ url: string; source: string }>(
          db,
          `SELECT url, source FROM page_files WHERE project_id = $1 AND page_id = $2 AND file_key = $3`,
          [projectId, page, key],
        )
      )[0];
    await cache.save(projectId, pageId, 'content', seen(`${identity}?sig=late`, at(60)), new Date());
    await cache.save(projectId, pageId, 'content', seen(`${identity}?sig=early`, at(10)), new Date());
    expect(await cached(pageId)).toMatchObject({ url: `${identity}?sig=late`, source: 'content' });
    await cache.save(projectId, pageId, 'page', seen(`${identity}?sig=later`, at(70)), new Date());
    expect(await cached(pageId)).toMatchObject({ url: `${identity}?sig=later`, source: 'page' });
    // A page that is not mirrored caches nothing (and does not fail).
    await cache.save(projectId, randomUUID(), 'page', seen(`${identity}?sig=x`, at(60)), new Date());
  });
});
