import { describe, expect, it } from '@jest/globals';
import type { PageObjectResponse } from '@notionhq/client';
import { FakeNotion, type AddPageOptions } from './fake-notion.js';
import { richTextItem } from './property-values.js';
import { compareCodePoints, parseIsoDate, QueryValidationError } from './query-engine.js';

/**
 * The fake's query semantics, those of docs/queries.md ("Semantics"), run
 * without HTTP through `queryDataSource`: each condition with rows that match
 * and rows that do not, sorts with ties and empty values, and the 400s.
 */

const { prop } = FakeNotion;
/** A Wednesday: its ISO week runs Monday 2026-01-26 to Sunday 2026-02-01. */
const NOW = new Date('2026-01-28T15:00:00Z');
const T1 = '0b7f6e02-0000-4000-8000-000000000001';
const T2 = '0b7f6e02-0000-4000-8000-000000000002';
const ADA = { id: '9a5c0000-0000-4000-8000-0000000000a1', name: 'Ada' };
const BOB = '9a5c0000-0000-4000-8000-0000000000b2';

type Row = readonly [
  title: string,
  properties?: AddPageOptions['properties'],
  options?: Omit<AddPageOptions, 'properties'>,
];

const titleOf = (page: unknown) =>
  ((page as PageObjectResponse).properties['Name'] as { title: { plain_text: string }[] }).title
    .map((t) => t.plain_text)
    .join('');

function setup(rows: readonly Row[]) {
  const fake = new FakeNotion({ now: () => NOW });
  const { databaseId, dataSourceIds } = fake.addDatabase('Rows', ['Rows']);
  const ds = dataSourceIds[0]!;
  fake.share('secret', databaseId);
  for (const [title, properties, options] of rows)
    fake.addPage(ds, title, { at: new Date('2026-01-26T10:00:00Z'), ...options, properties });
  /** Titles of the rows the filter matches, sorted (filters are compared as sets). */
  const match = (filter: unknown) =>
    query({ filter })
      .map(titleOf)
      .sort((a, b) => compareCodePoints(a, b));
  /** Every result, through cursors of `page_size` rows. */
  const query = (body: Record<string, unknown>, pageSize = 100) => {
    const results: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = fake.queryDataSource(ds, { ...body, page_size: pageSize, start_cursor: cursor });
      results.push(...page.results);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return results;
  };
  const order = (sorts: unknown[]) => query({ sorts }).map(titleOf);
  /** A 400, and (with `message`) for the reason given. */
  const refuse = (body: Record<string, unknown>, message?: string) => {
    expect(() => fake.queryDataSource(ds, body)).toThrow(QueryValidationError);
    if (message) expect(() => fake.queryDataSource(ds, body)).toThrow(message);
  };
  return { fake, ds, match, order, query, refuse };
}

const sorted = (titles: string[]) => [...titles].sort((a, b) => compareCodePoints(a, b));

describe('fake query engine: text conditions', () => {
  const { match } = setup([
    [
      'Apple',
      {
        Notes: prop.richText(['Hello ', 'World']),
        Url: prop.url('https://apple.example/A'),
        Email: prop.email('Ann@Example.com'),
        Phone: prop.phoneNumber('+1 555 0100'),
      },
    ],
    ['banana', { Notes: prop.richText('100% _sure_'), Url: prop.url(null), Email: prop.email('bob@example.com') }],
    ['Cherry', { Notes: prop.richText('') }],
    ['Ärger', { Notes: prop.richText('ÄRGER groß') }],
    [''],
  ]);
  const all = ['Apple', 'banana', 'Cherry', 'Ärger', ''];
  const but = (...titles: string[]) => sorted(all.filter((t) => !titles.includes(t)));
  const title = (condition: object) => match({ property: 'Name', title: condition });
  const notes = (condition: object) => match({ property: 'Notes', rich_text: condition });

  it('compares case-insensitively (Unicode lower case), literally', () => {
    expect(title({ equals: 'apple' })).toEqual(['Apple']);
    expect(title({ equals: 'appl' })).toEqual([]);
    expect(title({ contains: 'AN' })).toEqual(['banana']);
    expect(title({ starts_with: 'ch' })).toEqual(['Cherry']);
    expect(title({ ends_with: 'RY' })).toEqual(['Cherry']);
    expect(title({ starts_with: 'err' })).toEqual([]);
    expect(notes({ equals: 'hello world' })).toEqual(['Apple']);
    expect(notes({ contains: 'ärger' })).toEqual(['Ärger']);
    // % and _ are characters, not wildcards.
    expect(notes({ contains: '0% _S' })).toEqual(['banana']);
    expect(notes({ contains: '%' })).toEqual(['banana']);
    expect(notes({ starts_with: '_' })).toEqual([]);
  });

  it('lets does_not_equal and does_not_contain match empty values', () => {
    expect(title({ does_not_equal: 'APPLE' })).toEqual(but('Apple'));
    expect(title({ does_not_contain: 'an' })).toEqual(but('banana'));
    expect(notes({ does_not_contain: 'o' })).toEqual(sorted(['banana', 'Cherry', '']));
    expect(notes({ does_not_equal: '100% _sure_' })).toEqual(but('banana'));
  });

  it('knows empty texts: "" and unset', () => {
    expect(title({ is_empty: true })).toEqual(['']);
    expect(title({ is_not_empty: true })).toEqual(but(''));
    expect(notes({ is_empty: true })).toEqual(sorted(['Cherry', '']));
    expect(notes({ is_not_empty: true })).toEqual(sorted(['Apple', 'banana', 'Ärger']));
  });

  it('applies to url, email and phone_number', () => {
    expect(match({ property: 'Url', url: { contains: 'APPLE.example/a' } })).toEqual(['Apple']);
    expect(match({ property: 'Url', url: { is_empty: true } })).toEqual(but('Apple'));
    expect(match({ property: 'Email', email: { ends_with: '@EXAMPLE.COM' } })).toEqual(['Apple', 'banana']);
    expect(match({ property: 'Email', email: { equals: 'bob@example.org' } })).toEqual([]);
    expect(match({ property: 'Phone', phone_number: { starts_with: '+1' } })).toEqual(['Apple']);
    expect(match({ property: 'Phone', phone_number: { does_not_equal: '+1 555 0100' } })).toEqual(but('Apple'));
  });
});

describe('fake query engine: numbers, unique ids, checkboxes', () => {
  const { match } = setup([
    ['n1', { Price: prop.number(10), Done: prop.checkbox(true), Task: prop.uniqueId(12, 'TASK') }],
    ['n2', { Price: prop.number(-2.5), Done: prop.checkbox(false), Task: prop.uniqueId(3, 'TASK') }],
    ['n3', { Price: prop.number(null) }],
    ['n4', { Price: prop.number(0) }],
  ]);
  const price = (condition: object) => match({ property: 'Price', number: condition });

  it('compares numbers; empty numbers only match does_not_equal and is_empty', () => {
    expect(price({ equals: 10 })).toEqual(['n1']);
    expect(price({ does_not_equal: 10 })).toEqual(['n2', 'n3', 'n4']);
    expect(price({ greater_than: 0 })).toEqual(['n1']);
    expect(price({ less_than: 0 })).toEqual(['n2']);
    expect(price({ greater_than_or_equal_to: 0 })).toEqual(['n1', 'n4']);
    expect(price({ less_than_or_equal_to: 0 })).toEqual(['n2', 'n4']);
    expect(price({ is_empty: true })).toEqual(['n3']);
    expect(price({ is_not_empty: true })).toEqual(['n1', 'n2', 'n4']);
  });

  it('compares a unique_id by its number', () => {
    const task = (condition: object) => match({ property: 'Task', unique_id: condition });
    expect(task({ equals: 12 })).toEqual(['n1']);
    expect(task({ greater_than: 5 })).toEqual(['n1']);
    expect(task({ less_than_or_equal_to: 3 })).toEqual(['n2']);
    expect(task({ does_not_equal: 12 })).toEqual(['n2', 'n3', 'n4']);
    expect(task({ is_empty: true })).toEqual(['n3', 'n4']);
  });

  it('treats an unset checkbox as false, never empty', () => {
    const done = (condition: object) => match({ property: 'Done', checkbox: condition });
    expect(done({ equals: true })).toEqual(['n1']);
    expect(done({ equals: false })).toEqual(['n2', 'n3', 'n4']);
    expect(done({ does_not_equal: true })).toEqual(['n2', 'n3', 'n4']);
    expect(done({ does_not_equal: false })).toEqual(['n1']);
  });
});

describe('fake query engine: select, status, multi_select', () => {
  const { match } = setup([
    ['o1', { Stage: prop.select('Draft'), State: prop.status('Doing'), Tags: prop.multiSelect(['red', 'blue']) }],
    ['o2', { Stage: prop.select('Published'), State: prop.status('Done'), Tags: prop.multiSelect(['blue']) }],
    ['o3', { Stage: prop.select(null), Tags: prop.multiSelect([]) }],
    ['o4', { Stage: prop.select('draft'), Tags: prop.multiSelect(['Red']) }],
  ]);

  it('matches select and status options exactly; a list means any of / none of', () => {
    const stage = (condition: object) => match({ property: 'Stage', select: condition });
    expect(stage({ equals: 'Draft' })).toEqual(['o1']);
    expect(stage({ equals: ['Draft', 'Published'] })).toEqual(['o1', 'o2']);
    expect(stage({ does_not_equal: 'Draft' })).toEqual(['o2', 'o3', 'o4']);
    expect(stage({ does_not_equal: ['Draft', 'Published'] })).toEqual(['o3', 'o4']);
    expect(stage({ is_empty: true })).toEqual(['o3']);
    expect(stage({ is_not_empty: true })).toEqual(['o1', 'o2', 'o4']);
    const state = (condition: object) => match({ property: 'State', status: condition });
    expect(state({ equals: 'Done' })).toEqual(['o2']);
    expect(state({ equals: ['Doing', 'Done'] })).toEqual(['o1', 'o2']);
    expect(state({ does_not_equal: ['Doing'] })).toEqual(['o2', 'o3', 'o4']);
    expect(state({ is_empty: true })).toEqual(['o3', 'o4']);
  });

  it('matches multi_select options exactly; a list means contains any / contains none', () => {
    const tags = (condition: object) => match({ property: 'Tags', multi_select: condition });
    expect(tags({ contains: 'red' })).toEqual(['o1']);
    expect(tags({ contains: ['Red', 'blue'] })).toEqual(['o1', 'o2', 'o4']);
    expect(tags({ does_not_contain: 'blue' })).toEqual(['o3', 'o4']);
    expect(tags({ does_not_contain: ['red', 'Red'] })).toEqual(['o2', 'o3']);
    expect(tags({ is_empty: true })).toEqual(['o3']);
    expect(tags({ is_not_empty: true })).toEqual(['o1', 'o2', 'o4']);
  });
});

describe('fake query engine: relations and people', () => {
  const { fake, ds, match, refuse } = setup([
    ['r1', { Rel: prop.relation([T1, T2]), People: prop.people([ADA]) }, { createdBy: ADA }],
    ['r2', { Rel: prop.relation([T2]), People: prop.people([BOB, ADA.id]) }, { createdBy: BOB }],
    ['r3'],
  ]);
  fake.defineProperty(ds, 'Creator', { type: 'created_by' });
  fake.defineProperty(ds, 'Editor', { type: 'last_edited_by' });
  fake.editPage(fake.listPages(ds).find((p) => p.title === 'r1')!.id, { editedBy: BOB }, NOW);

  it('matches a relation by page id, dashes and case optional', () => {
    const rel = (condition: object) => match({ property: 'Rel', relation: condition });
    expect(rel({ contains: T1 })).toEqual(['r1']);
    expect(rel({ contains: T2.replace(/-/g, '').toUpperCase() })).toEqual(['r1', 'r2']);
    expect(rel({ does_not_contain: T1 })).toEqual(['r2', 'r3']);
    expect(rel({ is_empty: true })).toEqual(['r3']);
    expect(rel({ is_not_empty: true })).toEqual(['r1', 'r2']);
  });

  it('matches people, created_by and last_edited_by by user id', () => {
    const people = (condition: object) => match({ property: 'People', people: condition });
    expect(people({ contains: ADA.id })).toEqual(['r1', 'r2']);
    expect(people({ does_not_contain: BOB })).toEqual(['r1', 'r3']);
    expect(people({ is_empty: true })).toEqual(['r3']);
    expect(match({ property: 'Creator', created_by: { contains: ADA.id } })).toEqual(['r1']);
    expect(match({ property: 'Creator', created_by: { does_not_contain: ADA.id } })).toEqual(['r2', 'r3']);
    expect(match({ property: 'Editor', last_edited_by: { contains: BOB } })).toEqual(['r1', 'r2']);
    expect(match({ property: 'Editor', last_edited_by: { contains: ADA.id } })).toEqual([]);
  });

  it('refuses "me" and ids that are not UUIDs', () => {
    refuse({ filter: { property: 'People', people: { contains: 'me' } } });
    refuse({ filter: { property: 'Creator', created_by: { does_not_contain: 'me' } } });
    refuse({ filter: { property: 'Rel', relation: { contains: 'page-1' } } });
  });
});

describe('fake query engine: dates', () => {
  const due = (start: string, end?: string) => ({ Due: prop.date(start, end ?? null) });
  const { fake, match } = setup([
    ['dec27', due('2025-12-27')],
    ['dec28', due('2025-12-28')],
    ['range', due('2026-01-10', '2026-01-30')],
    ['jan20', due('2026-01-20')],
    ['jan21', due('2026-01-21')],
    ['sun25', due('2026-01-25')],
    ['late', due('2026-01-28T23:59:00Z')],
    // 01:30 at +02:00 is 23:30 UTC the day before: the 28th.
    ['tz', due('2026-01-29T01:30:00+02:00')],
    ['sun01', due('2026-02-01')],
    ['feb04', due('2026-02-04')],
    ['feb05', due('2026-02-05')],
    ['feb28', due('2026-02-28')],
    ['none'],
  ]);
  const date = (condition: object) => match({ property: 'Due', date: condition });
  const expectDate = (condition: object, titles: string[]) => expect(date(condition)).toEqual(sorted(titles));
  const before21 = ['dec27', 'dec28', 'range', 'jan20'];
  const future = ['sun01', 'feb04', 'feb05', 'feb28'];

  it('compares a date-only operand with whole UTC days, a value by its start', () => {
    expectDate({ equals: '2026-01-28' }, ['late', 'tz']);
    expectDate({ before: '2026-01-21' }, before21);
    expectDate({ on_or_before: '2026-01-21' }, [...before21, 'jan21']);
    expectDate({ after: '2026-01-28' }, future);
    expectDate({ on_or_after: '2026-02-05' }, ['feb05', 'feb28']);
    // The range's end (the 30th) is not used.
    expectDate({ equals: '2026-01-30' }, []);
  });

  it('compares a date-time operand exactly; without an offset it is UTC', () => {
    expectDate({ equals: '2026-01-28T23:30:00Z' }, ['tz']);
    expectDate({ equals: '2026-01-29T01:30:00.000+02:00' }, ['tz']);
    expectDate({ before: '2026-01-28T23:30:00' }, [...before21, 'jan21', 'sun25']);
    expectDate({ on_or_before: '2026-01-28T23:30:00' }, [...before21, 'jan21', 'sun25', 'tz']);
    expectDate({ after: '2026-01-28T23:30:00.000Z' }, ['late', ...future]);
    expectDate({ on_or_after: '2026-01-28T23:59:00Z' }, ['late', ...future]);
  });

  it('reads relative operands as UTC dates of the clock', () => {
    expectDate({ equals: 'today' }, ['late', 'tz']);
    expectDate({ before: 'yesterday' }, [...before21, 'jan21', 'sun25']);
    expectDate({ after: 'tomorrow' }, future);
    expectDate({ equals: 'one_week_ago' }, ['jan21']);
    expectDate({ equals: 'one_week_from_now' }, ['feb04']);
    expectDate({ on_or_before: 'one_month_ago' }, ['dec27', 'dec28']);
    expectDate({ equals: 'one_month_from_now' }, ['feb28']);
  });

  it('evaluates relative conditions in UTC: past and next week, month, year, this ISO week', () => {
    expectDate({ past_week: {} }, ['jan21', 'sun25', 'late', 'tz']);
    expectDate({ past_month: {} }, ['dec28', 'range', 'jan20', 'jan21', 'sun25', 'late', 'tz']);
    expectDate({ past_year: {} }, [...before21, 'jan21', 'sun25', 'late', 'tz']);
    expectDate({ next_week: {} }, ['late', 'tz', 'sun01', 'feb04']);
    expectDate({ next_month: {} }, ['late', 'tz', ...future]);
    expectDate({ next_year: {} }, ['late', 'tz', ...future]);
    // Monday the 26th to Sunday the 1st.
    expectDate({ this_week: {} }, ['late', 'tz', 'sun01']);
  });

  it('clamps a month back to the end of a shorter month, and follows the clock', () => {
    fake.setNow(new Date('2026-03-31T08:00:00Z'));
    try {
      expectDate({ equals: 'one_month_ago' }, ['feb28']);
      expectDate({ past_week: {} }, []);
    } finally {
      fake.setNow(NOW);
    }
    expectDate({ equals: 'one_month_ago' }, ['dec28']);
  });

  it('knows empty dates', () => {
    expectDate({ is_empty: true }, ['none']);
    expectDate({ is_not_empty: true }, [...before21, 'jan21', 'sun25', 'late', 'tz', ...future]);
  });
});

describe('fake query engine: timestamps', () => {
  const { fake, ds, match, order } = setup([
    ['ts1', {}, { at: new Date('2026-01-20T08:00:30Z') }],
    ['ts2', {}, { at: new Date('2026-01-27T12:00:00Z') }],
  ]);
  const [ts1, ts2] = ['ts1', 'ts2'].map((t) => fake.listPages(ds).find((p) => p.title === t)!.id);
  fake.editPage(ts1!, {}, new Date('2026-01-27T09:00:00Z'));
  fake.editPage(ts2!, {}, new Date('2026-01-28T14:00:00Z'));
  const createdId = fake.defineProperty(ds, 'Created', { type: 'created_time' });
  fake.defineProperty(ds, 'Edited', { type: 'last_edited_time' });

  it('filters on the page times (minute-rounded), with every date condition', () => {
    const created = (condition: object) => match({ timestamp: 'created_time', created_time: condition });
    const edited = (condition: object) => match({ timestamp: 'last_edited_time', last_edited_time: condition });
    expect(created({ past_week: {} })).toEqual(['ts2']);
    expect(created({ on_or_after: '2026-01-20T08:00:00Z' })).toEqual(['ts1', 'ts2']);
    expect(created({ after: '2026-01-20T08:00:00Z' })).toEqual(['ts2']);
    expect(edited({ equals: 'today' })).toEqual(['ts2']);
    expect(edited({ this_week: {} })).toEqual(['ts1', 'ts2']);
    expect(created({ is_empty: true })).toEqual([]);
  });

  it('filters on created_time and last_edited_time properties, by name or id', () => {
    expect(match({ property: 'Created', created_time: { before: '2026-01-21' } })).toEqual(['ts1']);
    expect(match({ property: createdId, created_time: { on_or_after: 'one_week_ago' } })).toEqual(['ts2']);
    expect(match({ property: 'Edited', last_edited_time: { on_or_after: '2026-01-28' } })).toEqual(['ts2']);
  });

  it('sorts by created_time and last_edited_time properties', () => {
    expect(order([{ property: 'Created', direction: 'descending' }])).toEqual(['ts2', 'ts1']);
    expect(order([{ property: 'Edited', direction: 'ascending' }])).toEqual(['ts1', 'ts2']);
  });
});

describe('fake query engine: files, verification, formulas, rollups', () => {
  const n = (value: number) => prop.number(value);
  const { match, refuse } = setup([
    [
      'f1',
      {
        Files: prop.files([{ name: 'spec.pdf', url: 'https://files.example/spec.pdf' }]),
        Check: prop.verification('verified', { date: '2026-01-01', verifiedBy: ADA }),
        Calc: prop.formulaNumber(5),
        Label: prop.formulaString('Yes'),
        Flag: prop.formulaBoolean(true),
        When: prop.formulaDate('2026-02-01'),
        Mixed: prop.formulaNumber(3),
        Sum: prop.rollupNumber(7),
        Last: prop.rollupDate('2026-03-01'),
        Items: prop.rollupArray([n(1), n(5)]),
        Names: prop.rollupArray([{ type: 'title', title: [richTextItem('Xylo')] }, prop.richText('Hello')]),
        Mix: prop.rollupArray([
          prop.select('A'),
          prop.status('Open'),
          prop.multiSelect(['m1']),
          prop.relation([T1]),
          prop.date('2026-01-01'),
          prop.people([ADA]),
          prop.files([{ name: 'x', url: 'https://x' }]),
          prop.checkbox(true),
        ]),
      },
    ],
    [
      'f2',
      {
        Files: prop.files([{ name: 'a.png', url: 'https://s3.example/a.png', expiryTime: '2026-01-28T16:00:00Z' }]),
        Check: prop.verification('expired'),
        Calc: prop.formulaNumber(null),
        Label: prop.formulaString(null),
        Flag: prop.formulaBoolean(false),
        When: prop.formulaDate(null),
        Mixed: prop.formulaString('3'),
        Sum: prop.rollupNumber(null),
        Last: prop.rollupDate(null),
        Items: prop.rollupArray([]),
        Mix: prop.rollupArray([prop.checkbox(false), prop.select('B')]),
      },
    ],
    ['f3'],
    [
      'f4',
      {
        Check: prop.verification('unverified'),
        Items: prop.rollupArray([n(5), n(9)]),
        Sum: prop.rollupArray([n(7)]),
      },
    ],
  ]);

  it('files: is_empty and is_not_empty only', () => {
    expect(match({ property: 'Files', files: { is_empty: true } })).toEqual(['f3', 'f4']);
    expect(match({ property: 'Files', files: { is_not_empty: true } })).toEqual(['f1', 'f2']);
    refuse({ filter: { property: 'Files', files: { contains: 'spec' } } });
  });

  it('verification: status and does_not_equal, unverified reads "none"', () => {
    const check = (condition: object) => match({ property: 'Check', verification: condition });
    expect(check({ status: 'verified' })).toEqual(['f1']);
    expect(check({ status: 'expired' })).toEqual(['f2']);
    expect(check({ status: 'none' })).toEqual(['f3', 'f4']);
    expect(check({ does_not_equal: 'verified' })).toEqual(['f2', 'f3', 'f4']);
    refuse({ filter: { property: 'Check', verification: { status: 'unverified' } } });
    refuse({ filter: { property: 'Check', verification: { is_empty: true } } });
  });

  it('formula: the condition must fit the computed type, else no match; an empty value is empty of every type', () => {
    const formula = (name: string, condition: object) => match({ property: name, formula: condition });
    expect(formula('Calc', { number: { equals: 5 } })).toEqual(['f1']);
    // f3 and f4 have no value (an empty string result): empty of every type.
    expect(formula('Calc', { number: { is_empty: true } })).toEqual(['f2', 'f3', 'f4']);
    expect(formula('Calc', { number: { does_not_equal: 5 } })).toEqual(['f2', 'f3', 'f4']);
    // A value of another type matches nothing, not even a negation: Mixed of f2 is the string "3".
    expect(formula('Mixed', { number: { does_not_equal: 4 } })).toEqual(['f1', 'f3', 'f4']);
    expect(formula('Label', { string: { equals: 'yes' } })).toEqual(['f1']);
    expect(formula('Label', { string: { contains: 'x' } })).toEqual([]);
    expect(formula('Flag', { checkbox: { equals: true } })).toEqual(['f1']);
    expect(formula('Flag', { checkbox: { does_not_equal: true } })).toEqual(['f2', 'f3', 'f4']);
    expect(formula('When', { date: { on_or_after: '2026-02-01' } })).toEqual(['f1']);
    expect(formula('When', { date: { is_empty: true } })).toEqual(['f2', 'f3', 'f4']);
    expect(formula('Mixed', { number: { equals: 3 } })).toEqual(['f1']);
    expect(formula('Mixed', { string: { equals: '3' } })).toEqual(['f2']);
  });

  it('rollup: number and date on those rollups only', () => {
    const rollup = (name: string, condition: object) => match({ property: name, rollup: condition });
    expect(rollup('Sum', { number: { equals: 7 } })).toEqual(['f1']);
    expect(rollup('Sum', { number: { does_not_equal: 7 } })).toEqual(['f2']);
    expect(rollup('Sum', { number: { is_empty: true } })).toEqual(['f2']);
    expect(rollup('Last', { date: { before: '2026-03-02' } })).toEqual(['f1']);
    expect(rollup('Last', { date: { is_empty: true } })).toEqual(['f2']);
  });

  it('rollup: any, every and none over array elements; every and none hold for an empty rollup', () => {
    const items = (condition: object) => match({ property: 'Items', rollup: condition });
    expect(items({ any: { number: { greater_than: 4 } } })).toEqual(['f1', 'f4']);
    expect(items({ any: { number: { equals: 1 } } })).toEqual(['f1']);
    expect(items({ every: { number: { greater_than: 4 } } })).toEqual(['f2', 'f3', 'f4']);
    expect(items({ none: { number: { greater_than: 4 } } })).toEqual(['f2', 'f3']);
    const names = (condition: object) => match({ property: 'Names', rollup: condition });
    expect(names({ any: { rich_text: { contains: 'HEL' } } })).toEqual(['f1']);
    // A rolled-up title answers rich_text conditions.
    expect(names({ any: { rich_text: { starts_with: 'xyl' } } })).toEqual(['f1']);
    expect(names({ every: { rich_text: { contains: 'hel' } } })).toEqual(['f2', 'f3', 'f4']);
    expect(names({ every: { rich_text: { contains: 'L' } } })).toEqual(['f1', 'f2', 'f3', 'f4']);
    expect(names({ any: { number: { equals: 1 } } })).toEqual([]);
    // An array rollup does not answer number conditions.
    expect(match({ property: 'Sum', rollup: { any: { number: { equals: 7 } } } })).toEqual(['f4']);
  });

  it('rollup: sub-conditions of every rolled-up type', () => {
    const any = (condition: object) => match({ property: 'Mix', rollup: { any: condition } });
    expect(any({ select: { equals: 'A' } })).toEqual(['f1']);
    expect(any({ select: { equals: 'C' } })).toEqual([]);
    expect(any({ status: { equals: 'Open' } })).toEqual(['f1']);
    expect(any({ multi_select: { contains: 'm1' } })).toEqual(['f1']);
    expect(any({ relation: { contains: T1 } })).toEqual(['f1']);
    expect(any({ date: { before: '2026-01-02' } })).toEqual(['f1']);
    expect(any({ people: { contains: ADA.id } })).toEqual(['f1']);
    expect(any({ files: { is_not_empty: true } })).toEqual(['f1']);
    expect(any({ checkbox: { equals: false } })).toEqual(['f2']);
    expect(any({ checkbox: { equals: true } })).toEqual(['f1']);
  });
});

describe('fake query engine: compounds and property references', () => {
  const { fake, ds, match, refuse } = setup([
    ['c1', { Price: prop.number(10), Done: prop.checkbox(true) }],
    ['c2', { Price: prop.number(-1) }],
    ['c3', { Price: prop.number(null) }],
    ['c4', { Price: prop.number(0) }],
  ]);
  const price = (condition: object) => ({ property: 'Price', number: condition });
  const done = (value: boolean) => ({ property: 'Done', checkbox: { equals: value } });

  it('combines with and / or, two levels deep', () => {
    expect(match({ and: [price({ greater_than_or_equal_to: 0 }), done(false)] })).toEqual(['c4']);
    expect(match({ or: [price({ equals: 10 }), price({ is_empty: true })] })).toEqual(['c1', 'c3']);
    expect(match({ and: [{ or: [price({ equals: 10 }), price({ equals: -1 })] }, done(false)] })).toEqual(['c2']);
    expect(match({ or: [{ and: [price({ less_than: 5 }), done(false)] }, done(true)] })).toEqual(['c1', 'c2', 'c4']);
    refuse({ filter: { and: [{ or: [{ and: [done(true)] }] }] } });
  });

  it('matches everything with an empty and, nothing with an empty or', () => {
    expect(match({ and: [] })).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(match({ or: [] })).toEqual([]);
  });

  it('names a property by id as well as by name; an id wins', () => {
    const id = fake.propertyId(ds, 'Price');
    expect(match({ property: id, number: { equals: 10 } })).toEqual(['c1']);
    // A property named like another's id: the id's property answers.
    fake.addPage(ds, 'c5', { at: NOW, properties: { [id]: prop.richText('named like an id') } });
    expect(match({ property: id, number: { less_than: 0 } })).toEqual(['c2']);
    refuse({ filter: { property: id, rich_text: { is_not_empty: true } } });
  });
});

describe('fake query engine: sorts', () => {
  const id = (c: string) => `00000000-0000-4000-8000-00000000000${c}`;
  const row = (c: string, properties: AddPageOptions['properties']): Row => [c, properties, { id: id(c) }];
  const { fake, ds, order, query } = setup([
    row('a', {
      Stage: prop.select('Draft'),
      Price: prop.number(2),
      Notes: prop.richText('b'),
      Due: prop.date('2026-01-02'),
      Done: prop.checkbox(true),
      Tags: prop.multiSelect(['y']),
      Calc: prop.formulaNumber(1),
      Task: prop.uniqueId(7),
      Rel: prop.relation([T2]),
      Owner: prop.people([BOB]),
      Roll: prop.rollupArray([prop.checkbox(false)]),
      State: prop.status('Later'),
    }),
    row('b', {
      Stage: prop.select('Published'),
      Price: prop.number(null),
      Notes: prop.richText('A'),
      Tags: prop.multiSelect(['x']),
      Calc: prop.formulaString('z'),
      Task: prop.uniqueId(30),
      Rel: prop.relation([T1, T2]),
      Owner: prop.people([ADA]),
      Roll: prop.rollupNumber(5),
      State: prop.status('Now'),
    }),
    row('c', {
      Stage: prop.select(null),
      Price: prop.number(2),
      Notes: prop.richText(''),
      Due: prop.date('2026-01-01T10:00:00Z'),
      Done: prop.checkbox(true),
      Tags: prop.multiSelect([]),
      Calc: prop.formulaBoolean(true),
      Task: prop.uniqueId(5),
      Roll: prop.rollupArray([prop.richText('x'), prop.number(1)]),
    }),
    row('d', {
      Stage: prop.select('Archived'),
      Price: prop.number(1),
      Notes: prop.richText('ä'),
      Due: prop.date('2026-01-01'),
      Tags: prop.multiSelect(['y', 'x']),
      Calc: prop.formulaDate('2026-01-01'),
      Roll: prop.rollupDate('2026-01-01'),
    }),
    row('e', {
      Stage: prop.select('Draft'),
      Price: prop.number(5),
      Notes: prop.richText('a'),
      Due: prop.date('2026-01-01T12:00:00+02:00'),
      Done: prop.checkbox(true),
      Tags: prop.multiSelect(['x']),
    }),
  ]);
  fake.setPropertyOptions(ds, 'Stage', [{ name: 'Published' }, { name: 'Draft' }, { name: 'Archived' }]);
  fake.setPropertyOptions(ds, 'State', [{ name: 'Now' }, { name: 'Later' }]);
  const asc = (property: string) => ({ property, direction: 'ascending' });
  const desc = (property: string) => ({ property, direction: 'descending' });

  it('orders select by the schema options, empties last both ways, ties by id in the first sort direction', () => {
    expect(order([asc('Stage')])).toEqual(['b', 'a', 'e', 'd', 'c']);
    expect(order([desc('Stage')])).toEqual(['d', 'e', 'a', 'b', 'c']);
    expect(order([asc('Price')])).toEqual(['d', 'a', 'c', 'e', 'b']);
    expect(order([desc('Price')])).toEqual(['e', 'c', 'a', 'd', 'b']);
    expect(order([asc('State')])).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(order([desc('State')])).toEqual(['a', 'b', 'e', 'd', 'c']);
  });

  it('orders text by lower case in code point order, dates by start instant, checkbox false first', () => {
    expect(order([asc('Notes')])).toEqual(['b', 'e', 'a', 'd', 'c']);
    expect(order([desc('Name')])).toEqual(['e', 'd', 'c', 'b', 'a']);
    // c and e are both 10:00 UTC.
    expect(order([asc('Due')])).toEqual(['d', 'c', 'e', 'a', 'b']);
    expect(order([desc('Due')])).toEqual(['a', 'e', 'c', 'd', 'b']);
    expect(order([asc('Done')])).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(order([desc('Done')])).toEqual(['e', 'c', 'a', 'd', 'b']);
  });

  it('orders lists by their first element, unique_id by number, formulas by type then value', () => {
    expect(order([asc('Tags')])).toEqual(['a', 'd', 'b', 'e', 'c']);
    expect(order([asc('Task')])).toEqual(['c', 'a', 'b', 'd', 'e']);
    expect(order([asc('Rel')])).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(order([asc('Owner')])).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(order([asc('Calc')])).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(order([desc('Calc')])).toEqual(['c', 'b', 'd', 'a', 'e']);
    // Rollups as formulas; an array rollup by its first element.
    expect(order([asc('Roll')])).toEqual(['b', 'd', 'c', 'a', 'e']);
  });

  it('applies later sorts within earlier ones, and pages through cursors in the same order', () => {
    expect(order([asc('Stage'), desc('Price')])).toEqual(['b', 'e', 'a', 'd', 'c']);
    // All created in one minute: the property sort decides, ties by id descending (the first sort's direction).
    expect(order([{ timestamp: 'created_time', direction: 'descending' }, asc('Stage')])).toEqual([
      'b',
      'e',
      'a',
      'd',
      'c',
    ]);
    const sorts = [asc('Stage'), desc('Price')];
    expect(query({ sorts }, 2).map((p) => (p as { id: string }).id)).toEqual(['b', 'e', 'a', 'd', 'c'].map(id));
    const first = fake.queryDataSource(ds, { sorts, page_size: 2 });
    expect(() => fake.queryDataSource(ds, { sorts: [asc('Price')], start_cursor: first.next_cursor })).toThrow(
      QueryValidationError,
    );
  });

  it('breaks timestamp ties by page id in the direction of the first sort, as property sorts do', () => {
    expect(order([{ timestamp: 'created_time', direction: 'descending' }])).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(order([{ timestamp: 'created_time', direction: 'ascending' }])).toEqual(['a', 'b', 'c', 'd', 'e']);
    // No sorts: created_time descending, so ties descending too.
    expect(order([])).toEqual(['e', 'd', 'c', 'b', 'a']);
  });
});

describe('fake query engine: 10,000 rows', () => {
  it('filters, sorts and pages 10,000 rows exactly once each, in order', () => {
    const fake = new FakeNotion({ now: () => NOW });
    const { dataSourceIds } = fake.addDatabase('Big', ['Rows']);
    const ds = dataSourceIds[0]!;
    const stages = ['Draft', 'Published', 'Archived'];
    const pages = fake.addPages(ds, 10_000, {
      stepMs: 0,
      properties: (i) => ({
        Stage: prop.select(stages[i % 3]!),
        Price: prop.number(i % 10 === 0 ? null : i % 7),
      }),
    });
    const price = (i: number) => (i % 10 === 0 ? null : i % 7);
    // Price descending, empties last, ties by id descending.
    const expected = pages
      .map((page, i) => ({ id: page.id, i }))
      .filter(({ i }) => i % 3 !== 2)
      .sort((x, y) => {
        const [a, b] = [price(x.i), price(y.i)];
        if (a !== b) return a === null ? 1 : b === null ? -1 : b - a;
        return x.id < y.id ? 1 : -1;
      })
      .map(({ id }) => id);
    const got: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ReturnType<FakeNotion['queryDataSource']> = fake.queryDataSource(ds, {
        filter: { property: 'Stage', select: { equals: ['Draft', 'Published'] } },
        sorts: [{ property: 'Price', direction: 'descending' }],
        start_cursor: cursor ?? undefined,
      });
      got.push(...page.results.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(got).toHaveLength(expected.length);
    expect(got).toEqual(expected);
  });
});

describe('fake query engine: bad queries answer 400 validation_error', () => {
  const { refuse } = setup([
    [
      'x',
      {
        Stage: prop.select('Draft'),
        Price: prop.number(1),
        Done: prop.checkbox(true),
        Due: prop.date('2026-01-01'),
        Calc: prop.formulaBoolean(true),
        Sum: prop.rollupArray([]),
      },
    ],
  ]);

  it.each<[string, string, Record<string, unknown>]>([
    ['an unknown property', 'body.filter.property', { filter: { property: 'Nope', select: { equals: 'x' } } }],
    ['an unknown sort property', 'body.sorts[0].property', { sorts: [{ property: 'Nope', direction: 'ascending' }] }],
    [
      'an unfitting operator',
      'body.filter.select.contains',
      { filter: { property: 'Stage', select: { contains: 'x' } } },
    ],
    [
      'a condition of another type',
      'body.filter.number does not fit',
      { filter: { property: 'Stage', number: { equals: 1 } } },
    ],
    [
      'a disagreeing type field',
      'body.filter.type',
      { filter: { property: 'Stage', type: 'status', select: { equals: 'x' } } },
    ],
    ['two conditions', 'exactly one condition', { filter: { property: 'Price', number: { equals: 1, less_than: 3 } } }],
    [
      'a key beside the condition',
      'beside `property`',
      { filter: { property: 'Price', number: { equals: 1 }, extra: 1 } },
    ],
    [
      'a number that is not one',
      'body.filter.number.equals',
      { filter: { property: 'Price', number: { equals: '1' } } },
    ],
    ['is_empty: false', 'body.filter.number.is_empty', { filter: { property: 'Price', number: { is_empty: false } } }],
    [
      'is_empty on a checkbox',
      'body.filter.checkbox.is_empty',
      { filter: { property: 'Done', checkbox: { is_empty: true } } },
    ],
    ['a malformed date', 'body.filter.date.after', { filter: { property: 'Due', date: { after: '2026-02-30' } } }],
    [
      'an unknown relative date',
      'body.filter.date.after',
      { filter: { property: 'Due', date: { after: 'next_tuesday' } } },
    ],
    [
      'a relative condition with a value',
      'body.filter.date.past_week',
      { filter: { property: 'Due', date: { past_week: { days: 3 } } } },
    ],
    [
      'an inherited name as operator',
      'body.filter.date.constructor',
      { filter: { property: 'Due', date: { constructor: {} } } },
    ],
    [
      'a formula condition key that is not one',
      'body.filter.formula.boolean',
      { filter: { property: 'Calc', formula: { boolean: { equals: true } } } },
    ],
    [
      'a rollup condition that is not one',
      'body.filter.rollup.some',
      { filter: { property: 'Sum', rollup: { some: { number: { equals: 1 } } } } },
    ],
    [
      'a rollup element condition that is not one',
      'body.filter.rollup.any.title',
      { filter: { property: 'Sum', rollup: { any: { title: { equals: 'x' } } } } },
    ],
    ['a compound nested three deep', 'body.filter.or[0].and[0]', { filter: { or: [{ and: [{ or: [] }] }] } }],
    ['a compound with a key beside it', 'body.filter.and', { filter: { and: [], property: 'Price' } }],
    ['a filter that is neither', 'body.filter should be', { filter: { Price: 1 } }],
    ['a sort direction', 'body.sorts[0].direction', { sorts: [{ property: 'Price', direction: 'up' }] }],
    [
      'a sort with an extra key',
      'body.sorts[0] should be',
      { sorts: [{ property: 'Price', direction: 'ascending', nulls: 'first' }] },
    ],
    [
      'an unknown timestamp',
      'body.filter.timestamp',
      { filter: { timestamp: 'deleted_time', deleted_time: { past_week: {} } } },
    ],
    ['a page_size out of range', 'body.page_size', { page_size: 0 }],
    ['a cursor that is not one', 'start_cursor', { start_cursor: 'nope' }],
  ])('refuses %s', (_, message, body) => refuse(body, message));
});

describe('parseIsoDate', () => {
  it('reads dates, date-times with and without offsets, and refuses impossible ones', () => {
    expect(parseIsoDate('2026-01-31')).toEqual({ ms: Date.UTC(2026, 0, 31), dateOnly: true });
    expect(parseIsoDate('2026-01-31T10:00')).toEqual({ ms: Date.UTC(2026, 0, 31, 10), dateOnly: false });
    expect(parseIsoDate('2026-01-31T10:00:00.5-05:30')?.ms).toBe(Date.UTC(2026, 0, 31, 15, 30, 0, 500));
    expect(parseIsoDate('2024-02-29')).toBeDefined();
    for (const bad of ['2026-02-29', '2026-13-01', '2026-01-31T24:00', 'today', '31/01/2026'])
      expect(parseIsoDate(bad)).toBeUndefined();
  });

  it('orders text by code point, above the BMP too', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
  });
});
