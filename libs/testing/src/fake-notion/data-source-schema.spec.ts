import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, LogLevel, type PageObjectResponse } from '@notionhq/client';
import { FakeNotion } from './fake-notion.js';
import { coercePropertyValue, plainText, type FakePropertyValue } from './property-values.js';

/**
 * The data source's schema and the page objects the fake serves, read with the
 * real SDK: options in order, renames and type changes on the same id, the
 * schema configuration of each type, and the page shapes of every value type.
 */

const { prop } = FakeNotion;
const VERSION = '2026-03-11';
const NOW = new Date('2026-01-28T15:00:00Z');
const ADA = { id: '9a5c0000-0000-4000-8000-0000000000a1', name: 'Ada' };
const BOB = '9a5c0000-0000-4000-8000-0000000000b2';

describe('FakeNotion data source schema', () => {
  const notion = new FakeNotion({ now: () => NOW });
  let client: Client;
  let databaseId: string;
  let ds: string;
  let other: string;

  beforeAll(async () => {
    await notion.start();
    ({
      databaseId,
      dataSourceIds: [ds, other],
    } = notion.addDatabase('Schema', ['Rows', 'Other']) as { databaseId: string; dataSourceIds: [string, string] });
    notion.share('secret_schema', databaseId);
    client = new Client({
      auth: 'secret_schema',
      baseUrl: notion.url,
      notionVersion: VERSION,
      logLevel: LogLevel.ERROR,
    });
  });

  afterAll(async () => {
    await notion.stop();
  });

  const schema = async (id = ds) =>
    ((await client.dataSources.retrieve({ data_source_id: id })) as { properties: Record<string, any> }).properties;
  const page = async (id: string) => (await client.pages.retrieve({ page_id: id })) as PageObjectResponse;
  const props = async (id: string) => (await page(id)).properties as Record<string, any>;
  const names = (options: { name: string }[]) => options.map((o) => o.name);
  const add = (title: string, properties: Record<string, FakePropertyValue> = {}) =>
    notion.addPage(ds, title, { at: NOW, properties }).id;
  const titles = async (body: Omit<Parameters<Client['dataSources']['query']>[0], 'data_source_id'>) =>
    (await client.dataSources.query({ data_source_id: ds, ...body })).results.map((r) =>
      plainText((r as any).properties.Name.title),
    );

  describe('options', () => {
    let p1: string;
    let p2: string;

    beforeAll(() => {
      p1 = add('p1', { Stage: prop.select('Done', 'green'), Tags: prop.multiSelect(['b', 'a']) });
      p2 = add('p2', { Stage: prop.select('Draft'), Tags: prop.multiSelect(['c', 'a']), State: prop.status('Open') });
    });

    it('lists select, status and multi_select options in order of first use, as the SDK types them', async () => {
      const properties = await schema();
      expect(properties['Stage']).toEqual({
        id: notion.propertyId(ds, 'Stage'),
        name: 'Stage',
        description: null,
        type: 'select',
        select: {
          options: [
            { id: expect.any(String), name: 'Done', color: 'green', description: null },
            { id: expect.any(String), name: 'Draft', color: 'default', description: null },
          ],
        },
      });
      expect(names(properties['Tags'].multi_select.options)).toEqual(['b', 'a', 'c']);
      expect(properties['State'].status).toEqual({
        options: [{ id: expect.any(String), name: 'Open', color: 'default', description: null }],
        groups: [],
      });
    });

    it('fixes their order and colors with setPropertyOptions; a new option is appended', async () => {
      notion.setPropertyOptions(ds, 'Stage', [
        { name: 'Draft', color: 'gray' },
        { name: 'Done', color: 'green' },
        { name: 'Archived' },
      ]);
      expect(names((await schema())['Stage'].select.options)).toEqual(['Draft', 'Done', 'Archived']);
      // Pages show the schema's option.
      expect((await props(p2))['Stage'].select).toMatchObject({ name: 'Draft', color: 'gray' });
      const p3 = add('p3', { Stage: prop.select('New') });
      expect(names((await schema())['Stage'].select.options)).toEqual(['Draft', 'Done', 'Archived', 'New']);
      expect(await titles({ sorts: [{ property: 'Stage', direction: 'ascending' }] })).toEqual(['p2', 'p1', 'p3']);
      expect(await titles({ sorts: [{ property: 'Stage', direction: 'descending' }] })).toEqual(['p3', 'p1', 'p2']);
      notion.trashPage(p3);
    });

    it('refuses options that leave out one in use, or a property without options', () => {
      expect(() => notion.setPropertyOptions(ds, 'Stage', [{ name: 'Done' }])).toThrow(/"Draft" is in use/);
      expect(() => notion.setPropertyOptions(ds, 'Tags', [{ name: 'a' }, { name: 'b' }])).toThrow(/"c" is in use/);
      notion.propertyId(ds, 'Plain', 'rich_text');
      expect(() => notion.setPropertyOptions(ds, 'Plain', [{ name: 'x' }])).toThrow(/only select/);
    });

    it('renames a property on the same id: pages, the schema and queries take the new name', async () => {
      const id = notion.propertyId(ds, 'Stage');
      notion.renameProperty(ds, 'Stage', 'Phase');
      const properties = await props(p1);
      expect(properties['Stage']).toBeUndefined();
      expect(properties['Phase']).toMatchObject({ id, type: 'select', select: { name: 'Done' } });
      expect((await schema())['Phase']).toMatchObject({ id, name: 'Phase', type: 'select' });
      expect(notion.getPage(p1)!.properties['Phase']).toBeDefined();
      expect(await titles({ filter: { property: 'Phase', select: { equals: 'Done' } } })).toEqual(['p1']);
      expect(await titles({ filter: { property: id, select: { equals: 'Done' } } })).toEqual(['p1']);
      await expect(
        client.dataSources.query({ data_source_id: ds, filter: { property: 'Stage', select: { equals: 'Done' } } }),
      ).rejects.toMatchObject({ status: 400, code: 'validation_error' });
    });

    it('renames the title property too', async () => {
      notion.renameProperty(ds, 'Name', 'Title');
      try {
        expect((await props(p1))['Title']).toMatchObject({ id: 'title', type: 'title', title: [{ plain_text: 'p1' }] });
        expect((await schema())['Title']).toMatchObject({ id: 'title', type: 'title' });
        expect(() => notion.editPage(p1, { properties: { Title: prop.richText('x') } })).toThrow(/set the title/);
      } finally {
        notion.renameProperty(ds, 'Title', 'Name');
      }
    });
  });

  describe('type changes', () => {
    let a: string;
    let b: string;

    beforeAll(() => {
      a = add('a', { Estimate: prop.richText('3') });
      b = add('b', { Estimate: prop.richText('many') });
    });

    it('keeps the id and replaces each value with the converted one, or the empty value', async () => {
      const id = notion.propertyId(ds, 'Estimate');
      notion.changePropertyType(ds, 'Estimate', 'number', (old) => {
        const n = Number(old.type === 'rich_text' ? plainText(old.rich_text) : NaN);
        return Number.isNaN(n) ? null : prop.number(n);
      });
      expect((await props(a))['Estimate']).toEqual({ id, type: 'number', number: 3 });
      expect((await props(b))['Estimate']).toEqual({ id, type: 'number', number: null });
      expect((await schema())['Estimate']).toEqual({
        id,
        name: 'Estimate',
        description: null,
        type: 'number',
        number: { format: 'number' },
      });
      expect(await titles({ filter: { property: 'Estimate', number: { equals: 3 } } })).toEqual(['a']);
      await expect(
        client.dataSources.query({ data_source_id: ds, filter: { property: 'Estimate', rich_text: { equals: '3' } } }),
      ).rejects.toMatchObject({ status: 400 });
    });

    it('empties every value without a converter, and refuses a converted value of another type', async () => {
      notion.changePropertyType(ds, 'Estimate', 'select');
      expect((await props(a))['Estimate']).toMatchObject({ type: 'select', select: null });
      expect((await schema())['Estimate'].select).toEqual({ options: [] });
      expect(() => notion.changePropertyType(ds, 'Estimate', 'number', () => prop.checkbox(true))).toThrow(
        /checkbox value for a number property/,
      );
      expect(() => notion.changePropertyType(ds, 'Name', 'rich_text')).toThrow(/title/);
    });

    it('changes the type when a page sets a value of another type, as Notion: other values go', async () => {
      notion.editPage(a, { properties: { Size: prop.number(1) } });
      notion.editPage(b, { properties: { Size: prop.richText('big') } });
      expect((await props(b))['Size']).toMatchObject({ type: 'rich_text', rich_text: [{ plain_text: 'big' }] });
      expect((await props(a))['Size']).toMatchObject({ type: 'rich_text', rich_text: [] });
      expect(notion.getPage(a)!.properties['Size']).toBeUndefined();
      expect((await schema())['Size'].type).toBe('rich_text');
    });
  });

  describe('configuration and value shapes', () => {
    let full: string;
    let bare: string;

    beforeAll(() => {
      notion.defineProperty(ds, 'Price', { type: 'number', format: 'euro' });
      notion.defineProperty(ds, 'Total', { type: 'formula', expression: 'prop("Price") * 2' });
      notion.defineProperty(ds, 'Task', { type: 'unique_id', prefix: 'TASK' });
      notion.defineProperty(ds, 'Link', { type: 'relation', relation: { databaseId, dataSourceId: other } });
      notion.defineProperty(ds, 'Sum', {
        type: 'rollup',
        rollup: { function: 'sum', relationProperty: 'Link', rollupProperty: 'Price' },
      });
      notion.defineProperty(ds, 'Created', { type: 'created_time' });
      notion.defineProperty(ds, 'Edited', { type: 'last_edited_time' });
      notion.defineProperty(ds, 'Creator', { type: 'created_by' });
      notion.defineProperty(ds, 'Editor', { type: 'last_edited_by' });
      full = notion.addPage(ds, 'full', {
        at: new Date('2026-01-27T08:15:00Z'),
        createdBy: ADA,
        properties: {
          Price: prop.number(9.5),
          Total: prop.formulaNumber(19),
          Task: prop.uniqueId(12, 'TASK'),
          Code: prop.uniqueId(1, 'BUG'),
          Sum: prop.rollupNumber(4),
          Files: prop.files([
            { name: 'spec.pdf', url: 'https://files.example/spec.pdf' },
            { name: 'a.png', url: 'https://s3.example/a.png', expiryTime: '2026-01-28T16:00:00.000Z' },
          ]),
          Label: prop.formulaString('ok'),
          Flag: prop.formulaBoolean(false),
          When: prop.formulaDate('2026-02-01'),
          Last: prop.rollupDate('2026-03-01'),
          Items: prop.rollupArray([prop.number(1), prop.select('A')]),
          Check: prop.verification('verified', { date: '2026-01-01', verifiedBy: ADA }),
          Owners: prop.people([ADA, BOB]),
        },
      }).id;
      notion.editPage(full, { editedBy: BOB }, new Date('2026-01-28T09:00:00Z'));
      bare = add('bare');
    });

    it("shows each type's configuration as the SDK's DatabasePropertyConfigResponse", async () => {
      const properties = await schema();
      const config = (name: string) => properties[name][properties[name].type];
      expect(config('Price')).toEqual({ format: 'euro' });
      expect(config('Total')).toEqual({ expression: 'prop("Price") * 2' });
      expect(config('Task')).toEqual({ prefix: 'TASK' });
      // Without a definition, the first value's prefix.
      expect(config('Code')).toEqual({ prefix: 'BUG' });
      expect(config('Link')).toEqual({
        database_id: databaseId,
        data_source_id: other,
        type: 'single_property',
        single_property: {},
      });
      expect(config('Sum')).toEqual({
        function: 'sum',
        relation_property_name: 'Link',
        relation_property_id: notion.propertyId(ds, 'Link'),
        rollup_property_name: 'Price',
        rollup_property_id: expect.any(String),
      });
      for (const name of ['Files', 'Check', 'Created', 'Edited', 'Creator', 'Editor']) expect(config(name)).toEqual({});
      expect(properties['Created'].type).toBe('created_time');
    });

    it('serves every value type in the shape of the SDK page properties', async () => {
      const properties = await props(full);
      const id = (name: string) => notion.propertyId(ds, name);
      expect(properties['Files']).toEqual({
        id: id('Files'),
        type: 'files',
        files: [
          { name: 'spec.pdf', type: 'external', external: { url: 'https://files.example/spec.pdf' } },
          {
            name: 'a.png',
            type: 'file',
            file: { url: 'https://s3.example/a.png', expiry_time: '2026-01-28T16:00:00.000Z' },
          },
        ],
      });
      expect(properties['Task']).toEqual({
        id: id('Task'),
        type: 'unique_id',
        unique_id: { prefix: 'TASK', number: 12 },
      });
      expect(properties['Total']).toEqual({
        id: id('Total'),
        type: 'formula',
        formula: { type: 'number', number: 19 },
      });
      expect(properties['Label'].formula).toEqual({ type: 'string', string: 'ok' });
      expect(properties['Flag'].formula).toEqual({ type: 'boolean', boolean: false });
      expect(properties['When'].formula).toEqual({
        type: 'date',
        date: { start: '2026-02-01', end: null, time_zone: null },
      });
      expect(properties['Sum']).toEqual({
        id: id('Sum'),
        type: 'rollup',
        rollup: { type: 'number', number: 4, function: 'sum' },
      });
      expect(properties['Last'].rollup).toEqual({
        type: 'date',
        date: { start: '2026-03-01', end: null, time_zone: null },
        function: 'latest_date',
      });
      expect(properties['Items'].rollup).toEqual({
        type: 'array',
        function: 'show_original',
        array: [
          { type: 'number', number: 1 },
          { type: 'select', select: { id: expect.any(String), name: 'A', color: 'default' } },
        ],
      });
      const ada = { object: 'user', id: ADA.id, name: 'Ada', avatar_url: null, type: 'person', person: {} };
      expect(properties['Check']).toEqual({
        id: id('Check'),
        type: 'verification',
        verification: {
          state: 'verified',
          date: { start: '2026-01-01', end: null, time_zone: null },
          verified_by: ada,
        },
      });
      expect(properties['Owners'].people).toEqual([ada, { object: 'user', id: BOB }]);
    });

    it('derives created and edited properties from the page', async () => {
      const shown = await page(full);
      const properties = shown.properties as Record<string, any>;
      expect(properties['Created']).toEqual({
        id: notion.propertyId(ds, 'Created'),
        type: 'created_time',
        created_time: '2026-01-27T08:15:00.000Z',
      });
      expect(properties['Edited'].last_edited_time).toBe('2026-01-28T09:00:00.000Z');
      expect(properties['Creator'].created_by).toEqual({
        object: 'user',
        id: ADA.id,
        name: 'Ada',
        avatar_url: null,
        type: 'person',
        person: {},
      });
      expect(properties['Editor'].last_edited_by).toEqual({ object: 'user', id: BOB });
      expect(shown.created_by).toEqual({ object: 'user', id: ADA.id });
      expect(shown.last_edited_by).toEqual({ object: 'user', id: BOB });
      expect((await props(bare))['Creator'].created_by).toEqual({ object: 'user', id: notion.userId });
    });

    it("lists every property on every page, an unset one with its type's empty value", async () => {
      const properties = await props(bare);
      expect(Object.keys(properties)).toEqual(Object.keys(await schema()));
      expect(properties['Files'].files).toEqual([]);
      expect(properties['Task'].unique_id).toEqual({ prefix: 'TASK', number: null });
      expect(properties['Total'].formula).toEqual({ type: 'string', string: null });
      expect(properties['Sum'].rollup).toEqual({ type: 'array', array: [], function: 'sum' });
      expect(properties['Check'].verification).toEqual({ state: 'unverified', date: null, verified_by: null });
      expect(properties['Owners'].people).toEqual([]);
      expect(properties['Price'].number).toBeNull();
    });

    it('serves the new types through the property item endpoint', async () => {
      expect(
        await client.pages.properties.retrieve({ page_id: full, property_id: notion.propertyId(ds, 'Total') }),
      ).toEqual({
        object: 'property_item',
        id: notion.propertyId(ds, 'Total'),
        type: 'formula',
        formula: { type: 'number', number: 19 },
      });
      expect(
        await client.pages.properties.retrieve({ page_id: full, property_id: notion.propertyId(ds, 'Created') }),
      ).toMatchObject({ type: 'created_time', created_time: '2026-01-27T08:15:00.000Z' });
    });

    it('queries them through the SDK', async () => {
      expect(await titles({ filter: { property: 'Total', formula: { number: { greater_than: 10 } } } })).toEqual([
        'full',
      ]);
      expect(await titles({ filter: { property: 'Check', verification: { status: 'verified' } } })).toEqual(['full']);
      expect(await titles({ filter: { property: 'Creator', created_by: { contains: ADA.id } } })).toEqual(['full']);
      expect(await titles({ filter: { property: 'Task', unique_id: { equals: 12 } } })).toEqual(['full']);
    });
  });
});

describe('coercePropertyValue', () => {
  it('accepts the real shapes of the new types, as a page object shows them', () => {
    const shapes: Array<[unknown, FakePropertyValue]> = [
      [
        {
          type: 'files',
          files: [
            { name: 'a', type: 'external', external: { url: 'https://a' } },
            { name: 'b', type: 'file', file: { url: 'https://b', expiry_time: '2026-01-01T00:00:00.000Z' } },
          ],
        },
        prop.files([
          { name: 'a', url: 'https://a' },
          { name: 'b', url: 'https://b', expiryTime: '2026-01-01T00:00:00.000Z' },
        ]),
      ],
      [{ type: 'unique_id', unique_id: { prefix: 'TASK', number: 3 } }, prop.uniqueId(3, 'TASK')],
      [{ type: 'unique_id', unique_id: { prefix: null, number: 3 } }, prop.uniqueId(3)],
      [{ type: 'formula', formula: { type: 'string', string: 'x' } }, prop.formulaString('x')],
      [{ type: 'formula', formula: { type: 'number', number: null } }, prop.formulaNumber(null)],
      [{ type: 'formula', formula: { type: 'boolean', boolean: true } }, prop.formulaBoolean(true)],
      [
        { type: 'formula', formula: { type: 'date', date: { start: '2026-01-01', end: null, time_zone: null } } },
        prop.formulaDate('2026-01-01'),
      ],
      [{ type: 'rollup', rollup: { type: 'number', number: 2, function: 'count' } }, prop.rollupNumber(2, 'count')],
      [
        { type: 'rollup', rollup: { type: 'date', date: { start: '2026-01-01' }, function: 'earliest_date' } },
        prop.rollupDate('2026-01-01', 'earliest_date'),
      ],
      [
        {
          type: 'rollup',
          rollup: {
            type: 'array',
            function: 'show_original',
            array: [
              { type: 'number', number: 3 },
              { type: 'created_time', created_time: '2026-01-01T00:00:00.000Z' },
            ],
          },
        },
        prop.rollupArray([prop.number(3), { type: 'created_time', created_time: '2026-01-01T00:00:00.000Z' }]),
      ],
      [
        { type: 'verification', verification: { state: 'unverified', date: null, verified_by: null } },
        prop.verification('unverified'),
      ],
      [
        {
          type: 'verification',
          verification: { state: 'expired', date: { start: '2026-01-01' }, verified_by: { object: 'user', id: BOB } },
        },
        prop.verification('expired', { date: '2026-01-01', verifiedBy: BOB }),
      ],
      [
        {
          type: 'people',
          people: [
            { object: 'user', id: BOB },
            { object: 'user', id: ADA.id, name: 'Ada' },
          ],
        },
        prop.people([BOB, ADA]),
      ],
    ];
    for (const [raw, expected] of shapes) expect(coercePropertyValue(raw)).toEqual(expected);
  });

  it('refuses shapes it cannot read', () => {
    for (const raw of [
      { type: 'files', files: [{ url: 'https://no-name' }] },
      { type: 'formula', formula: { type: 'string', string: 3 } },
      { type: 'rollup', rollup: { type: 'array', array: [{ type: 'rollup', rollup: {} }] } },
      { type: 'verification', verification: { state: 'maybe' } },
      { type: 'created_time', created_time: '2026-01-01T00:00:00.000Z' },
    ])
      expect(() => coercePropertyValue(raw)).toThrow(TypeError);
  });
});
