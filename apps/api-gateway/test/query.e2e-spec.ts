import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import type { DataSourceSchema, PropertySchema } from '@app/contracts';
import { signDevToken } from '@app/auth';
import { DataSourceSchemaStore, MirrorWriter, type MirrorRow } from '@app/sync';
import { createGatewayApp } from '../src/bootstrap.js';
import { testConfig } from '../../../test/jest/test-env.js';

interface Page {
  id: string;
  title: string;
  values: Record<string, unknown>;
  properties: Record<string, unknown>;
  version: string;
  [field: string]: unknown;
}

const DS = '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e';
const OTHER_DS = '1c7f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6f';
const STATUS_OPTIONS = ['Draft', 'Review', 'Published'];

const SCHEMA: PropertySchema[] = [
  { id: 'title', name: 'Name', type: 'title' },
  {
    id: 'st%3A',
    name: 'Status',
    type: 'select',
    options: STATUS_OPTIONS.map((name, i) => ({ id: `o${i}`, name, color: 'default' })),
  },
  { id: 'tg%3A', name: 'Tags', type: 'multi_select', options: [] },
  { id: 'du%3A', name: 'Due date', type: 'date' },
  { id: 'pt%3A', name: 'Points', type: 'number', number: { format: 'number' } },
  { id: 'dn%3A', name: 'Done', type: 'checkbox' },
  // A name that is another property's id: the id wins.
  { id: 'nt%3A', name: 'pt%3A', type: 'rich_text' },
];

const text = (content: string) => [{ type: 'text', text: { content }, plain_text: content }];

interface Spec {
  title: string;
  status?: string | null;
  tags?: string[];
  due?: string | null;
  points?: number | null;
  done?: boolean;
  note?: string;
}

/** A page object's properties, as Notion shapes them. */
function properties(spec: Spec): Record<string, unknown> {
  return {
    Name: { id: 'title', type: 'title', title: text(spec.title) },
    Status: { id: 'st%3A', type: 'select', select: spec.status ? { id: 'x', name: spec.status, color: 'red' } : null },
    Tags: { id: 'tg%3A', type: 'multi_select', multi_select: (spec.tags ?? []).map((name) => ({ id: name, name })) },
    'Due date': { id: 'du%3A', type: 'date', date: spec.due ? { start: spec.due, end: null, time_zone: null } : null },
    Points: { id: 'pt%3A', type: 'number', number: spec.points ?? null },
    Done: { id: 'dn%3A', type: 'checkbox', checkbox: spec.done ?? false },
    'pt%3A': { id: 'nt%3A', type: 'rich_text', rich_text: spec.note ? text(spec.note) : [] },
  };
}

/**
 * `POST /projects/:id/pages/query`, the schema route and plain values, in
 * process against the real Postgres; rows written by the sync's MirrorWriter
 * and schemas by its DataSourceSchemaStore, as a sync would.
 */
describe('typed values and queries', () => {
  const config = testConfig({ THROTTLE_LIMIT: '100000', THROTTLE_IP_LIMIT: '100000', LOG_LEVEL: 'error' });
  let app: NestFastifyApplication;
  let base: string;
  let writer: MirrorWriter;
  let schemas: DataSourceSchemaStore;
  const owner = `user_${randomUUID()}`;

  const call = async (method: string, path: string, body?: unknown, user = owner) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${signDevToken({ secret: config.auth.mode === 'secret' ? config.auth.secret : '', sub: user, ttlSeconds: 600 })}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const textBody = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: textBody ? (JSON.parse(textBody) as Record<string, any>) : undefined,
    };
  };

  const newProject = async (): Promise<string> => {
    const res = await call('POST', '/projects', {
      name: 'Posts',
      notionDatabaseId: randomUUID(),
      notionToken: 'secret_token',
    });
    expect(res.status).toBe(201);
    return res.body!.id as string;
  };

  const row = (spec: Spec, overrides: Partial<MirrorRow> = {}): MirrorRow => ({
    pageId: randomUUID(),
    dataSourceId: DS,
    title: spec.title,
    properties: properties(spec),
    url: null,
    icon: null,
    createdTime: '2026-01-01T09:00:00.000Z',
    lastEditedTime: '2026-03-01T10:00:00.000Z',
    ...overrides,
    inTrash: false,
  });
  const upsert = async (projectId: string, rows: MirrorRow[]) => writer.upsert(projectId, rows, await writer.now());
  const saveSchema = (projectId: string, sources: DataSourceSchema[]) => schemas.save(projectId, sources);

  const query = (projectId: string, body: Record<string, unknown>, qs = '') =>
    call('POST', `/projects/${projectId}/pages/query${qs}`, body);

  /** Every page of a query, following nextCursor. */
  const queryAll = async (projectId: string, body: Record<string, unknown>) => {
    const pages: Page[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await query(projectId, { ...body, ...(cursor && { start_cursor: cursor }) });
      expect(res.status).toBe(200);
      pages.push(res.body!.items);
      if (!res.body!.nextCursor) return pages;
      cursor = res.body!.nextCursor;
    }
  };
  const titles = async (projectId: string, body: Record<string, unknown>) =>
    (await queryAll(projectId, body)).flat().map((p) => p.title);

  const expectInvalid = (res: Awaited<ReturnType<typeof call>>, field: string) => {
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, type: 'urn:notion-sync:problem:invalid-query' });
    expect(res.body!.errors).toEqual([{ field, messages: [expect.any(String)] }]);
  };

  beforeAll(async () => {
    app = await createGatewayApp(config);
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/v1`;
    writer = app.get(MirrorWriter);
    schemas = new DataSourceSchemaStore(app.get(DataSource));
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('values and the schema', () => {
    let projectId: string;
    let page: MirrorRow;

    beforeAll(async () => {
      projectId = await newProject();
      await saveSchema(projectId, [{ id: DS, name: 'Posts', properties: SCHEMA }]);
      page = row({ title: 'Hello', status: 'Published', tags: ['a', 'b'], due: '2026-02-01', points: 3, note: 'n' });
      await upsert(projectId, [page]);
    });

    it('serves plain values keyed by property name, beside the raw properties', async () => {
      const res = await call('GET', `/projects/${projectId}/pages/${page.pageId}`);
      expect(res.status).toBe(200);
      expect(res.body!.values).toEqual({
        Name: 'Hello',
        Status: 'Published',
        Tags: ['a', 'b'],
        'Due date': { start: '2026-02-01', end: null, timeZone: null },
        Points: 3,
        Done: false,
        'pt%3A': 'n',
      });
      expect(res.body!.properties).toEqual(page.properties);
    });

    it('selects values by name or id with repeated filter_properties; an id wins over a name', async () => {
      const qs = new URLSearchParams([
        ['filter_properties', 'Due date'],
        ['filter_properties', 'pt%3A'],
      ]);
      const res = await call('GET', `/projects/${projectId}/pages/${page.pageId}?${qs}`);
      expect(res.status).toBe(200);
      // "pt%3A" is the id of Points (and the name of another property): Points.
      expect(res.body!.values).toEqual({ 'Due date': { start: '2026-02-01', end: null, timeZone: null }, Points: 3 });
      expect(Object.keys(res.body!.properties).sort()).toEqual(['Due date', 'Points']);
      const list = await call('GET', `/projects/${projectId}/pages?filter_properties=Status`);
      expect(list.body!.items[0].values).toEqual({ Status: 'Published' });
      const feed = await call('GET', `/projects/${projectId}/changes?after=0&filter_properties=title`);
      expect(feed.body!.items[0].values).toEqual({ Name: 'Hello' });
      const queried = await query(projectId, {}, '?filter_properties=Tags');
      expect(queried.body!.items[0].values).toEqual({ Tags: ['a', 'b'] });
    });

    it('refuses a property name the project does not know (400 naming it)', async () => {
      const res = await call('GET', `/projects/${projectId}/pages?filter_properties=Status&filter_properties=Nope`);
      expectInvalid(res, 'filter_properties[1]');
    });

    it('serves the schema with a version that moves only when the schema changes; a rename rewrites no row', async () => {
      const first = await call('GET', `/projects/${projectId}/schema`);
      expect(first.status).toBe(200);
      expect(first.body!.dataSources).toEqual([{ id: DS, name: 'Posts', properties: SCHEMA }]);
      await saveSchema(projectId, [{ id: DS, name: 'Posts', properties: SCHEMA }]);
      const same = await call('GET', `/projects/${projectId}/schema`);
      expect(same.body!.version).toBe(first.body!.version);

      const before = await call('GET', `/projects/${projectId}/pages/${page.pageId}`);
      const renamed = SCHEMA.map((p) => (p.id === 'st%3A' ? { ...p, name: 'State' } : p));
      await saveSchema(projectId, [{ id: DS, name: 'Posts', properties: renamed }]);
      const after = await call('GET', `/projects/${projectId}/schema`);
      expect(BigInt(after.body!.version)).toBeGreaterThan(BigInt(first.body!.version));
      const read = await call('GET', `/projects/${projectId}/pages/${page.pageId}`);
      expect(read.body!.values.State).toBe('Published');
      expect(read.body!.values.Status).toBeUndefined();
      expect(read.body!.version).toBe(before.body!.version);
      // Queries follow the new name too.
      expect(await titles(projectId, { filter: { property: 'State', select: { equals: 'Published' } } })).toEqual([
        'Hello',
      ]);
      await saveSchema(projectId, [{ id: DS, name: 'Posts', properties: SCHEMA }]);
    });

    it('keeps an unknown property type raw, and a type change re-maps the value', async () => {
      const own = await newProject();
      const odd = row({ title: 'Odd' });
      const place = { id: 'pl%3A', type: 'place', place: { lat: 1, lon: 2 } };
      await saveSchema(own, [
        { id: DS, name: 'Posts', properties: [...SCHEMA, { id: 'pl%3A', name: 'Where', type: 'place' }] },
      ]);
      await upsert(own, [{ ...odd, properties: { ...odd.properties, Where: place } }]);
      const res = await call('GET', `/projects/${own}/pages/${odd.pageId}`);
      expect(res.body!.values.Where).toEqual(place);

      // Points becomes a rich text (same id): the next fetch maps the new value.
      const changed = SCHEMA.map((p) => (p.id === 'pt%3A' ? { id: p.id, name: p.name, type: 'rich_text' } : p));
      await saveSchema(own, [{ id: DS, name: 'Posts', properties: changed }]);
      const props = { ...odd.properties, Points: { id: 'pt%3A', type: 'rich_text', rich_text: text('three') } };
      await upsert(own, [{ ...odd, properties: props, lastEditedTime: '2026-03-02T10:00:00.000Z' }]);
      const after = await call('GET', `/projects/${own}/pages/${odd.pageId}`);
      expect(after.body!.values.Points).toBe('three');
      expect(await titles(own, { filter: { property: 'Points', rich_text: { equals: 'THREE' } } })).toEqual(['Odd']);
      expectInvalid(await query(own, { filter: { property: 'Points', number: { equals: 3 } } }), 'filter.number');
    });
  });

  describe('queries', () => {
    let projectId: string;
    const specs: Spec[] = [];

    beforeAll(async () => {
      projectId = await newProject();
      await saveSchema(projectId, [{ id: DS, name: 'Posts', properties: SCHEMA }]);
      // 60 pages: statuses cycle, a quarter without a due date, ties on dates.
      for (let i = 0; i < 60; i++) {
        specs.push({
          title: `Post ${String(i).padStart(2, '0')}`,
          status: i % 7 === 0 ? null : STATUS_OPTIONS[i % 3]!,
          tags: i % 2 === 0 ? ['even'] : i % 5 === 0 ? ['odd', 'five'] : [],
          due: i % 4 === 3 ? null : `2026-02-${String((i % 10) + 1).padStart(2, '0')}`,
          points: i % 6 === 0 ? null : i,
          done: i % 3 === 0,
          note: i % 10 === 0 ? `Ünïcode ${i} 100%_x` : undefined,
        });
      }
      await upsert(
        projectId,
        specs.map((spec) => row(spec)),
      );
    });

    const by = (pick: (s: Spec) => boolean) =>
      specs
        .filter(pick)
        .map((s) => s.title)
        .sort();

    it('select equals (and a list: any of), and its negation including empties', async () => {
      const published = await titles(projectId, { filter: { property: 'Status', select: { equals: 'Published' } } });
      expect(published.sort()).toEqual(by((s) => s.status === 'Published'));
      const either = await titles(projectId, {
        filter: { property: 'Status', select: { equals: ['Draft', 'Review'] } },
      });
      expect(either.sort()).toEqual(by((s) => s.status === 'Draft' || s.status === 'Review'));
      const not = await titles(projectId, { filter: { property: 'Status', select: { does_not_equal: 'Published' } } });
      expect(not.sort()).toEqual(by((s) => s.status !== 'Published'));
      // Options are exact: case matters.
      expect(await titles(projectId, { filter: { property: 'Status', select: { equals: 'published' } } })).toEqual([]);
      const empty = await titles(projectId, { filter: { property: 'Status', select: { is_empty: true } } });
      expect(empty.sort()).toEqual(by((s) => !s.status));
    });

    it('multi-select contains, number and checkbox comparisons, dates by UTC day', async () => {
      expect(
        (await titles(projectId, { filter: { property: 'Tags', multi_select: { contains: 'five' } } })).sort(),
      ).toEqual(by((s) => s.tags?.includes('five') === true));
      expect(
        (await titles(projectId, { filter: { property: 'Tags', multi_select: { does_not_contain: 'even' } } })).sort(),
      ).toEqual(by((s) => !s.tags?.includes('even')));
      expect(
        (await titles(projectId, { filter: { property: 'Points', number: { greater_than_or_equal_to: 50 } } })).sort(),
      ).toEqual(by((s) => (s.points ?? -1) >= 50));
      expect((await titles(projectId, { filter: { property: 'Done', checkbox: { equals: true } } })).sort()).toEqual(
        by((s) => s.done === true),
      );
      expect(
        (await titles(projectId, { filter: { property: 'Due date', date: { equals: '2026-02-03' } } })).sort(),
      ).toEqual(by((s) => s.due === '2026-02-03'));
      expect(
        (
          await titles(projectId, {
            filter: {
              and: [
                { property: 'Due date', date: { on_or_after: '2026-02-03' } },
                { property: 'Due date', date: { before: '2026-02-05' } },
              ],
            },
          })
        ).sort(),
      ).toEqual(by((s) => s.due !== null && s.due! >= '2026-02-03' && s.due! < '2026-02-05'));
      expect((await titles(projectId, { filter: { property: 'Due date', date: { is_empty: true } } })).sort()).toEqual(
        by((s) => s.due === null),
      );
    });

    it('text conditions fold case (Unicode) and take %, _ literally', async () => {
      expect(await titles(projectId, { filter: { property: 'pt%3A', number: { equals: 10 } } })).toEqual(['Post 10']);
      const notes = await titles(projectId, { filter: { property: 'nt%3A', rich_text: { contains: 'üNÏ' } } });
      expect(notes.sort()).toEqual(by((s) => s.note !== undefined));
      expect(await titles(projectId, { filter: { property: 'nt%3A', rich_text: { contains: '0%_x' } } })).toHaveLength(
        6,
      );
      expect(await titles(projectId, { filter: { property: 'nt%3A', rich_text: { contains: '0%%x' } } })).toEqual([]);
      expect(await titles(projectId, { filter: { property: 'Name', title: { starts_with: 'post 1' } } })).toHaveLength(
        10,
      );
      expect(await titles(projectId, { filter: { property: 'Name', title: { ends_with: '9' } } })).toHaveLength(6);
    });

    it('or of and: compounds two levels deep', async () => {
      const res = await titles(projectId, {
        filter: {
          or: [
            {
              and: [
                { property: 'Status', select: { equals: 'Draft' } },
                { property: 'Done', checkbox: { equals: true } },
              ],
            },
            { property: 'Points', number: { equals: 1 } },
          ],
        },
      });
      expect(res.sort()).toEqual(by((s) => (s.status === 'Draft' && s.done === true) || s.points === 1));
    });

    it('sorts by a date with ties by page id, empties last in both directions, across pages of any size', async () => {
      const rows = (
        await queryAll(projectId, { sorts: [{ property: 'Due date', direction: 'ascending' }], page_size: 7 })
      ).flat();
      expect(rows).toHaveLength(60);
      const dues = rows.map((p) => (p.values['Due date'] as { start: string } | null)?.start ?? null);
      const valued = dues.filter((d) => d !== null);
      expect(dues.slice(0, valued.length)).toEqual(valued);
      expect(valued).toEqual([...valued].sort());
      expect(dues.slice(valued.length).every((d) => d === null)).toBe(true);
      // Ties: ascending page ids within one date (the first sort's direction).
      for (let i = 1; i < rows.length; i++)
        if (dues[i] === dues[i - 1]) expect(rows[i]!.id > rows[i - 1]!.id).toBe(true);

      const desc = (
        await queryAll(projectId, { sorts: [{ property: 'Due date', direction: 'descending' }], page_size: 9 })
      ).flat();
      const descDues = desc.map((p) => (p.values['Due date'] as { start: string } | null)?.start ?? null);
      expect(descDues.slice(0, valued.length)).toEqual([...valued].sort().reverse());
      expect(descDues.slice(valued.length).every((d) => d === null)).toBe(true);
      for (let i = 1; i < desc.length; i++)
        if (descDues[i] === descDues[i - 1]) expect(desc[i]!.id < desc[i - 1]!.id).toBe(true);
    });

    it('sorts select by option order, then by a second key', async () => {
      const rows = (
        await queryAll(projectId, {
          sorts: [
            { property: 'Status', direction: 'ascending' },
            { property: 'Points', direction: 'descending' },
          ],
          page_size: 11,
        })
      ).flat();
      const statuses = rows.map((p) => p.values['Status']);
      const rank = (s: unknown) => (s === null ? 99 : STATUS_OPTIONS.indexOf(s as string));
      for (let i = 1; i < rows.length; i++) {
        expect(rank(statuses[i])).toBeGreaterThanOrEqual(rank(statuses[i - 1]));
        if (statuses[i] === statuses[i - 1]) {
          const [a, b] = [rows[i - 1]!.values['Points'] as number | null, rows[i]!.values['Points'] as number | null];
          if (a === null) expect(b).toBeNull();
          else if (b !== null) expect(b).toBeLessThanOrEqual(a);
        }
      }
    });

    it('a filter sorted by a date pages exactly once while other pages change', async () => {
      const body = {
        filter: { property: 'Status', select: { equals: 'Review' } },
        sorts: [{ property: 'Due date', direction: 'descending' }],
        page_size: 4,
      };
      const expected = (await queryAll(projectId, body)).flat().map((p) => p.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let edits = 0;
      do {
        const res = await query(projectId, { ...body, ...(cursor && { start_cursor: cursor }) });
        seen.push(...res.body!.items.map((p: Page) => p.id));
        cursor = res.body!.nextCursor ?? undefined;
        // Between pages, pages outside the result change (new pages, edits of Drafts).
        await upsert(projectId, [row({ title: `Extra ${edits++}`, status: 'Draft', due: '2026-02-05' })]);
      } while (cursor);
      expect(seen).toEqual(expected);
    });

    it('binds a cursor to its query and schema version', async () => {
      const body = { sorts: [{ property: 'Points', direction: 'ascending' }], page_size: 5 };
      const first = await query(projectId, body);
      const cursor = first.body!.nextCursor as string;
      // Same query, keys in another order: accepted.
      expect((await query(projectId, { page_size: 5, sorts: body.sorts, start_cursor: cursor })).status).toBe(200);
      expectInvalid(
        await query(projectId, {
          ...body,
          sorts: [{ property: 'Points', direction: 'descending' }],
          start_cursor: cursor,
        }),
        'start_cursor',
      );
      expectInvalid(await query(projectId, { ...body, includeDeleted: true, start_cursor: cursor }), 'start_cursor');
      expectInvalid(await query(projectId, { ...body, start_cursor: `${cursor}x` }), 'start_cursor');
      const other = await newProject();
      await saveSchema(other, [{ id: DS, name: 'Posts', properties: SCHEMA }]);
      expectInvalid(await query(other, { ...body, start_cursor: cursor }), 'start_cursor');
    });

    it('answers 400 naming the offending part, for each kind of bad query', async () => {
      const cases: Array<[unknown, string]> = [
        [{ property: 'Nope', select: { equals: 'x' } }, 'filter.property'],
        [
          {
            and: [
              { property: 'Status', select: { equals: 'x' } },
              { property: 'Status', select: { contains: 'x' } },
            ],
          },
          'filter.and[1].select.contains',
        ],
        [{ property: 'Status', multi_select: { contains: 'x' } }, 'filter.multi_select'],
        [{ property: 'Due date', date: { after: 'yesterday-ish' } }, 'filter.date.after'],
        [{ property: 'Due date', date: { on_or_before: '2026-02-30' } }, 'filter.date.on_or_before'],
        [{ property: 'Points', number: { equals: '3' } }, 'filter.number.equals'],
        [{ and: [{ or: [{ and: [] }] }] }, 'filter.and[0].or[0].and'],
        [{ property: 'Status', select: { equals: 'x', does_not_equal: 'y' } }, 'filter.select'],
        [{ timestamp: 'created_time', created_time: { past_week: { x: 1 } } }, 'filter.created_time.past_week'],
        [{ property: 'Status', select: { equals: 'x' }, extra: 1 }, 'filter.extra'],
        [{ nothing: true }, 'filter'],
      ];
      for (const [filter, field] of cases) expectInvalid(await query(projectId, { filter }), field);
      expectInvalid(await query(projectId, { sorts: [{ property: 'Status', direction: 'up' }] }), 'sorts[0].direction');
      expectInvalid(
        await query(projectId, { sorts: [{ property: 'Nope', direction: 'ascending' }] }),
        'sorts[0].property',
      );
      expectInvalid(await query(projectId, { dataSourceId: OTHER_DS }), 'dataSourceId');
      const tooBig = await query(projectId, { page_size: 101 });
      expect(tooBig.status).toBe(400);
      const unknownField = await query(projectId, { filters: {} });
      expect(unknownField.status).toBe(400);
    });

    it('needs a data source to name properties when the project has several', async () => {
      const own = await newProject();
      await saveSchema(own, [
        { id: DS, name: 'Posts', properties: SCHEMA },
        { id: OTHER_DS, name: 'Other', properties: SCHEMA },
      ]);
      await upsert(own, [
        row({ title: 'In posts', status: 'Draft' }),
        row({ title: 'In other', status: 'Draft' }, { dataSourceId: OTHER_DS }),
      ]);
      expectInvalid(
        await query(own, { filter: { property: 'Status', select: { equals: 'Draft' } } }),
        'filter.property',
      );
      expect(
        await titles(own, { dataSourceId: OTHER_DS, filter: { property: 'Status', select: { equals: 'Draft' } } }),
      ).toEqual(['In other']);
      // Timestamps need none.
      expect(
        (
          await titles(own, { filter: { timestamp: 'created_time', created_time: { on_or_after: '2026-01-01' } } })
        ).sort(),
      ).toEqual(['In other', 'In posts']);
    });

    it('describes the filter and sort shapes in the OpenAPI document, every reference resolved', async () => {
      const doc = (await (await fetch(`${base.replace(/\/api\/v1$/, '')}/docs/openapi.json`)).json()) as Record<
        string,
        any
      >;
      const schemas = doc.components.schemas as Record<string, any>;
      const body = schemas.QueryPagesDto;
      expect(body.additionalProperties).toBe(false);
      expect(body.properties.filter.oneOf.map((s: { $ref: string }) => s.$ref)).toEqual([
        '#/components/schemas/PropertyFilter',
        '#/components/schemas/TimestampFilter',
        '#/components/schemas/CompoundFilter',
      ]);
      expect(body.properties.sorts.items.$ref).toBe('#/components/schemas/QuerySort');
      // A select condition, as a generated client would type it.
      const select = schemas.PropertyFilter.oneOf.find((s: any) => s.required.includes('select'));
      expect(select.properties.select.oneOf.map((c: any) => Object.keys(c.properties)[0])).toEqual([
        'equals',
        'does_not_equal',
        'is_empty',
        'is_not_empty',
      ]);
      const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
      for (const ref of new Set(refs)) expect(schemas[ref.split('/').pop()!]).toBeDefined();
      expect(doc.paths['/api/v1/projects/{id}/schema'].get.responses['200']).toBeDefined();
    });

    it('is 404 for another owner, as everywhere', async () => {
      const res = await call('POST', `/projects/${projectId}/pages/query`, {}, `user_${randomUUID()}`);
      expect(res.status).toBe(404);
    });
  });
});
