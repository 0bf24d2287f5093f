import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { APIResponseError, Client, collectPaginatedAPI, isFullPage } from '@notionhq/client';
import { FakeNotion } from './fake-notion.js';

/** The fake speaks Notion's wire format: checked with the real SDK. */
describe('FakeNotion', () => {
  const notion = new FakeNotion();
  let client: Client;
  let databaseId: string;
  let dataSourceIds: string[];

  const sdk = (auth: string) => new Client({ auth, baseUrl: notion.url, notionVersion: '2026-03-11', retry: false });

  beforeAll(async () => {
    await notion.start();
    ({ databaseId, dataSourceIds } = notion.addDatabase('Tasks', ['Open', 'Done']));
    notion.share('secret_good', databaseId);
    notion.share('secret_other');
    for (let i = 0; i < 250; i++)
      notion.addPage(dataSourceIds[i % 2]!, `Task ${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)));
    client = sdk('secret_good');
  });

  afterAll(async () => {
    await notion.stop();
  });

  it('retrieves a database with its data sources', async () => {
    const db = await client.databases.retrieve({ database_id: databaseId });
    expect(db).toMatchObject({
      object: 'database',
      id: databaseId,
      data_sources: [{ name: 'Open' }, { name: 'Done' }],
    });
  });

  it('pages through a data source with cursors, 100 at a time', async () => {
    const rows = await collectPaginatedAPI(client.dataSources.query, {
      data_source_id: dataSourceIds[0]!,
      page_size: 100,
    });
    expect(rows).toHaveLength(125);
    expect(new Set(rows.map((r) => r.id)).size).toBe(125);
    expect(notion.requests.filter((r) => r.path.endsWith('/query')).length).toBe(2);
  });

  it('retrieves a full page with minute-rounded times, and filters by last_edited_time', async () => {
    const [first] = (await client.dataSources.query({ data_source_id: dataSourceIds[1]!, page_size: 1 })).results;
    const page = await client.pages.retrieve({ page_id: first!.id });
    expect(isFullPage(page)).toBe(true);
    if (isFullPage(page)) expect(page.last_edited_time).toMatch(/:00\.000Z$/);
    notion.editPage(first!.id, { title: 'Edited' }, new Date(Date.UTC(2026, 5, 1, 12, 30, 45)));
    const edited = await client.dataSources.query({
      data_source_id: dataSourceIds[1]!,
      filter: { timestamp: 'last_edited_time', last_edited_time: { on_or_after: '2026-06-01T12:30:00Z' } },
    });
    expect(edited.results.map((r) => r.id)).toEqual([first!.id]);
  });

  it('answers 401 unauthorized for an unknown token and 404 object_not_found for an unshared database, as the SDK expects', async () => {
    await expect(sdk('secret_bad').databases.retrieve({ database_id: databaseId })).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    const unshared = sdk('secret_other').databases.retrieve({ database_id: databaseId });
    await expect(unshared).rejects.toBeInstanceOf(APIResponseError);
    await expect(unshared).rejects.toMatchObject({ code: 'object_not_found', status: 404 });
  });
});
