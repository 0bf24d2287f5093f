import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { crc32, inflateSync } from 'node:zlib';
import {
  APIResponseError,
  Client,
  collectPaginatedAPI,
  isFullPage,
  iterateAllDataSourceRows,
  iteratePaginatedAPI,
  LogLevel,
  UnknownHTTPResponseError,
  verifyWebhookSignature,
  type GetPagePropertyParameters,
  type PageObjectResponse,
} from '@notionhq/client';
import { waitFor } from '../wait-for.js';
import { DEMO_DATABASE_ID, DEMO_DATA_SOURCE_IDS, DEMO_TOKEN, seedDemoWorkspace } from './demo-workspace.js';
import { FakeNotion, type FakeBlock, type LoggedRequest } from './fake-notion.js';

const { prop } = FakeNotion;
const VERSION = '2026-03-11';
const minute = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i));

/** The real SDK against the fake; retries off unless a test asks for them. */
const sdk = (notion: FakeNotion, auth: string, retry: ConstructorParameters<typeof Client>[0] = {}) =>
  new Client({
    auth,
    baseUrl: notion.url,
    notionVersion: VERSION,
    retry: false,
    logLevel: LogLevel.ERROR,
    ...retry,
  });

const titleOf = (page: unknown) => (page as any).properties.Name.title.map((t: any) => t.plain_text).join('');

/** `pages.properties.retrieve`, narrowed to the list form so the SDK's pagination helpers accept it. */
const listProperty = (client: Client) => async (args: GetPagePropertyParameters) => {
  const response = await client.pages.properties.retrieve(args);
  if (response.object !== 'list') throw new Error(`expected a property item list, got ${response.type}`);
  return response;
};

const statuses = (requests: LoggedRequest[]) => requests.map((r) => r.status);

/** The fake speaks Notion's wire format: checked with the real SDK. */
describe('FakeNotion', () => {
  const notion = new FakeNotion();
  let client: Client;
  let databaseId: string;
  let dataSourceIds: string[];

  beforeAll(async () => {
    await notion.start();
    ({ databaseId, dataSourceIds } = notion.addDatabase('Tasks', ['Open', 'Done']));
    notion.share('secret_good', databaseId);
    notion.share('secret_other');
    for (let i = 0; i < 250; i++) notion.addPage(dataSourceIds[i % 2]!, `Task ${i}`, minute(i));
    client = sdk(notion, 'secret_good');
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
    const ds = await client.dataSources.retrieve({ data_source_id: dataSourceIds[1]! });
    expect(ds).toMatchObject({
      object: 'data_source',
      title: [{ plain_text: 'Done' }],
      parent: { database_id: databaseId },
      properties: { Name: { id: 'title', type: 'title' } },
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
    expect((edited.results[0] as PageObjectResponse).last_edited_time).toBe('2026-06-01T12:30:00.000Z');
  });

  it('answers 401 unauthorized for an unknown token and 404 object_not_found for an unshared database, as the SDK expects', async () => {
    await expect(sdk(notion, 'secret_bad').databases.retrieve({ database_id: databaseId })).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    const unshared = sdk(notion, 'secret_other').databases.retrieve({ database_id: databaseId });
    await expect(unshared).rejects.toBeInstanceOf(APIResponseError);
    await expect(unshared).rejects.toMatchObject({ code: 'object_not_found', status: 404 });
  });

  it('accepts ids without dashes, as Notion does', async () => {
    const page = await client.pages.retrieve({ page_id: notion.listPages(dataSourceIds[0]!)[0]!.id.replace(/-/g, '') });
    expect(page.id).toBe(notion.listPages(dataSourceIds[0]!)[0]!.id);
  });
});

describe('FakeNotion property items', () => {
  const notion = new FakeNotion();
  let client: Client;
  let dataSourceId: string;
  let pageId: string;
  const related: string[] = [];
  const people = Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const segments = Array.from({ length: 30 }, (_, i) => `part ${i}. `);

  beforeAll(async () => {
    await notion.start();
    const { databaseId, dataSourceIds } = notion.addDatabase('Big', ['Rows']);
    dataSourceId = dataSourceIds[0]!;
    notion.share('secret_props', databaseId);
    for (let i = 0; i < 60; i++) related.push(notion.addPage(dataSourceId, `Target ${i}`, minute(i)).id);
    pageId = notion.addPage(dataSourceId, 'Hub', {
      at: minute(100),
      properties: {
        Related: prop.relation(related),
        Owners: prop.people(people),
        Notes: prop.richText(segments),
        Estimate: prop.number(5),
        Status: prop.select('Done', 'green'),
        Due: prop.date('2026-02-01'),
        Shipped: prop.checkbox(true),
      },
    }).id;
    client = sdk(notion, 'secret_props');
  });

  afterAll(async () => {
    await notion.stop();
  });

  it('cuts list properties to 25 items in the page object, with has_more on a relation', async () => {
    const page = await client.pages.retrieve({ page_id: pageId });
    if (!isFullPage(page)) throw new Error('not a full page');
    const props = page.properties as Record<string, any>;
    expect(props.Related).toMatchObject({ type: 'relation', has_more: true });
    expect(props.Related.relation.map((r: { id: string }) => r.id)).toEqual(related.slice(0, 25));
    expect(props.Owners.people).toHaveLength(25);
    expect(props.Notes.rich_text).toHaveLength(25);
    expect(props.Estimate).toEqual({ id: expect.any(String), type: 'number', number: 5 });
    expect(props.Status.select).toMatchObject({ name: 'Done', color: 'green' });
    expect(props.Due.date).toEqual({ start: '2026-02-01', end: null, time_zone: null });
    expect(props.Shipped.checkbox).toBe(true);
    // The stored value stays whole.
    const stored = notion.getPage(pageId)!.properties['Related'];
    expect(stored?.type === 'relation' && stored.relation.map((r) => r.id)).toEqual(related);
  });

  it('serves a 60-item relation whole through the property endpoint, 25 per page', async () => {
    const page = await client.pages.retrieve({ page_id: pageId });
    const propertyId = (page as any).properties.Related.id as string;
    expect(propertyId).toBe(notion.propertyId(dataSourceId, 'Related'));
    notion.clearRequests();

    const first = await listProperty(client)({ page_id: pageId, property_id: propertyId, page_size: 25 });
    expect(first).toMatchObject({
      object: 'list',
      type: 'property_item',
      has_more: true,
      next_cursor: expect.any(String),
      property_item: {
        id: propertyId,
        type: 'relation',
        relation: {},
        next_url: expect.stringContaining('start_cursor='),
      },
    });
    expect(first.results[0]).toEqual({
      object: 'property_item',
      id: propertyId,
      type: 'relation',
      relation: { id: related[0] },
    });

    const items = await collectPaginatedAPI(listProperty(client), {
      page_id: pageId,
      property_id: propertyId,
      page_size: 25,
    });
    expect(items.map((item) => (item.type === 'relation' ? item.relation.id : undefined))).toEqual(related);
    expect(notion.requests.filter((r) => r.path.includes('/properties/')).length).toBe(1 + 3);
  });

  it('paginates people and rich text too, and the title is a one-item list', async () => {
    const ids = (name: string) => notion.propertyId(dataSourceId, name);
    const owners: string[] = [];
    for await (const item of iteratePaginatedAPI(listProperty(client), { page_id: pageId, property_id: ids('Owners') }))
      if (item.type === 'people') owners.push(item.people.id);
    expect(owners).toEqual(people);

    const notes = await collectPaginatedAPI(listProperty(client), {
      page_id: pageId,
      property_id: ids('Notes'),
      page_size: 7,
    });
    expect(notes.map((n) => (n.type === 'rich_text' ? n.rich_text.plain_text : '')).join('')).toBe(segments.join(''));

    const title = await listProperty(client)({ page_id: pageId, property_id: 'title' });
    expect(title.results).toEqual([
      expect.objectContaining({
        object: 'property_item',
        type: 'title',
        title: expect.objectContaining({ plain_text: 'Hub' }),
      }),
    ]);
    expect(title.has_more).toBe(false);
  });

  it('answers a single property item for other types', async () => {
    const estimate = await client.pages.properties.retrieve({
      page_id: pageId,
      property_id: notion.propertyId(dataSourceId, 'Estimate'),
    });
    expect(estimate).toEqual({
      object: 'property_item',
      id: notion.propertyId(dataSourceId, 'Estimate'),
      type: 'number',
      number: 5,
    });
    const status = await client.pages.properties.retrieve({
      page_id: pageId,
      property_id: notion.propertyId(dataSourceId, 'Status'),
    });
    expect(status).toMatchObject({ object: 'property_item', type: 'select', select: { name: 'Done' } });
  });

  it('refuses an unknown property (404) and a cursor of another property (400)', async () => {
    await expect(client.pages.properties.retrieve({ page_id: pageId, property_id: 'nope' })).rejects.toMatchObject({
      status: 404,
      code: 'object_not_found',
    });
    const { next_cursor } = await listProperty(client)({
      page_id: pageId,
      property_id: notion.propertyId(dataSourceId, 'Related'),
      page_size: 5,
    });
    await expect(
      client.pages.properties.retrieve({
        page_id: pageId,
        property_id: notion.propertyId(dataSourceId, 'Owners'),
        start_cursor: next_cursor!,
      }),
    ).rejects.toMatchObject({ status: 400, code: 'validation_error' });
  });
});

describe('FakeNotion queries: sorts, filters, cursors, trash', () => {
  const notion = new FakeNotion();
  let client: Client;
  let dataSourceId: string;
  let pages: string[];

  beforeAll(async () => {
    await notion.start();
    const { databaseId, dataSourceIds } = notion.addDatabase('Sorted', ['Rows']);
    dataSourceId = dataSourceIds[0]!;
    notion.share('secret_query', databaseId);
    // Created one a minute from 00:00; edited in reverse order, so the two sorts disagree.
    pages = notion.addPages(dataSourceId, 30, { start: minute(0), title: (i) => `Row ${i}` }).map((p) => p.id);
    pages.forEach((id, i) => notion.editPage(id, { title: `Row ${i}` }, new Date(Date.UTC(2026, 1, 1, 0, 30 - i))));
    client = sdk(notion, 'secret_query');
  });

  afterAll(async () => {
    await notion.stop();
  });

  const ids = async (args: Omit<Parameters<Client['dataSources']['query']>[0], 'data_source_id'>) =>
    (await collectPaginatedAPI(client.dataSources.query, { data_source_id: dataSourceId, ...args })).map((r) => r.id);

  it('sorts by created_time and last_edited_time, both directions; no sorts means newest created first', async () => {
    expect(await ids({ sorts: [{ timestamp: 'created_time', direction: 'ascending' }] })).toEqual(pages);
    expect(await ids({ sorts: [{ timestamp: 'created_time', direction: 'descending' }] })).toEqual(
      [...pages].reverse(),
    );
    expect(await ids({ sorts: [{ timestamp: 'last_edited_time', direction: 'descending' }] })).toEqual(pages);
    expect(await ids({ sorts: [{ timestamp: 'last_edited_time', direction: 'ascending' }] })).toEqual(
      [...pages].reverse(),
    );
    expect(await ids({})).toEqual([...pages].reverse());
  });

  it('filters on created_time and last_edited_time, alone and in and/or groups', async () => {
    const asc = [{ timestamp: 'created_time', direction: 'ascending' }] as const;
    const created = (condition: Record<string, string>) =>
      ({ timestamp: 'created_time', created_time: condition }) as any;
    const edited = (condition: Record<string, string>) =>
      ({ timestamp: 'last_edited_time', last_edited_time: condition }) as any;

    expect(await ids({ sorts: [...asc], filter: created({ after: minute(27).toISOString() }) })).toEqual(
      pages.slice(28),
    );
    expect(await ids({ sorts: [...asc], filter: created({ on_or_before: minute(1).toISOString() }) })).toEqual(
      pages.slice(0, 2),
    );
    expect(await ids({ sorts: [...asc], filter: created({ equals: minute(5).toISOString() }) })).toEqual([pages[5]]);
    expect(await ids({ sorts: [...asc], filter: created({ equals: '2026-01-01' }) })).toEqual(pages);
    expect(
      await ids({
        sorts: [...asc],
        filter: {
          and: [created({ on_or_after: minute(10).toISOString() }), created({ before: minute(20).toISOString() })],
        },
      }),
    ).toEqual(pages.slice(10, 20));
    // Edited 00:30 - i: on_or_after 00:25 is rows 0..5; created before 00:03 narrows to 0..2.
    expect(
      await ids({
        sorts: [...asc],
        filter: {
          and: [
            edited({ on_or_after: new Date(Date.UTC(2026, 1, 1, 0, 25)).toISOString() }),
            created({ before: minute(3).toISOString() }),
          ],
        },
      }),
    ).toEqual(pages.slice(0, 3));
    expect(
      await ids({
        sorts: [...asc],
        filter: { or: [created({ equals: minute(0).toISOString() }), created({ equals: minute(29).toISOString() })] },
      }),
    ).toEqual([pages[0], pages[29]]);
  });

  it('refuses filters and sorts it cannot evaluate with 400 validation_error', async () => {
    const refused = [
      client.dataSources.query({
        data_source_id: dataSourceId,
        filter: { property: 'Status', select: { equals: 'Done' } },
      }),
      client.dataSources.query({ data_source_id: dataSourceId, sorts: [{ property: 'Nope', direction: 'ascending' }] }),
      client.dataSources.query({
        data_source_id: dataSourceId,
        filter: { timestamp: 'created_time', created_time: { past_fortnight: {} } as any },
      }),
      client.dataSources.query({
        data_source_id: dataSourceId,
        filter: { timestamp: 'created_time', created_time: { after: 'yesterday-ish' } },
      }),
      client.dataSources.query({ data_source_id: dataSourceId, page_size: 101 }),
    ];
    for (const request of refused)
      await expect(request).rejects.toMatchObject({ status: 400, code: 'validation_error' });
  });

  it('keeps cursors correct: small pages cover the query exactly, and a cursor only works for its own query', async () => {
    const sorts = [{ timestamp: 'last_edited_time', direction: 'ascending' }] as const;
    expect(await ids({ sorts: [...sorts], page_size: 7 })).toEqual([...pages].reverse());

    const first = await client.dataSources.query({ data_source_id: dataSourceId, sorts: [...sorts], page_size: 7 });
    expect(first.next_cursor).toEqual(expect.any(String));
    await expect(
      client.dataSources.query({
        data_source_id: dataSourceId,
        sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
        start_cursor: first.next_cursor!,
      }),
    ).rejects.toMatchObject({ status: 400, code: 'validation_error' });
    await expect(
      client.dataSources.query({ data_source_id: dataSourceId, start_cursor: 'not-a-cursor' }),
    ).rejects.toMatchObject({ status: 400, code: 'validation_error' });
  });

  it('keeps cursors stable when a row is added in front of the position', async () => {
    const sorts = [{ timestamp: 'created_time', direction: 'ascending' }] as const;
    const first = await client.dataSources.query({ data_source_id: dataSourceId, sorts: [...sorts], page_size: 10 });
    // An index-based cursor would now repeat row 9; a keyset cursor carries on at row 10.
    const early = notion.addPage(dataSourceId, 'Early', new Date(Date.UTC(2025, 11, 31)));
    const rest = await collectPaginatedAPI(client.dataSources.query, {
      data_source_id: dataSourceId,
      sorts: [...sorts],
      page_size: 10,
      start_cursor: first.next_cursor!,
    });
    expect([...first.results, ...rest].map((r) => r.id)).toEqual(pages);
    notion.trashPage(early.id);
  });

  it('never returns trashed pages; trash and restore update last_edited_time', async () => {
    const id = pages[3]!;
    const trashed = notion.trashPage(id, new Date(Date.UTC(2026, 2, 1, 9, 15, 30)));
    expect(trashed).toMatchObject({ inTrash: true, lastEditedTime: '2026-03-01T09:15:00.000Z' });
    expect(await ids({})).not.toContain(id);
    expect(await ids({})).toHaveLength(29);
    const page = await client.pages.retrieve({ page_id: id });
    expect(page).toMatchObject({ in_trash: true, last_edited_time: '2026-03-01T09:15:00.000Z' });

    notion.restorePage(id, new Date(Date.UTC(2026, 2, 1, 9, 20)));
    expect(await ids({})).toContain(id);
    expect(await client.pages.retrieve({ page_id: id })).toMatchObject({
      in_trash: false,
      last_edited_time: '2026-03-01T09:20:00.000Z',
    });
  });
});

describe('FakeNotion per-query result cap', () => {
  const notion = new FakeNotion({ resultCap: 250 });
  let client: Client;
  let perMinute: string;
  let fourPerMinute: string;

  beforeAll(async () => {
    await notion.start();
    const { databaseId, dataSourceIds } = notion.addDatabase('Large', ['One a minute', 'Four a minute']);
    [perMinute, fourPerMinute] = dataSourceIds as [string, string];
    notion.share('secret_cap', databaseId);
    notion.addPages(perMinute, 600, { start: minute(0), stepMs: 60_000 });
    notion.addPages(fourPerMinute, 600, { start: minute(0), stepMs: 15_000 });
    client = sdk(notion, 'secret_cap');
  });

  afterAll(async () => {
    await notion.stop();
  });

  it('stops one query at the cap with request_status incomplete, across its cursors', async () => {
    const sorts = [{ timestamp: 'created_time', direction: 'ascending' }] as const;
    const responses = [];
    let cursor: string | undefined;
    do {
      const response = await client.dataSources.query({
        data_source_id: perMinute,
        sorts: [...sorts],
        page_size: 100,
        start_cursor: cursor,
      });
      responses.push(response);
      cursor = response.next_cursor ?? undefined;
    } while (cursor && responses.length < 10); // bounded: a broken cap must fail, not hang
    expect(responses.map((r) => r.results.length)).toEqual([100, 100, 50]);
    expect(responses.map((r) => r.request_status?.type)).toEqual(['complete', 'complete', 'incomplete']);
    expect(responses[2]).toMatchObject({
      has_more: false,
      next_cursor: null,
      request_status: { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' },
    });

    // Another filter is another query, with its own budget.
    const last = responses[2]!.results.at(-1) as PageObjectResponse;
    const next = await collectPaginatedAPI(client.dataSources.query, {
      data_source_id: perMinute,
      sorts: [...sorts],
      filter: { timestamp: 'created_time', created_time: { after: last.created_time } },
    });
    expect(next).toHaveLength(250);
    expect((next[0] as PageObjectResponse).created_time).toBe(minute(250).toISOString());
  });

  it('says complete when the rows end exactly at or under the cap', async () => {
    const under = await collectPaginatedAPI(client.dataSources.query, {
      data_source_id: perMinute,
      filter: { timestamp: 'created_time', created_time: { before: minute(250).toISOString() } },
    });
    expect(under).toHaveLength(250);
    const response = await client.dataSources.query({
      data_source_id: perMinute,
      filter: { timestamp: 'created_time', created_time: { before: minute(250).toISOString() } },
      page_size: 50,
      start_cursor: undefined,
    });
    expect(response.request_status).toEqual({ type: 'complete' });
  });

  it('lets the SDK helper iterateAllDataSourceRows past the cap, every row once, even with rows sharing a minute', async () => {
    for (const dataSourceId of [perMinute, fourPerMinute]) {
      const seen: string[] = [];
      for await (const row of iterateAllDataSourceRows(client, { data_source_id: dataSourceId })) seen.push(row.id);
      expect(seen).toHaveLength(600);
      expect(new Set(seen)).toEqual(new Set(notion.listPages(dataSourceId).map((p) => p.id)));
    }
  });

  it('with the default cap of 10,000, yields 12,000 rows exactly once through iterateAllDataSourceRows, fast', async () => {
    const big = new FakeNotion();
    await big.start();
    try {
      const { databaseId, dataSourceIds } = big.addDatabase('Huge', ['Rows']);
      big.share('secret_huge', databaseId);
      const seeded = Date.now();
      big.addPages(dataSourceIds[0]!, 12_000, { start: new Date(Date.UTC(2024, 0, 1)), stepMs: 60_000 });
      const seedMs = Date.now() - seeded;

      const started = Date.now();
      const seen = new Set<string>();
      let count = 0;
      for await (const row of iterateAllDataSourceRows(sdk(big, 'secret_huge'), {
        data_source_id: dataSourceIds[0]!,
      })) {
        seen.add(row.id);
        count++;
      }
      const elapsed = Date.now() - started;

      expect(count).toBe(12_000);
      expect(seen.size).toBe(12_000);
      // 100 requests reach the cap; the second window (from the 10,000th row's minute) is 2,001 rows in 21.
      const queries = big.requests.filter((r) => r.path.endsWith('/query'));
      expect(queries).toHaveLength(121);
      expect((queries[100]!.body as any).filter).toEqual({
        timestamp: 'created_time',
        created_time: { on_or_after: new Date(Date.UTC(2024, 0, 1) + 9_999 * 60_000).toISOString() },
      });
      expect(seedMs).toBeLessThan(2_000);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await big.stop();
    }
  }, 60_000);
});

describe('FakeNotion rate limits and faults', () => {
  const notion = new FakeNotion();
  let databaseId: string;
  let dataSourceId: string;
  let pageId: string;
  const raw = (token: string) =>
    fetch(`${notion.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}`, 'notion-version': VERSION } });

  beforeAll(async () => {
    await notion.start();
    ({
      databaseId,
      dataSourceIds: [dataSourceId],
    } = notion.addDatabase('Faults', ['Rows']) as { databaseId: string; dataSourceIds: [string] });
    for (const token of ['secret_a', 'secret_b', 'secret_storm', 'secret_revoked', 'secret_unshared'])
      notion.share(token, databaseId);
    pageId = notion.addPage(dataSourceId, 'Target', minute(1)).id;
  });

  afterAll(async () => {
    await notion.stop();
  });

  it('answers an injected 429 storm with Retry-After, which the SDK honours and retries', async () => {
    notion.injectRateLimited({ count: 2, retryAfterSeconds: 0, token: 'secret_storm' });
    notion.clearRequests();
    const retrying = sdk(notion, 'secret_storm', { retry: { maxRetries: 2, initialRetryDelayMs: 10 } });
    await expect(retrying.databases.retrieve({ database_id: databaseId })).resolves.toMatchObject({ id: databaseId });
    expect(statuses(notion.requests)).toEqual([429, 429, 200]);

    notion.injectRateLimited({ count: 2, retryAfterSeconds: 0 });
    const oneRetry = sdk(notion, 'secret_a', { retry: { maxRetries: 1, initialRetryDelayMs: 10 } });
    const failed = oneRetry.databases.retrieve({ database_id: databaseId });
    await expect(failed).rejects.toBeInstanceOf(APIResponseError);
    await expect(failed).rejects.toMatchObject({ status: 429, code: 'rate_limited' });

    notion.injectRateLimited({ retryAfterSeconds: 7 });
    const response = await raw('secret_b');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toMatchObject({ object: 'error', status: 429, code: 'rate_limited' });
  });

  it('scopes an injected storm to its token', async () => {
    notion.injectRateLimited({ count: 1, token: 'secret_b' });
    expect((await raw('secret_a')).status).toBe(200);
    expect((await raw('secret_b')).status).toBe(429);
    expect((await raw('secret_b')).status).toBe(200);
  });

  it('rate-limits each token with its own bucket when enabled', async () => {
    notion.rateLimit({ perSecond: 2, burst: 3 });
    try {
      const burst = await Promise.all(Array.from({ length: 5 }, () => raw('secret_a')));
      expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429]);
      const limited = burst.find((r) => r.status === 429)!;
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(await limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
      // Another integration is not slowed by this one.
      expect((await raw('secret_b')).status).toBe(200);

      // The SDK waits Retry-After (1 s) and gets through.
      const started = Date.now();
      const retrying = sdk(notion, 'secret_a', { retry: { maxRetries: 2, initialRetryDelayMs: 10 } });
      await expect(retrying.pages.retrieve({ page_id: pageId })).resolves.toMatchObject({ id: pageId });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      notion.rateLimit(null);
    }
    const unlimited = await Promise.all(Array.from({ length: 10 }, () => raw('secret_a')));
    expect(unlimited.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it('injects 5xx with Notion error codes, which surface as APIResponseError when retries are off', async () => {
    const client = sdk(notion, 'secret_a');
    const cases = [
      [500, 'internal_server_error'],
      [503, 'service_unavailable'],
      [504, 'gateway_timeout'],
      [529, 'service_overload'],
    ] as const;
    for (const [status, code] of cases) {
      notion.injectFailure({ status });
      const failed = client.pages.retrieve({ page_id: pageId });
      await expect(failed).rejects.toBeInstanceOf(APIResponseError);
      await expect(failed).rejects.toMatchObject({ status, code });
    }
    // 502 bad_gateway is not a code the SDK knows: it raises its generic HTTP error.
    notion.injectFailure({ status: 502 });
    const badGateway = client.pages.retrieve({ page_id: pageId });
    await expect(badGateway).rejects.toBeInstanceOf(UnknownHTTPResponseError);
    await expect(badGateway).rejects.toMatchObject({ status: 502 });
    await expect(client.pages.retrieve({ page_id: pageId })).resolves.toMatchObject({ id: pageId });
  });

  it('fails only the requests matching the injection path, as many times as asked', async () => {
    const client = sdk(notion, 'secret_a');
    notion.injectFailure({ status: 503, count: 2, path: /\/query$/ });
    await expect(client.databases.retrieve({ database_id: databaseId })).resolves.toMatchObject({ id: databaseId });
    for (let i = 0; i < 2; i++)
      await expect(client.dataSources.query({ data_source_id: dataSourceId })).rejects.toMatchObject({
        code: 'service_unavailable',
      });
    await expect(client.dataSources.query({ data_source_id: dataSourceId })).resolves.toMatchObject({ object: 'list' });
  });

  it('lets the SDK retry an injected 500 on a GET', async () => {
    notion.injectFailure({ status: 500, path: /^\/v1\/pages\// });
    notion.clearRequests();
    const retrying = sdk(notion, 'secret_a', { retry: { maxRetries: 2, initialRetryDelayMs: 10 } });
    await expect(retrying.pages.retrieve({ page_id: pageId })).resolves.toMatchObject({ id: pageId });
    expect(statuses(notion.requests)).toEqual([500, 200]);
  });

  it('answers 401 for a revoked token and 404 once a database is unshared', async () => {
    const revoked = sdk(notion, 'secret_revoked');
    await expect(revoked.pages.retrieve({ page_id: pageId })).resolves.toMatchObject({ id: pageId });
    notion.revoke('secret_revoked');
    await expect(revoked.pages.retrieve({ page_id: pageId })).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });

    const unshared = sdk(notion, 'secret_unshared');
    notion.unshare('secret_unshared', databaseId);
    await expect(unshared.pages.retrieve({ page_id: pageId })).rejects.toMatchObject({
      status: 404,
      code: 'object_not_found',
    });
    await expect(unshared.dataSources.query({ data_source_id: dataSourceId })).rejects.toMatchObject({ status: 404 });
    await expect(sdk(notion, 'secret_a').pages.retrieve({ page_id: pageId })).resolves.toMatchObject({ id: pageId });
  });

  it('delays a slow page fetch but answers with the state from its arrival (stale data, late)', async () => {
    const client = sdk(notion, 'secret_a');
    const page = notion.addPage(dataSourceId, 'Before', minute(2));
    notion.injectLatency({ ms: 400, pageId: page.id });

    let slowDoneAt = 0;
    const slow = client.pages.retrieve({ page_id: page.id }).then((p) => {
      slowDoneAt = Date.now();
      return p;
    });
    await waitFor(() => notion.inFlight === 1, { intervalMs: 5, what: 'the slow request to arrive' });
    notion.editPage(page.id, { title: 'After' }, new Date(Date.UTC(2026, 2, 1, 10, 0)));

    const fast = await client.pages.retrieve({ page_id: page.id });
    const fastDoneAt = Date.now();
    const stale = await slow;

    expect(titleOf(fast)).toBe('After');
    expect(titleOf(stale)).toBe('Before');
    expect(stale).toMatchObject({ last_edited_time: minute(2).toISOString() });
    expect(fast).toMatchObject({ last_edited_time: '2026-03-01T10:00:00.000Z' });
    expect(slowDoneAt).toBeGreaterThan(fastDoneAt);
  });

  it('computes the most requests of one token in any sliding window', async () => {
    const log = new FakeNotion();
    const entry = (at: number, token: string): LoggedRequest => ({
      at,
      method: 'GET',
      path: '/v1/users/me',
      search: '',
      token,
      status: 200,
    });
    log.requests.push(
      ...[0, 100, 200, 1_000, 1_050].map((at) => entry(at, 'secret_x')),
      ...[10, 20, 30, 40, 50, 60].map((at) => entry(at, 'secret_y')),
    );
    expect(log.maxRequestsInWindow('secret_x', 1_000)).toBe(4); // 100, 200, 1000, 1050
    expect(log.maxRequestsInWindow('secret_x', 100)).toBe(2); // 1000, 1050
    expect(log.maxRequestsInWindow('secret_x', 2_000)).toBe(5);
    expect(log.maxRequestsInWindow('secret_y', 25)).toBe(3);
    expect(log.maxRequestsInWindow('secret_none', 1_000)).toBe(0);

    notion.clearRequests();
    await Promise.all(Array.from({ length: 5 }, () => raw('secret_b')));
    expect(notion.maxRequestsInWindow('secret_b', 10_000)).toBe(5);
    expect(notion.maxRequestsInWindow('secret_a', 10_000)).toBe(0);
  });
});

/** A webhook receiver: records the raw body and headers of every POST. */
class Receiver {
  readonly received: Array<{ headers: IncomingHttpHeaders; body: string; at: number }> = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}/hook`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  json(i: number): any {
    return JSON.parse(this.received[i]!.body);
  }
}

describe('FakeNotion webhook sender', () => {
  const notion = new FakeNotion({ workspace: { name: 'Acme' } });
  const receiver = new Receiver();
  const verificationToken = 'secret_webhook_verification';
  let url: string;
  let databaseId: string;
  let dataSourceId: string;

  beforeAll(async () => {
    url = await receiver.start();
    await notion.start();
    ({
      databaseId,
      dataSourceIds: [dataSourceId],
    } = notion.addDatabase('Hooks', ['Rows']) as { databaseId: string; dataSourceIds: [string] });
    notion.share('secret_hooks', databaseId);
  });

  afterAll(async () => {
    await notion.stop();
    await receiver.stop();
  });

  it('sends the signed envelope Notion sends, verifiable with the SDK', async () => {
    const entity = { id: '11111111-2222-4333-8444-555555555555', type: 'page' };
    const delivery = await notion.sendWebhook({
      url,
      verificationToken,
      type: 'page.content_updated',
      entity,
      data: { updated_blocks: [{ id: 'b1', type: 'block' }] },
    });
    expect(delivery).toMatchObject({ status: 200, attemptNumber: 1, body: '{"ok":true}' });
    const { headers, body } = receiver.received.at(-1)!;
    expect(body).toBe(delivery.payload);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-notion-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const signature = headers['x-notion-signature'] as string;
    await expect(verifyWebhookSignature({ body, signature, verificationToken })).resolves.toBe(true);
    await expect(verifyWebhookSignature({ body, signature, verificationToken: 'secret_wrong' })).resolves.toBe(false);
    expect(JSON.parse(body)).toEqual({
      id: delivery.eventId,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      workspace_id: notion.workspaceId,
      workspace_name: 'Acme',
      subscription_id: notion.subscriptionId,
      integration_id: notion.integrationId,
      authors: [{ id: notion.userId, type: 'person' }],
      attempt_number: 1,
      api_version: '2025-09-03',
      entity,
      type: 'page.content_updated',
      data: { updated_blocks: [{ id: 'b1', type: 'block' }] },
    });
  });

  it('edits and notifies page.properties_updated, twice with one event id when duplicated', async () => {
    const page = notion.addPage(dataSourceId, 'Hooked', { at: minute(1), properties: { Status: prop.select('Open') } });
    const before = receiver.received.length;
    const { deliveries } = await notion.editAndNotify(
      page.id,
      { title: 'Hooked again', properties: { Status: prop.select('Done') } },
      { url, verificationToken, duplicate: true },
    );
    expect(receiver.received).toHaveLength(before + 2);
    const [first, retry] = [receiver.json(before), receiver.json(before + 1)];
    expect(first.id).toBe(retry.id);
    expect(deliveries.map((d) => d.eventId)).toEqual([first.id, first.id]);
    expect([first.attempt_number, retry.attempt_number]).toEqual([1, 2]);
    expect(first.timestamp).toBe(retry.timestamp);
    expect(first).toMatchObject({
      type: 'page.properties_updated',
      entity: { id: page.id, type: 'page' },
      data: {
        parent: { id: databaseId, type: 'database', data_source_id: dataSourceId },
        updated_properties: ['title', notion.propertyId(dataSourceId, 'Status')],
      },
    });
    for (const i of [before, before + 1]) {
      const { body, headers } = receiver.received[i]!;
      await expect(
        verifyWebhookSignature({ body, signature: headers['x-notion-signature'] as string, verificationToken }),
      ).resolves.toBe(true);
    }
    const fetched = await sdk(notion, 'secret_hooks').pages.retrieve({ page_id: page.id });
    expect(titleOf(fetched)).toBe('Hooked again');
    expect((fetched as any).properties.Status.select.name).toBe('Done');
  });

  it('changes the page at once but delivers after delayMs', async () => {
    const page = notion.addPage(dataSourceId, 'Slow hook', minute(2));
    const before = receiver.received.length;
    const started = Date.now();
    const sending = notion.editAndNotify(page.id, { title: 'Changed' }, { url, verificationToken, delayMs: 300 });
    expect(notion.getPage(page.id)!.title).toBe('Changed');
    expect(receiver.received).toHaveLength(before);
    await sending;
    expect(receiver.received).toHaveLength(before + 1);
    expect(receiver.received.at(-1)!.at - started).toBeGreaterThanOrEqual(290);
  });

  it('notifies page.deleted, page.undeleted and page.created', async () => {
    const created = await notion.createAndNotify(dataSourceId, 'Born', { url, verificationToken, at: minute(3) });
    expect(receiver.json(receiver.received.length - 1)).toMatchObject({
      type: 'page.created',
      entity: { id: created.page.id },
      data: { parent: { id: databaseId, type: 'database', data_source_id: dataSourceId } },
    });
    const trashed = await notion.trashAndNotify(created.page.id, { url, verificationToken });
    expect(trashed.page.inTrash).toBe(true);
    expect(receiver.json(receiver.received.length - 1)).toMatchObject({
      type: 'page.deleted',
      entity: { id: created.page.id },
    });
    const restored = await notion.restoreAndNotify(created.page.id, { url, verificationToken });
    expect(restored.page.inTrash).toBe(false);
    expect(receiver.json(receiver.received.length - 1)).toMatchObject({
      type: 'page.undeleted',
      entity: { id: created.page.id },
    });
  });

  it('edits a body and notifies page.content_updated with the blocks added, changed and removed', async () => {
    const page = notion.addPage(dataSourceId, 'Doc', { at: minute(4), body: ['Keep', 'Change', 'Drop'] });
    const [keep, change, drop] = notion.getBody(page.id) as [FakeBlock, FakeBlock, FakeBlock];
    const before = receiver.received.length;
    const { page: edited, deliveries } = await notion.editBodyAndNotify(
      page.id,
      [{ type: 'paragraph', text: 'Keep', id: keep.id }, { type: 'paragraph', text: 'Changed', id: change.id }, 'New'],
      { url, verificationToken, at: minute(9) },
    );
    const body = notion.getBody(page.id);
    expect(receiver.received).toHaveLength(before + 1);
    expect(deliveries).toMatchObject([{ status: 200 }]);
    const event = receiver.json(before);
    expect(event).toMatchObject({
      type: 'page.content_updated',
      entity: { id: page.id, type: 'page' },
      data: {
        parent: { id: databaseId, type: 'database', data_source_id: dataSourceId },
        updated_blocks: [
          { id: change.id, type: 'block' },
          { id: body[2]!.id, type: 'block' },
          { id: drop.id, type: 'block' },
        ],
      },
    });
    expect(event.data.updated_blocks).toHaveLength(3);
    const { body: raw, headers } = receiver.received[before]!;
    await expect(
      verifyWebhookSignature({ body: raw, signature: headers['x-notion-signature'] as string, verificationToken }),
    ).resolves.toBe(true);
    expect(edited.lastEditedTime).toBe(minute(9).toISOString());
    // A kept block keeps its times; a changed one keeps its creation.
    expect(body.map((b) => [b.id, b.createdTime, b.lastEditedTime])).toEqual([
      [keep.id, minute(4).toISOString(), minute(4).toISOString()],
      [change.id, minute(4).toISOString(), minute(9).toISOString()],
      [body[2]!.id, minute(9).toISOString(), minute(9).toISOString()],
    ]);
    const markdown = await sdk(notion, 'secret_hooks').pages.retrieveMarkdown({ page_id: page.id });
    expect(markdown.markdown).toBe('Keep\nChanged\nNew');
  });

  it("performs Notion's handshake: one unsigned POST of the verification token", async () => {
    const before = receiver.received.length;
    const result = await notion.handshake(url);
    expect(result.verificationToken).toMatch(/^secret_[0-9a-f]{48}$/);
    expect(result.status).toBe(200);
    expect(receiver.received).toHaveLength(before + 1);
    expect(receiver.json(before)).toEqual({ verification_token: result.verificationToken });
    expect(receiver.received[before]!.headers['x-notion-signature']).toBeUndefined();
  });
});

describe('FakeNotion control API and demo workspace', () => {
  const notion = new FakeNotion({ controlApi: true });
  const receiver = new Receiver();
  let hookUrl: string;
  let client: Client;
  let pageIds: string[];

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${notion.url}/_fake${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    hookUrl = await receiver.start();
    await notion.start();
    ({ pageIds } = seedDemoWorkspace(notion));
    client = sdk(notion, DEMO_TOKEN);
  });

  afterAll(async () => {
    await notion.stop();
    await receiver.stop();
  });

  it('seeds "Demo tasks" with two data sources and 20 real-shaped pages', async () => {
    const db = await client.databases.retrieve({ database_id: DEMO_DATABASE_ID });
    expect(db).toMatchObject({
      title: [{ plain_text: 'Demo tasks' }],
      data_sources: [
        { id: DEMO_DATA_SOURCE_IDS[0], name: 'Tasks' },
        { id: DEMO_DATA_SOURCE_IDS[1], name: 'Archive' },
      ],
    });
    const tasks = await collectPaginatedAPI(client.dataSources.query, { data_source_id: DEMO_DATA_SOURCE_IDS[0]! });
    const archive = await collectPaginatedAPI(client.dataSources.query, { data_source_id: DEMO_DATA_SOURCE_IDS[1]! });
    expect([tasks.length, archive.length]).toEqual([16, 4]);
    expect(pageIds).toHaveLength(20);
    const props = (tasks[0] as PageObjectResponse).properties as Record<string, any>;
    expect(Object.keys(props).sort()).toEqual(['Done', 'Due', 'Name', 'Notes', 'Priority', 'Related', 'Status']);
    expect(props.Status.type).toBe('select');
    expect(props.Priority.type).toBe('number');
  });

  it('seeds bodies, one with an image that loads: a valid PNG made in code', async () => {
    const pricing = notion.listPages().find((p) => p.title === 'Review the pricing page')!;
    const { markdown, truncated } = await client.pages.retrieveMarkdown({ page_id: pricing.id });
    expect(truncated).toBe(false);
    expect(markdown).toMatch(/^# Pricing page review\n/);
    const image = await fetch(imageUrl(markdown)!);
    expect(image.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await image.arrayBuffer());
    // Every chunk's CRC holds and the pixels inflate to 40 rows of a filter byte and 64 RGB pixels.
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const chunks: Array<[string, Buffer]> = [];
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      const typed = png.subarray(at + 4, at + 8 + length);
      expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(typed));
      chunks.push([typed.subarray(0, 4).toString('ascii'), typed.subarray(4)]);
      at += length + 12;
    }
    expect(chunks.map(([type]) => type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([chunks[0]![1].readUInt32BE(0), chunks[0]![1].readUInt32BE(4)]).toEqual([64, 40]);
    expect(inflateSync(chunks[1]![1])).toHaveLength(40 * (1 + 64 * 3));
    const page = (await client.pages.retrieve({ page_id: pricing.id })) as any;
    expect(page.icon.file.url.split('?')[0]).toBe(imageUrl(markdown)!.split('?')[0]);
    const bodies = notion.listPages().filter((p) => notion.getBody(p.id).length > 0);
    expect(bodies.map((p) => p.title).sort()).toEqual([
      'Fix the login redirect',
      'Review the pricing page',
      'Write the onboarding guide',
    ]);
  });

  it('shows its state, outside the Notion request log', async () => {
    notion.clearRequests();
    const { status, body } = await control('GET', '/state');
    expect(status).toBe(200);
    expect(body.databases[0]).toMatchObject({ id: DEMO_DATABASE_ID, title: 'Demo tasks' });
    expect(body.pages).toHaveLength(20);
    expect(body.grants).toEqual({ [DEMO_TOKEN]: [DEMO_DATABASE_ID] });
    expect(body.webhook).toBeNull();
    expect(notion.requests).toHaveLength(0);
  });

  it('registers a webhook target with a handshake, then sends signed events for its mutations', async () => {
    const registered = await control('POST', '/webhooks', { url: hookUrl });
    expect(registered.status).toBe(200);
    const verificationToken = registered.body.verificationToken as string;
    expect(receiver.json(0)).toEqual({ verification_token: verificationToken });

    const id = pageIds[0]!;
    const edited = await control('POST', `/pages/${id}/edit`, {
      title: 'Renamed',
      properties: { Status: { type: 'select', select: { name: 'Done' } }, Priority: 1 },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.webhook).toMatchObject({ status: 200, type: 'page.properties_updated' });
    const event = receiver.received.at(-1)!;
    await expect(
      verifyWebhookSignature({
        body: event.body,
        signature: event.headers['x-notion-signature'] as string,
        verificationToken,
      }),
    ).resolves.toBe(true);
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'page.properties_updated',
      entity: { id, type: 'page' },
      data: {
        parent: { id: DEMO_DATABASE_ID, data_source_id: DEMO_DATA_SOURCE_IDS[0] },
        updated_properties: [
          'title',
          notion.propertyId(DEMO_DATA_SOURCE_IDS[0]!, 'Status'),
          notion.propertyId(DEMO_DATA_SOURCE_IDS[0]!, 'Priority'),
        ],
      },
    });
    const page = (await client.pages.retrieve({ page_id: id })) as any;
    expect(titleOf(page)).toBe('Renamed');
    expect([page.properties.Status.select.name, page.properties.Priority.number]).toEqual(['Done', 1]);

    const trashed = await control('POST', `/pages/${id}/trash`);
    expect(trashed.body).toMatchObject({ page: { inTrash: true }, webhook: { type: 'page.deleted' } });
    const remaining = await collectPaginatedAPI(client.dataSources.query, { data_source_id: DEMO_DATA_SOURCE_IDS[0]! });
    expect(remaining.map((r) => r.id)).not.toContain(id);
    const restored = await control('POST', `/pages/${id}/restore`);
    expect(restored.body).toMatchObject({ page: { inTrash: false }, webhook: { type: 'page.undeleted' } });

    const created = await control('POST', '/pages', { title: 'From the control API', properties: { Notes: 'hi' } });
    expect(created.body).toMatchObject({
      page: { title: 'From the control API', dataSourceId: DEMO_DATA_SOURCE_IDS[0] },
      webhook: { type: 'page.created', status: 200 },
    });
    expect(receiver.json(receiver.received.length - 1)).toMatchObject({
      type: 'page.created',
      entity: { id: created.body.page.id },
    });
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { type?: string }).type)).toEqual([
      undefined,
      'page.properties_updated',
      'page.deleted',
      'page.undeleted',
      'page.created',
    ]);
  });

  it('answers bad control requests with 4xx and a message', async () => {
    expect(await control('POST', '/pages/00000000-0000-4000-8000-000000000000/edit', { title: 'x' })).toMatchObject({
      status: 404,
      body: { error: expect.stringContaining('no page') },
    });
    expect(await control('POST', '/pages', {})).toMatchObject({ status: 400 });
    expect(
      await control('POST', `/pages/${pageIds[1]}/edit`, { properties: { Bad: { type: 'rollup' } } }),
    ).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('unsupported property value') },
    });
    expect(await control('GET', '/nothing')).toMatchObject({ status: 404 });
    expect((await fetch(`${notion.url}/_fake/state`)).status).toBe(200);
    const off = new FakeNotion();
    await off.start();
    try {
      expect((await fetch(`${off.url}/_fake/state`)).status).toBe(404);
    } finally {
      await off.stop();
    }
  });

  it('hosts files, replaces bodies (sending page.content_updated) and changes settings', async () => {
    const file = await control('POST', '/files', { name: 'note.txt', text: 'hello' });
    expect(file).toEqual({ status: 200, body: { id: expect.any(String), name: 'note.txt' } });
    const id = pageIds[5]!;
    const set = await control('POST', `/pages/${id}/body`, {
      blocks: [
        { type: 'heading_2', text: 'Files' },
        { type: 'file', file: file.body, caption: 'A note' },
      ],
    });
    expect(set.status).toBe(200);
    expect(set.body.webhook).toMatchObject({ status: 200, type: 'page.content_updated' });
    expect(set.body.blocks).toHaveLength(2);
    expect(receiver.json(receiver.received.length - 1)).toMatchObject({
      type: 'page.content_updated',
      entity: { id },
      data: { updated_blocks: set.body.blocks.map((b: FakeBlock) => ({ id: b.id, type: 'block' })) },
    });
    const { markdown } = await client.pages.retrieveMarkdown({ page_id: id });
    const src = /^<file src="([^"]+)">A note<\/file>$/m.exec(markdown)?.[1];
    expect(markdown.startsWith('## Files\n')).toBe(true);
    const served = await fetch(src!);
    expect([served.status, served.headers.get('content-type'), await served.text()]).toEqual([
      200,
      'text/plain',
      'hello',
    ]);

    const binary = await control('POST', '/files', { name: 'blob', base64: Buffer.from([1, 2, 3]).toString('base64') });
    expect(binary.status).toBe(200);

    expect(await control('POST', '/settings', { markdownLimit: 5, fileUrlExpirySeconds: 60 })).toEqual({
      status: 200,
      body: { markdownLimit: 5, fileUrlExpirySeconds: 60 },
    });
    const cut = await client.pages.retrieveMarkdown({ page_id: id });
    expect(cut).toMatchObject({ truncated: true, unknown_block_ids: set.body.blocks.map((b: FakeBlock) => b.id) });
    expect(await control('POST', '/settings', { markdownLimit: null, fileUrlExpirySeconds: 3600 })).toMatchObject({
      body: { markdownLimit: null, fileUrlExpirySeconds: 3600 },
    });

    const created = await control('POST', '/pages', {
      title: 'With a body',
      body: ['Hello', { type: 'quote', text: 'Hi' }],
    });
    expect(created.body.webhook).toMatchObject({ type: 'page.created' });
    expect((await client.pages.retrieveMarkdown({ page_id: created.body.page.id })).markdown).toBe('Hello\n> Hi');

    for (const [path, body, message] of [
      [`/pages/${id}/body`, { blocks: [{ type: 'nope' }] }, 'unknown block type'],
      [`/pages/${id}/body`, { blocks: [{ type: 'image', file: { id: 'missing', name: 'x' } }] }, 'no hosted file'],
      ['/files', { name: 'x', text: 'a', base64: 'YQ==' }, 'exactly one'],
      ['/settings', { markdownLimit: 'big' }, 'markdownLimit'],
    ] as const)
      expect(await control('POST', path, body)).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining(message) },
      });
  });
});

/** The first URL of an image in markdown (`![caption](url)`). */
const imageUrl = (markdown: string) => /!\[[^\]]*\]\(([^)]+)\)/.exec(markdown)?.[1];

/** `https://www.notion.so/<page>#<block>`: where Notion's `<unknown>` tags point. */
const unknownTag = (pageId: string, blockId: string, alt: string) =>
  `<unknown url="https://www.notion.so/${pageId.replace(/-/g, '')}#${blockId.replace(/-/g, '')}" alt="${alt}"/>`;

describe('FakeNotion page content: markdown and blocks', () => {
  const notion = new FakeNotion();
  let client: Client;
  let all: Client;
  let dataSourceId: string;
  let hiddenDataSourceId: string;
  let secret: string;

  beforeAll(async () => {
    await notion.start();
    const docs = notion.addDatabase('Docs', ['Pages']);
    const hidden = notion.addDatabase('Private', ['Pages']);
    dataSourceId = docs.dataSourceIds[0]!;
    hiddenDataSourceId = hidden.dataSourceIds[0]!;
    notion.share('secret_docs', docs.databaseId);
    notion.share('secret_all', docs.databaseId);
    notion.share('secret_all', hidden.databaseId);
    secret = notion.addPage(hidden.dataSourceIds[0]!, 'Secret plan', { at: minute(0), body: ['Top secret'] }).id;
    client = sdk(notion, 'secret_docs');
    all = sdk(notion, 'secret_all');
  });

  afterAll(async () => {
    await notion.stop();
  });

  it("renders a page's body as Notion's enhanced markdown, and the edit moves last_edited_time", async () => {
    const other = notion.addPage(dataSourceId, 'Other', minute(1));
    const page = notion.addPage(dataSourceId, 'Release', minute(1));
    const blocks = notion.setBody(
      page.id,
      [
        { type: 'heading_1', text: 'Release notes' },
        'Fixes *two* bugs [really]\nand one more.',
        { type: 'numbered_list_item', text: 'Faster sync' },
        { type: 'numbered_list_item', text: 'Fewer 429s', children: ['Backoff honours Retry-After'] },
        { type: 'bulleted_list_item', text: 'Docs' },
        { type: 'to_do', text: 'Ship it', checked: true },
        {
          type: 'toggle',
          text: 'Details',
          children: [{ type: 'code', text: 'npm run demo\nnpm test', language: 'bash' }],
        },
        { type: 'quote', text: 'Small steps.' },
        { type: 'image', file: { external: 'https://example.com/chart.png' }, caption: 'Sync lag' },
        { type: 'child_page', title: 'Appendix' },
        { type: 'link_to_page', pageId: other.id },
        { type: 'heading_3', text: 'Notes', children: ['Nested'] },
        { type: 'file', file: { external: 'https://example.com/files/report%20q1.pdf?dl=1' }, caption: 'Q1' },
        '',
      ],
      new Date(Date.UTC(2026, 1, 2, 10, 15, 42)),
    );
    expect(blocks).toHaveLength(14);
    expect(new Set(blocks.map((b) => b.id)).size).toBe(14);
    const appendix = blocks[9]!.id.replace(/-/g, '');

    const answer = await client.pages.retrieveMarkdown({ page_id: page.id });
    expect(answer).toEqual({
      object: 'page_markdown',
      id: page.id,
      markdown: [
        '# Release notes',
        'Fixes \\*two\\* bugs \\[really\\]<br>and one more.',
        '1. Faster sync',
        '2. Fewer 429s',
        '\tBackoff honours Retry-After',
        '- Docs',
        '- [x] Ship it',
        '<details>',
        '<summary>Details</summary>',
        '\t```bash',
        '\tnpm run demo',
        '\tnpm test',
        '\t```',
        '</details>',
        '> Small steps.',
        '![Sync lag](https://example.com/chart.png)',
        `<page url="https://www.notion.so/Appendix-${appendix}">Appendix</page>`,
        `<mention-page url="https://www.notion.so/Other-${other.id.replace(/-/g, '')}">Other</mention-page>`,
        '### Notes {toggle="true"}',
        '\tNested',
        '<file src="https://example.com/files/report%20q1.pdf?dl=1">Q1</file>',
        '<empty-block/>',
      ].join('\n'),
      truncated: false,
      unknown_block_ids: [],
    });
    const fetched = await client.pages.retrieve({ page_id: page.id });
    expect((fetched as PageObjectResponse).last_edited_time).toBe('2026-02-02T10:15:00.000Z');
    expect(notion.getBody(page.id)).toEqual(blocks);
    const file = (await client.blocks.children.list({ block_id: page.id })).results[12];
    expect(file).toMatchObject({
      type: 'file',
      file: {
        type: 'external',
        external: { url: 'https://example.com/files/report%20q1.pdf?dl=1' },
        caption: [{ plain_text: 'Q1' }],
        name: 'report q1.pdf',
      },
    });
  });

  it('truncates at the limit to whole top-level blocks, lists the rest, and completes each by its block id', async () => {
    const page = notion.addPage(dataSourceId, 'Long', minute(2));
    const [a, b, c, toggle, f] = notion.setBody(page.id, [
      'aaaa',
      'bbbb',
      'cccc',
      { type: 'toggle', text: 'dd', children: ['e1', 'e2', 'e3'] },
      'ffff',
    ]);
    const e3 = toggle!.children[2];
    const tag = (id: string, alt = 'paragraph') => unknownTag(page.id, id, alt);
    const whole = await client.pages.retrieveMarkdown({ page_id: page.id });
    expect(whole.markdown).toBe(
      'aaaa\nbbbb\ncccc\n<details>\n<summary>dd</summary>\n\te1\n\te2\n\te3\n</details>\nffff',
    );

    // 50 characters hold the first three blocks (14), not the toggle with them (1 + 54).
    notion.setMarkdownLimit(50);
    try {
      expect(await client.pages.retrieveMarkdown({ page_id: page.id })).toEqual({
        object: 'page_markdown',
        id: page.id,
        markdown: ['aaaa', 'bbbb', 'cccc', tag(toggle!.id, 'toggle'), tag(f!.id)].join('\n'),
        truncated: true,
        unknown_block_ids: [toggle!.id, f!.id],
      });
      // The toggle's own lines (31 + 1 + 10 characters) always come; two children (3 + 1 + 3 and 1) fit in the rest.
      expect(await client.pages.retrieveMarkdown({ page_id: toggle!.id })).toEqual({
        object: 'page_markdown',
        id: toggle!.id,
        markdown: ['<details>', '<summary>dd</summary>', '\te1', '\te2', `\t${tag(e3!.id)}`, '</details>'].join('\n'),
        truncated: true,
        unknown_block_ids: [e3!.id],
      });
      const leaf = await client.pages.retrieveMarkdown({ page_id: e3!.id.replace(/-/g, '') });
      expect(leaf).toEqual({
        object: 'page_markdown',
        id: e3!.id,
        markdown: 'e3',
        truncated: false,
        unknown_block_ids: [],
      });
      expect((await client.pages.retrieveMarkdown({ page_id: f!.id })).markdown).toBe('ffff');

      notion.setMarkdownLimit(3);
      const nothing = await client.pages.retrieveMarkdown({ page_id: page.id });
      expect(nothing.unknown_block_ids).toEqual([a!.id, b!.id, c!.id, toggle!.id, f!.id]);
      // A block longer than the limit still comes back whole when asked for by id.
      expect((await client.pages.retrieveMarkdown({ page_id: a!.id })).markdown).toBe('aaaa');
    } finally {
      notion.setMarkdownLimit(null);
    }
  });

  it('shows blocks the token cannot see or the API does not support as <unknown>, and answers their ids 404 and 400', async () => {
    const page = notion.addPage(dataSourceId, 'Mixed', minute(3));
    const [, child, link, odd] = notion.setBody(page.id, [
      'Intro',
      { type: 'child_page', title: 'Secret plan', pageId: secret },
      { type: 'link_to_page', pageId: secret },
      { type: 'unsupported', blockType: 'ai_block' },
    ]);
    expect(child!.id).toBe(secret);
    expect(await client.pages.retrieveMarkdown({ page_id: page.id })).toEqual({
      object: 'page_markdown',
      id: page.id,
      markdown: [
        'Intro',
        unknownTag(page.id, child!.id, 'child_page'),
        unknownTag(page.id, link!.id, 'link_to_page'),
        unknownTag(page.id, odd!.id, 'ai_block'),
      ].join('\n'),
      // Notion: hidden for lack of access counts as truncated, as a cut does.
      truncated: true,
      unknown_block_ids: [secret, link!.id, odd!.id],
    });
    for (const id of [secret, link!.id])
      await expect(client.pages.retrieveMarkdown({ page_id: id })).rejects.toMatchObject({
        code: 'object_not_found',
        status: 404,
      });
    await expect(client.pages.retrieveMarkdown({ page_id: odd!.id })).rejects.toMatchObject({
      code: 'validation_error',
      status: 400,
    });

    // Unsupported types alone are not truncation.
    const plain = notion.addPage(dataSourceId, 'Odd', { at: minute(3), body: ['x', { type: 'unsupported' }] });
    const oddOnly = await client.pages.retrieveMarkdown({ page_id: plain.id });
    expect(oddOnly).toMatchObject({ truncated: false, unknown_block_ids: [notion.getBody(plain.id)[1]!.id] });
    expect(oddOnly.markdown).toBe(`x\n${unknownTag(plain.id, notion.getBody(plain.id)[1]!.id, 'unsupported')}`);

    // A token that sees the private page gets it rendered, and its body by its id.
    const seen = await all.pages.retrieveMarkdown({ page_id: page.id });
    const url = `https://www.notion.so/Secret-plan-${secret.replace(/-/g, '')}`;
    expect(seen.markdown.split('\n').slice(1, 3)).toEqual([
      `<page url="${url}">Secret plan</page>`,
      `<mention-page url="${url}">Secret plan</mention-page>`,
    ]);
    expect(seen).toMatchObject({ truncated: false, unknown_block_ids: [odd!.id] });
    expect((await all.pages.retrieveMarkdown({ page_id: secret })).markdown).toBe('Top secret');
  });

  it("lists a page's blocks 100 at a time in Notion's block shape, with block ids as cursors", async () => {
    const page = notion.addPage(dataSourceId, 'Many', minute(4));
    const sub = notion.addPage(hiddenDataSourceId, 'Sub plan', { at: minute(4), body: ['Top secret'] }).id;
    const at = new Date(Date.UTC(2026, 1, 3, 8, 30, 59));
    const blocks = notion.setBody(
      page.id,
      [
        ...Array.from({ length: 150 }, (_, i) => `Line ${i}`),
        { type: 'heading_2', text: 'More', children: [{ type: 'to_do', text: 'Check' }] },
        { type: 'child_page', title: 'Sub plan', pageId: sub },
      ],
      at,
    );
    notion.clearRequests();
    const listed = await collectPaginatedAPI(client.blocks.children.list, { block_id: page.id });
    expect(listed.map((b) => b.id)).toEqual(blocks.map((b) => b.id));
    expect(notion.requests.map((r) => [r.path, r.search])).toEqual([
      [`/v1/blocks/${page.id}/children`, ''],
      [`/v1/blocks/${page.id}/children`, `?start_cursor=${blocks[100]!.id}`],
    ]);
    const first = await client.blocks.children.list({ block_id: page.id, page_size: 2 });
    expect(first).toEqual({
      object: 'list',
      results: [expect.anything(), expect.anything()],
      next_cursor: blocks[2]!.id,
      has_more: true,
      type: 'block',
      block: {},
    });
    expect(first.results[0]).toEqual({
      object: 'block',
      id: blocks[0]!.id,
      parent: { type: 'page_id', page_id: page.id },
      created_time: '2026-02-03T08:30:00.000Z',
      created_by: { object: 'user', id: notion.userId },
      last_edited_time: '2026-02-03T08:30:00.000Z',
      last_edited_by: { object: 'user', id: notion.userId },
      has_children: false,
      in_trash: false,
      type: 'paragraph',
      paragraph: {
        rich_text: [
          {
            type: 'text',
            text: { content: 'Line 0', link: null },
            annotations: {
              bold: false,
              italic: false,
              strikethrough: false,
              underline: false,
              code: false,
              color: 'default',
            },
            plain_text: 'Line 0',
            href: null,
          },
        ],
        color: 'default',
        icon: null,
      },
    });
    const heading = listed[150] as any;
    expect(heading).toMatchObject({ has_children: true, heading_2: { is_toggleable: true, color: 'default' } });
    expect(listed[151]).toMatchObject({ type: 'child_page', child_page: { title: 'Sub plan' }, has_children: true });
    const nested = await client.blocks.children.list({ block_id: heading.id });
    expect(nested.results).toEqual([
      expect.objectContaining({
        parent: { type: 'block_id', block_id: heading.id },
        type: 'to_do',
        to_do: { rich_text: [expect.objectContaining({ plain_text: 'Check' })], color: 'default', checked: false },
      }),
    ]);
    // The child page's children are its page's body, for a token that sees it.
    await expect(client.blocks.children.list({ block_id: sub })).rejects.toMatchObject({ status: 404 });
    expect((await all.blocks.children.list({ block_id: sub })).results).toMatchObject([
      { parent: { type: 'page_id', page_id: sub }, paragraph: { rich_text: [{ plain_text: 'Top secret' }] } },
    ]);
    expect(() => notion.setBody(page.id, [{ type: 'child_page', title: 'Again', pageId: secret }])).toThrow(
      /already in another page's body/,
    );

    await expect(client.blocks.children.list({ block_id: page.id, start_cursor: secret })).rejects.toMatchObject({
      code: 'validation_error',
    });
    await expect(client.blocks.children.list({ block_id: page.id, page_size: 101 })).rejects.toMatchObject({
      code: 'validation_error',
    });
    await expect(
      client.blocks.children.list({ block_id: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toMatchObject({ code: 'object_not_found' });
  });

  it('answers content as GET /v1/pages/:id answers the page: unshared 404, trashed still served, logged, faults injected', async () => {
    await expect(client.pages.retrieveMarkdown({ page_id: secret })).rejects.toMatchObject({ status: 404 });
    const page = notion.addPage(dataSourceId, 'Trashed', { at: minute(5), body: ['Gone soon'] });
    notion.trashPage(page.id);
    expect((await client.pages.retrieve({ page_id: page.id })) as PageObjectResponse).toMatchObject({ in_trash: true });
    expect((await client.pages.retrieveMarkdown({ page_id: page.id })).markdown).toBe('Gone soon');

    notion.clearRequests();
    notion.injectFailure({ status: 503, path: /\/markdown$/ });
    await expect(client.pages.retrieveMarkdown({ page_id: page.id })).rejects.toMatchObject({ status: 503 });
    await expect(sdk(notion, 'secret_nobody').pages.retrieveMarkdown({ page_id: page.id })).rejects.toMatchObject({
      status: 401,
    });
    expect(notion.requests.map((r) => [r.path, r.status, r.token])).toEqual([
      [`/v1/pages/${page.id}/markdown`, 503, 'secret_docs'],
      [`/v1/pages/${page.id}/markdown`, 401, 'secret_nobody'],
    ]);
    notion.rateLimit({ perSecond: 0.001, burst: 1 });
    try {
      await client.blocks.children.list({ block_id: page.id });
      await expect(client.pages.retrieveMarkdown({ page_id: page.id })).rejects.toMatchObject({ status: 429 });
    } finally {
      notion.rateLimit(null);
    }
  });

  it('answers 403 restricted_resource on content without the read-content capability; properties still read', async () => {
    const page = notion.addPage(dataSourceId, 'Capable', { at: minute(6), body: ['Body'] });
    notion.denyContent('secret_docs');
    try {
      for (const call of [
        () => client.pages.retrieveMarkdown({ page_id: page.id }),
        () => client.blocks.children.list({ block_id: page.id }),
      ])
        await expect(call()).rejects.toMatchObject({ code: 'restricted_resource', status: 403 });
      expect(titleOf(await client.pages.retrieve({ page_id: page.id }))).toBe('Capable');
      expect((await all.pages.retrieveMarkdown({ page_id: page.id })).markdown).toBe('Body');
    } finally {
      notion.allowContent('secret_docs');
    }
    expect((await client.pages.retrieveMarkdown({ page_id: page.id })).markdown).toBe('Body');
  });
});

describe('FakeNotion hosted files', () => {
  const start = new Date(Date.UTC(2026, 2, 1, 12, 0, 30));
  const notion = new FakeNotion({ now: () => start });
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  let client: Client;
  let dataSourceId: string;

  beforeAll(async () => {
    await notion.start();
    const { databaseId, dataSourceIds } = notion.addDatabase('Media', ['Rows']);
    dataSourceId = dataSourceIds[0]!;
    notion.share('secret_media', databaseId);
    client = sdk(notion, 'secret_media');
  });

  afterAll(async () => {
    await notion.stop();
  });

  it("serves a hosted image's bytes by its signed URL until it expires on the fake's clock, outside the Notion log and rate limit", async () => {
    notion.setNow(start);
    const logo = notion.hostFile('team logo.png', png);
    const page = notion.addPage(dataSourceId, 'Brand', {
      at: start,
      body: [{ type: 'image', file: logo, caption: 'Logo' }],
    });
    const image = (await client.blocks.children.list({ block_id: page.id })).results[0] as any;
    expect(image.image).toEqual({
      type: 'file',
      file: { url: expect.any(String), expiry_time: '2026-03-01T13:00:30.000Z' },
      caption: [expect.objectContaining({ plain_text: 'Logo' })],
    });
    const url = new URL(image.image.file.url);
    expect(`${url.origin}${url.pathname}`).toBe(
      `${notion.url}/_files/${notion.workspaceId}/${logo.id}/team%20logo.png`,
    );
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260301T120030Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    notion.clearRequests();
    notion.rateLimit({ perSecond: 0.001, burst: 1 });
    try {
      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await served.arrayBuffer())).toEqual(png);
      // The markdown signs its own URL for the same file.
      const markdownUrl = imageUrl((await client.pages.retrieveMarkdown({ page_id: page.id })).markdown)!;
      expect(markdownUrl.split('?')[0]).toBe(url.href.split('?')[0]);
      expect(markdownUrl).not.toBe(url.href);
      expect((await fetch(markdownUrl)).status).toBe(200);
      expect((await fetch(markdownUrl, { method: 'HEAD' })).status).toBe(200);
    } finally {
      notion.rateLimit(null);
    }
    expect(notion.requests.map((r) => r.path)).toEqual([`/v1/pages/${page.id}/markdown`]);
    expect(notion.fileRequests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', url.pathname, 200],
      ['GET', url.pathname, 200],
      ['HEAD', url.pathname, 200],
    ]);
    expect(notion.fileRequests[0]!.search).toBe(url.search);

    // Still valid at its expiry_time, refused a second later, as S3 refuses it.
    notion.setNow(new Date(start.getTime() + 3_600_000));
    expect((await fetch(url)).status).toBe(200);
    notion.setNow(new Date(start.getTime() + 3_601_000));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(expired.headers.get('content-type')).toBe('application/xml');
    expect(await expired.text()).toMatch(/<Error><Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);

    // A re-render signs a new URL for the same path, and it works.
    const again = (await client.blocks.children.list({ block_id: page.id })).results[0] as any;
    const fresh = new URL(again.image.file.url);
    expect(fresh.pathname).toBe(url.pathname);
    expect(fresh.search).not.toBe(url.search);
    expect(again.image.file.expiry_time).toBe('2026-03-01T14:00:31.000Z');
    expect((await fetch(fresh)).status).toBe(200);
  });

  it('refuses a URL it did not sign, and signs with the expiry it is told', async () => {
    notion.setNow(start);
    const file = notion.hostFile('notes.txt', 'hello');
    const signed = new URL(notion.signFileUrl(file).url);
    expect(await (await fetch(signed)).text()).toBe('hello');
    const tampered = [
      ['X-Amz-Expires', '999999'],
      ['X-Amz-Date', '20260301T130030Z'],
      ['X-Amz-Signature', '0'.repeat(64)],
    ];
    for (const [name, value] of tampered) {
      const forged = new URL(signed);
      forged.searchParams.set(name!, value!);
      const answer = await fetch(forged);
      expect(answer.status).toBe(403);
      expect(await answer.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    const other = notion.hostFile('other.txt', 'other');
    const moved = new URL(signed);
    moved.pathname = moved.pathname.replace(file.id, other.id).replace('notes.txt', 'other.txt');
    expect((await fetch(moved)).status).toBe(403);

    notion.setFileUrlExpiry(60);
    try {
      const short = notion.signFileUrl(file);
      expect(new URL(short.url).searchParams.get('X-Amz-Expires')).toBe('60');
      expect(short.expiry_time).toBe('2026-03-01T12:01:30.000Z');
      notion.setNow(new Date(start.getTime() + 61_000));
      expect((await fetch(short.url)).status).toBe(403);
    } finally {
      notion.setFileUrlExpiry(3600);
    }
    expect(() =>
      notion.setBody(notion.addPage(dataSourceId, 'Bad', start).id, [
        { type: 'image', file: { id: 'not-hosted', name: 'x.png' } },
      ]),
    ).toThrow(/no hosted file/);
  });

  it('signs hosted files in files values, icons and covers at each render; external ones keep their URL', async () => {
    notion.setNow(start);
    const manual = notion.hostFile('manual.pdf', '%PDF-1.4');
    const icon = notion.hostFile('icon.png', png);
    const page = notion.addPage(dataSourceId, 'Product', {
      at: start,
      properties: {
        Attachments: prop.files([
          { name: 'Manual', hosted: manual },
          { name: 'Spec', url: 'https://example.com/spec.pdf' },
        ]),
      },
      icon: { hosted: icon },
      cover: { external: 'https://example.com/cover.jpg' },
    });
    const read = async () => (await client.pages.retrieve({ page_id: page.id })) as any;
    const first = await read();
    expect(first.properties.Attachments.files).toEqual([
      { name: 'Manual', type: 'file', file: { url: expect.any(String), expiry_time: '2026-03-01T13:00:30.000Z' } },
      { name: 'Spec', type: 'external', external: { url: 'https://example.com/spec.pdf' } },
    ]);
    expect(first.icon).toEqual({ type: 'file', file: { url: expect.any(String), expiry_time: expect.any(String) } });
    expect(first.cover).toEqual({ type: 'external', external: { url: 'https://example.com/cover.jpg' } });
    const manualUrl: string = first.properties.Attachments.files[0].file.url;
    expect(await (await fetch(manualUrl)).text()).toBe('%PDF-1.4');
    expect((await fetch(first.icon.file.url)).headers.get('content-type')).toBe('image/png');

    notion.setNow(new Date(start.getTime() + 5_000));
    const second = await read();
    const resigned: string = second.properties.Attachments.files[0].file.url;
    expect(resigned.split('?')[0]).toBe(manualUrl.split('?')[0]);
    expect(resigned).not.toBe(manualUrl);
    expect(second.icon.file.url.split('?')[0]).toBe(first.icon.file.url.split('?')[0]);
    const item = await client.pages.properties.retrieve({
      page_id: page.id,
      property_id: first.properties.Attachments.id,
    });
    expect((item as any).files[0]).toMatchObject({ name: 'Manual', type: 'file', file: { url: expect.any(String) } });

    notion.editPage(page.id, { icon: { emoji: '📦' }, cover: null });
    expect(await read()).toMatchObject({ icon: { type: 'emoji', emoji: '📦' }, cover: null });
  });
});
