import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Client, type PageObjectResponse } from '@notionhq/client';
import { DataSource } from 'typeorm';
import { ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { MirrorModule, MirrorQuery, MirrorReader, type QueryPosition } from '@app/mirror';
import { ProjectsModule, ProjectsService } from '@app/projects';
import { DataSourceSchemaStore, MirrorWriter, SyncStateModule } from '@app/sync';
import { toDataSourceSchema } from '../../sync/src/data-source-schema.js';
import { toMirrorRow } from '../../sync/src/page-row.js';
import { FakeNotion, type FakePropertyValue } from '@app/testing';
import { testConfig } from '../../../test/jest/test-env.js';

const DAY_MS = 86_400_000;
const prop = FakeNotion.prop;

/**
 * The mirror's queries against the fake Notion's answers for the same data
 * (docs/queries.md): one data source with a property of every type, mirrored
 * as a sync does (the SDK reads the fake's data source and pages over HTTP;
 * MirrorWriter and DataSourceSchemaStore write them), then every condition of
 * the semantics table and every sort, each asked of both. The fake implements
 * the table on its own (libs/testing/src/fake-notion/query-engine.ts), so a
 * disagreement is a bug in one of them.
 */
describe('queries: the mirror answers as the fake Notion does', () => {
  let moduleRef: TestingModule;
  let query: MirrorQuery;
  let reader: MirrorReader;
  const pageIds: string[] = [];
  let fake: FakeNotion;
  let projectId: string;
  let dataSourceId: string;
  const users = [randomUUID(), randomUUID(), randomUUID()];
  const related = [randomUUID(), randomUUID()];
  const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
  const dayOffset = (days: number) => new Date(today.getTime() + days * DAY_MS).toISOString().slice(0, 10);

  /** Page i's properties: every type, with empties, ties, case and Unicode variants. */
  function properties(i: number): Record<string, FakePropertyValue> {
    const statuses = ['Idea', 'Draft', 'Review', 'Published'];
    const tags = ['news', 'product', 'News'];
    const value = <T>(list: readonly T[]) => list[i % list.length]!;
    return {
      Notes: prop.richText(value(['', 'first note', 'Second NOTE', 'ünïcode ÄÖ', '50%_off'])),
      Site: prop.url(value([null, 'https://example.com/a', 'https://EXAMPLE.com/b'])),
      Mail: prop.email(value([null, 'ada@example.com', 'Bob@Example.com', 'carol@test.org'])),
      Phone: prop.phoneNumber(value([null, '+33 1 23', '+1 555'])),
      Points: prop.number(value([null, 0, 5, -1, 5, 12.5, 100])),
      Done: prop.checkbox(i % 3 === 0),
      Status: prop.select(value([null, ...statuses, 'Draft'])),
      Stage: prop.status(value(['Not started', 'In progress', 'Done', null])),
      Tags: prop.multiSelect(i % 4 === 0 ? [] : i % 4 === 1 ? [value(tags)] : ['news', 'product']),
      Due: prop.date(
        value([
          null,
          '2026-02-03',
          '2026-02-03T10:00:00.000Z',
          '2026-02-03T23:30:00.000-05:00',
          '2026-02-04',
          dayOffset(0),
          dayOffset(-3),
          dayOffset(-20),
          dayOffset(5),
          dayOffset(25),
          dayOffset(200),
          dayOffset(-200),
        ]),
      ),
      Owner: prop.people(i % 5 === 0 ? [] : [{ id: value(users), name: `User ${i % 3}` }]),
      Related: prop.relation(i % 4 === 0 ? [] : [value(related)]),
      Attach: prop.files(i % 2 === 0 ? [] : [{ name: `file-${i}.png`, url: `https://example.com/f${i}` }]),
      Task: prop.uniqueId(i + 1, 'TASK'),
      Check: prop.verification(value(['verified', 'expired', 'unverified'] as const)),
      Calc: prop.formulaNumber(value([null, 1, 7, 7])),
      Label: prop.formulaString(value([null, 'yes', 'No', ''])),
      Flag: prop.formulaBoolean(value([true, false, null])),
      When: prop.formulaDate(value([null, '2026-02-03', dayOffset(-1)])),
      Sum: prop.rollupNumber(value([null, 3, 10])),
      Items: prop.rollupArray(i % 3 === 0 ? [] : [prop.number(i % 5), prop.number(2)]),
    };
  }

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig()),
        DatabaseModule.forRoot('query-vs-fake-int-spec'),
        SyncStateModule,
        ProjectsModule,
        MirrorModule,
      ],
    }).compile();
    query = moduleRef.get(MirrorQuery);
    reader = moduleRef.get(MirrorReader);
    const writer = moduleRef.get(MirrorWriter);
    const schemas = new DataSourceSchemaStore(moduleRef.get(DataSource));

    fake = new FakeNotion();
    await fake.start();
    const token = `secret_${randomUUID().replace(/-/g, '')}`;
    const database = fake.addDatabase('Everything', ['Rows']);
    dataSourceId = database.dataSourceIds[0]!;
    fake.share(token, database.databaseId);
    const titles = ['Alpha', 'alpha beta', 'ÄPFEL und Birnen', '100% sure', 'a_b', '', 'Zebra', 'éclair', 'Beta'];
    for (let i = 0; i < 45; i++) {
      const page = fake.addPage(dataSourceId, titles[i % titles.length]!, {
        // Every minute a page, three share each minute: ties in created_time.
        at: new Date(Date.UTC(2026, 0, 10, 12, Math.floor(i / 3))),
        properties: properties(i),
      });
      pageIds.push(page.id);
    }
    // Option order is not alphabetical: select and status sort by it.
    fake.setPropertyOptions(dataSourceId, 'Status', [
      { name: 'Review' },
      { name: 'Idea' },
      { name: 'Published' },
      { name: 'Draft' },
    ]);
    fake.defineProperty(dataSourceId, 'Created', { type: 'created_time' });

    // Mirrored as a sync does: the SDK over HTTP, then the sync's writers.
    const client = new Client({ auth: token, baseUrl: fake.url, notionVersion: '2026-03-11', retry: false });
    projectId = (
      await moduleRef.get(ProjectsService).create(`owner-${randomUUID()}`, {
        name: 'Everything',
        notionDatabaseId: database.databaseId,
        notionToken: token,
      })
    ).project.id;
    const source = await client.dataSources.retrieve({ data_source_id: dataSourceId });
    const pages = (await client.dataSources.query({ data_source_id: dataSourceId, page_size: 100 }))
      .results as PageObjectResponse[];
    expect(pages).toHaveLength(45);
    await writer.upsert(
      projectId,
      pages.map((page) => toMirrorRow(page)),
      await writer.now(),
    );
    // After the pages, as a sync saves it (formula result types are read off them).
    await schemas.save(projectId, [toDataSourceSchema(source as unknown as Record<string, unknown>)]);
  });

  afterAll(async () => {
    await fake?.stop();
    await moduleRef?.close();
  });

  /** Every page the fake answers, in its order. */
  const fakeIds = (body: Record<string, unknown>) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = fake.queryDataSource(dataSourceId, {
        ...body,
        page_size: 100,
        ...(cursor && { start_cursor: cursor }),
      });
      ids.push(...res.results.map((p) => p.id));
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    return ids;
  };

  /** Every page the mirror answers, in its order, `pageSize` at a time. */
  const mirrorIds = async (body: Record<string, unknown>, pageSize = 100) => {
    const input = { ...body, pageSize, includeDeleted: false };
    const prepared = await query.prepare(projectId, input);
    const ids: string[] = [];
    let after: QueryPosition | undefined;
    do {
      const res = await query.run(projectId, prepared, input, after);
      ids.push(...res.items.map((p) => p.id));
      after = res.next ?? undefined;
    } while (after);
    return ids;
  };

  const BY_CREATED = [{ timestamp: 'created_time', direction: 'ascending' }];

  it('stores and serves every type as plain values, by name, from what Notion sent', async () => {
    const page = await reader.getPage(projectId, pageIds[1]!);
    expect(page!.values).toEqual({
      Name: 'alpha beta',
      Notes: 'first note',
      Site: 'https://example.com/a',
      Mail: 'ada@example.com',
      Phone: '+33 1 23',
      Points: 0,
      Done: false,
      Status: 'Idea',
      Stage: 'In progress',
      Tags: ['product'],
      Due: { start: '2026-02-03', end: null, timeZone: null },
      Owner: [{ id: users[1], name: 'User 1' }],
      Related: [related[1]],
      Attach: [{ name: 'file-1.png', url: 'https://example.com/f1' }],
      Task: 'TASK-2',
      Check: 'expired',
      Calc: 1,
      Label: 'yes',
      Flag: false,
      When: { start: '2026-02-03', end: null, timeZone: null },
      Sum: 3,
      Items: [1, 2],
      Created: '2026-01-10T12:00:00.000Z',
    });
    // Empty values: "" for texts, null for scalars, [] for lists.
    const empty = await reader.getPage(projectId, pageIds[0]!);
    expect(empty!.values).toMatchObject({
      Notes: '',
      Site: null,
      Points: null,
      Status: null,
      Tags: [],
      Due: null,
      Owner: [],
      Related: [],
      Attach: [],
      Calc: null,
      Items: [],
    });
  });

  const conditions: Array<[string, Record<string, unknown>]> = [];
  const add = (property: string, type: string, operator: string, values: readonly unknown[]) => {
    for (const value of values)
      conditions.push([
        `${property} ${operator} ${JSON.stringify(value)}`,
        { property, [type]: { [operator]: value } },
      ]);
  };
  const TEXT_OPS = ['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with'];
  for (const [property, type, values] of [
    ['Name', 'title', ['alpha', 'ALPHA', 'äpfel', 'Ä', '100%', '_', '', 'zzz', 'a']],
    ['Notes', 'rich_text', ['note', 'NOTE', 'ÜNÏ', '%_', '']],
    ['Site', 'url', ['example.com', 'HTTPS://EXAMPLE.COM/a']],
    ['Mail', 'email', ['@example.com', 'bob@example.com']],
    ['Phone', 'phone_number', ['+33', '555']],
  ] as const)
    for (const op of TEXT_OPS) add(property, type, op, values);
  /** The filter key of each property that can be empty. */
  const TYPE_OF: Record<string, string> = {
    Name: 'title',
    Notes: 'rich_text',
    Site: 'url',
    Mail: 'email',
    Phone: 'phone_number',
    Points: 'number',
    Status: 'select',
    Stage: 'status',
    Tags: 'multi_select',
    Due: 'date',
    Owner: 'people',
    Related: 'relation',
    Attach: 'files',
  };
  for (const [property, type] of Object.entries(TYPE_OF)) {
    add(property, type, 'is_empty', [true]);
    add(property, type, 'is_not_empty', [true]);
  }
  for (const op of [
    'equals',
    'does_not_equal',
    'greater_than',
    'less_than',
    'greater_than_or_equal_to',
    'less_than_or_equal_to',
  ])
    add('Points', 'number', op, [0, 5, -1, 12.5]);
  add('Done', 'checkbox', 'equals', [true, false]);
  add('Done', 'checkbox', 'does_not_equal', [true]);
  add('Status', 'select', 'equals', ['Draft', 'draft', ['Idea', 'Review']]);
  add('Status', 'select', 'does_not_equal', ['Draft', ['Idea', 'Review']]);
  add('Stage', 'status', 'equals', ['Done']);
  add('Stage', 'status', 'does_not_equal', ['Done']);
  add('Tags', 'multi_select', 'contains', ['news', 'News', ['product', 'News']]);
  add('Tags', 'multi_select', 'does_not_contain', ['news', ['product', 'News']]);
  for (const op of ['equals', 'before', 'after', 'on_or_before', 'on_or_after'])
    add('Due', 'date', op, [
      '2026-02-03',
      '2026-02-03T10:00:00Z',
      '2026-02-04T04:30:00Z',
      '2026-02-03T12:00:00+02:00',
      'today',
      'yesterday',
      'one_week_ago',
      'one_month_from_now',
    ]);
  for (const op of ['this_week', 'past_week', 'past_month', 'past_year', 'next_week', 'next_month', 'next_year'])
    add('Due', 'date', op, [{}]);
  add('Owner', 'people', 'contains', [users[0], users[1]!.replace(/-/g, '')]);
  add('Owner', 'people', 'does_not_contain', [users[0]]);
  add('Related', 'relation', 'contains', [related[0]]);
  add('Related', 'relation', 'does_not_contain', [related[0]]);
  add('Task', 'unique_id', 'greater_than', [40]);
  add('Task', 'unique_id', 'equals', [7]);
  add('Check', 'verification', 'status', ['verified', 'expired', 'none']);
  add('Check', 'verification', 'does_not_equal', ['verified']);
  add('Created', 'created_time', 'on_or_after', ['2026-01-10T12:05:00Z']);
  for (const [kind, inner] of [
    ['number', { equals: 7 }],
    ['number', { does_not_equal: 7 }],
    ['number', { is_empty: true }],
    ['string', { equals: 'YES' }],
    ['string', { does_not_equal: 'no' }],
    ['string', { is_empty: true }],
    ['checkbox', { equals: false }],
    ['checkbox', { does_not_equal: true }],
    ['date', { on_or_after: '2026-02-03' }],
    ['date', { is_empty: true }],
  ] as const) {
    const property = { number: 'Calc', string: 'Label', checkbox: 'Flag', date: 'When' }[kind];
    conditions.push([`${property} formula ${kind} ${JSON.stringify(inner)}`, { property, formula: { [kind]: inner } }]);
  }
  for (const [property, condition] of [
    ['Sum', { number: { greater_than: 5 } }],
    ['Sum', { number: { is_empty: true } }],
    ['Items', { any: { number: { equals: 3 } } }],
    ['Items', { every: { number: { less_than: 3 } } }],
    ['Items', { none: { number: { equals: 4 } } }],
    ['Items', { number: { equals: 2 } }],
    ['Sum', { any: { number: { equals: 3 } } }],
  ] as const)
    conditions.push([`${property} rollup ${JSON.stringify(condition)}`, { property, rollup: condition }]);
  conditions.push([
    'timestamp created_time on_or_before',
    { timestamp: 'created_time', created_time: { on_or_before: '2026-01-10T12:03:00Z' } },
  ]);
  conditions.push([
    'timestamp last_edited_time past_year',
    { timestamp: 'last_edited_time', last_edited_time: { past_year: {} } },
  ]);
  conditions.push([
    'or of and',
    {
      or: [
        {
          and: [
            { property: 'Status', select: { equals: 'Draft' } },
            { property: 'Done', checkbox: { equals: true } },
          ],
        },
        { property: 'Points', number: { greater_than: 10 } },
        { and: [] },
      ],
    },
  ]);
  conditions.push([
    'and with an empty or',
    { and: [{ property: 'Points', number: { is_not_empty: true } }, { or: [] }] },
  ]);

  it.each(conditions)('filter: %s', async (_, filter) => {
    const expected = fakeIds({ filter, sorts: BY_CREATED });
    expect(await mirrorIds({ filter, sorts: BY_CREATED })).toEqual(expected);
  });

  it('covers conditions that match some pages and conditions that match none (the comparisons can fail)', () => {
    const sizes = conditions.map(([, filter]) => fakeIds({ filter, sorts: BY_CREATED }).length);
    expect(sizes.filter((n) => n > 0 && n < 45).length).toBeGreaterThan(conditions.length / 2);
  });

  const sortable = [...Object.keys(TYPE_OF), 'Done', 'Task', 'Check', 'Calc', 'Label', 'When', 'Sum', 'Created'];
  const sorts: Array<[string, unknown[]]> = [];
  for (const property of sortable)
    for (const direction of ['ascending', 'descending'])
      sorts.push([`${property} ${direction}`, [{ property, direction }]]);
  sorts.push(['timestamp created_time descending', [{ timestamp: 'created_time', direction: 'descending' }]]);
  sorts.push(['timestamp last_edited_time ascending', [{ timestamp: 'last_edited_time', direction: 'ascending' }]]);
  sorts.push([
    'Status then Points',
    [
      { property: 'Status', direction: 'ascending' },
      { property: 'Points', direction: 'descending' },
    ],
  ]);
  sorts.push([
    'Due then created',
    [
      { property: 'Due', direction: 'descending' },
      { timestamp: 'created_time', direction: 'ascending' },
    ],
  ]);
  sorts.push([
    'Done then Name',
    [
      { property: 'Done', direction: 'descending' },
      { property: 'Name', direction: 'ascending' },
    ],
  ]);

  it.each(sorts)('sort: %s, in pages of 4', async (_, sort) => {
    const expected = fakeIds({ sorts: sort });
    expect(expected).toHaveLength(45);
    expect(await mirrorIds({ sorts: sort }, 4)).toEqual(expected);
  });

  it('a filter and a sort together, paged', async () => {
    const body = {
      filter: { property: 'Status', select: { does_not_equal: 'Idea' } },
      sorts: [{ property: 'Due', direction: 'descending' }],
    };
    expect(await mirrorIds(body, 3)).toEqual(fakeIds(body));
  });
});
