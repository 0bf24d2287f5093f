import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
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
import { FakeNotion, type LoggedRequest } from './fake-notion.js';

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
});
