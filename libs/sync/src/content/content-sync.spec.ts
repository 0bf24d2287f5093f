import { describe, expect, it } from '@jest/globals';
import type { Client } from '@notionhq/client';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import type { NotionClientFactory } from '@app/notion';
import type { ProjectsService } from '@app/projects';
import type { MirrorWriter } from '../mirror.writer.js';
import type { ProjectSyncStore } from '../project-sync.store.js';
import { ContentSync } from './content-sync.js';
import type { ContentWriter } from './content.writer.js';

const ids = Array.from({ length: 50 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);

/** A backfill over 50 stale pages whose bodies Notion answers through `markdown`. */
function backfill(markdown: (pageId: string) => Promise<unknown>) {
  const written: string[] = [];
  const db = {
    // The work list: stale pages after $2, in page id order, $3 at most.
    query: async (_sql: string, [, after, limit]: [string, string | null, number]) =>
      ids
        .filter((id) => after === null || id > after)
        .slice(0, limit)
        .map((page_id) => ({ page_id })),
  } as unknown as DataSource;
  const client = { pages: { retrieveMarkdown: ({ page_id }: { page_id: string }) => markdown(page_id) } } as Client;
  const sync = new ContentSync(
    loadConfig({ CONTENT_BACKFILL_SLICE_SECONDS: '30' }),
    db,
    {
      notionBinding: async () => ({ notionDatabaseId: 'db', notionToken: 't', syncContent: true }),
    } as unknown as ProjectsService,
    { forToken: () => client } as unknown as NotionClientFactory,
    {
      write: async (_p: string, pageId: string) => {
        written.push(pageId);
        return { outcome: 'written', changed: true, version: '1' };
      },
    } as unknown as ContentWriter,
    { now: async () => new Date() } as unknown as MirrorWriter,
    { setContentError: async () => undefined } as unknown as ProjectSyncStore,
  );
  return { sync, written };
}

const body = (page_id: string) => ({
  object: 'page_markdown',
  id: page_id,
  markdown: 'x',
  truncated: false,
  unknown_block_ids: [],
});

describe('ContentSync.backfill', () => {
  it('works through the whole list in page id order, and leaves no follow-up at its end', async () => {
    const { sync, written } = backfill(async (id) => body(id));
    expect(await sync.backfill('p', 'c')).toEqual({ fetched: 50, changed: 50 });
    expect(written).toEqual(ids);
  });

  it('goes on after the page it is given (a follow-up)', async () => {
    const { sync, written } = backfill(async (id) => body(id));
    expect(await sync.backfill('p', 'c', ids[44])).toEqual({ fetched: 5, changed: 5 });
    expect(written).toEqual(ids.slice(45));
  });

  it('ends its slice at the next page once the app stops, leaving a follow-up after the last page it did', async () => {
    let stop: () => void = () => undefined;
    const { sync, written } = backfill(async (id) => {
      if (id === ids[2]) stop();
      return body(id);
    });
    stop = () => sync.stop();
    const outcome = await sync.backfill('p', 'c');
    expect(written).toEqual(ids.slice(0, 3));
    expect(outcome).toEqual({ fetched: 3, changed: 3, more: { after: ids[2] } });
  });
});
