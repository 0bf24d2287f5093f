import { describe, expect, it } from '@jest/globals';
import type { PropertySchema } from '@app/contracts';
import { PropertyLookup } from '../read/property-lookup.js';
import { compileFilter } from './filter.compiler.js';
import { InvalidQueryError } from './query.errors.js';
import { compileSorts } from './sort.compiler.js';
import { SqlParams } from './sql-params.js';

const SCHEMA: PropertySchema[] = [
  { id: 'title', name: 'Name', type: 'title' },
  { id: 'a%3B', name: 'Status', type: 'select', options: [{ id: '1', name: 'Done', color: 'green' }] },
  { id: 'b%3B', name: 'Due', type: 'date' },
  { id: 'c%3B', name: 'Points', type: 'number' },
  { id: 'title2', name: 'title', type: 'rich_text' },
  {
    id: 'r%3B',
    name: 'Sum',
    type: 'rollup',
    rollup: { function: 'sum', resultType: 'number', relationPropertyId: null, rollupPropertyId: null },
  },
];

/** `lookup` null: no single data source (the project has several and the query named none). */
const compile = (filter: unknown, lookup: PropertyLookup | null = new PropertyLookup(SCHEMA)) => {
  const params = new SqlParams();
  const sql = compileFilter(filter, { params, lookup: lookup ?? undefined, now: new Date('2026-03-11T12:00:00Z') });
  return { sql, params: params.values };
};

/** The path the compiler names for a bad filter. */
const pathOf = (filter: unknown, lookup?: PropertyLookup | null) => {
  try {
    compile(filter, lookup);
  } catch (err) {
    if (err instanceof InvalidQueryError) return err.problem.field;
    throw err;
  }
  throw new Error('compiled');
};

describe('compileFilter', () => {
  it('binds every value and property id; none reaches the SQL text', () => {
    const hostile = "x'); DROP TABLE projects; --";
    const { sql, params } = compile({
      and: [
        { property: 'Name', title: { contains: hostile } },
        { property: 'Status', select: { equals: hostile } },
        { property: 'Points', number: { greater_than: 3 } },
      ],
    });
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('Status');
    expect(params).toEqual(expect.arrayContaining([`%${hostile.toLowerCase()}%`, [hostile], 'a%3B', 3]));
  });

  it('finds a property by id before name (a name may be another property id)', () => {
    // "title" is the id of Name and the name of another property: the id wins.
    const { params } = compile({ property: 'title', title: { equals: 'x' } });
    expect(params).toContain('title');
    expect(params).not.toContain('title2');
  });

  it('escapes LIKE wildcards in text operands', () => {
    const { params } = compile({ property: 'Name', title: { starts_with: '50%_\\' } });
    expect(params).toContain('50\\%\\_\\\\%');
  });

  it('names the offending part of a bad filter', () => {
    expect(pathOf({ property: 'Nope', select: { equals: 'x' } })).toBe('filter.property');
    expect(
      pathOf({
        or: [
          { property: 'Status', select: { equals: 'Done' } },
          { property: 'Due', date: { after: 'soon' } },
        ],
      }),
    ).toBe('filter.or[1].date.after');
    expect(pathOf({ property: 'Status', status: { equals: 'Done' } })).toBe('filter.status');
    expect(pathOf({ property: 'Status', select: { contains: 'Done' } })).toBe('filter.select.contains');
    expect(pathOf({ property: 'Status', select: { equals: [] } })).toBe('filter.select.equals');
    expect(pathOf({ property: 'Points', number: { equals: Number.NaN } })).toBe('filter.number.equals');
    expect(pathOf({ property: 'Points', number: { is_empty: false } })).toBe('filter.number.is_empty');
    expect(pathOf({ and: [{ or: [{ and: [] }] }] })).toBe('filter.and[0].or[0].and');
    expect(pathOf({ and: {} })).toBe('filter.and');
    expect(pathOf({ and: [], or: [] })).toBe('filter');
    expect(pathOf({ timestamp: 'created', created: {} })).toBe('filter.timestamp');
    expect(pathOf({ property: 'Sum', rollup: { number: { equals: 'x' } } })).toBe('filter.rollup.number.equals');
    expect(pathOf({ property: 'Sum', rollup: { any: { title: { equals: 'x' } } } })).toBe('filter.rollup.any.title');
    expect(pathOf({ property: 'Name', title: { equals: 'x'.repeat(2001) } })).toBe('filter.title.equals');
    expect(pathOf('Status = Done')).toBe('filter');
    // 101 conditions in all (each compound holds fewer than 100): refused before anything is compiled.
    const leaf = { property: 'Points', number: { equals: 1 } };
    expect(pathOf({ or: Array.from({ length: 11 }, () => ({ and: Array(10).fill(leaf) })) })).toBe('filter');
    expect(pathOf({ or: [{ and: Array(50).fill(leaf) }, { and: Array(50).fill(leaf) }, leaf] })).toBe('filter');
    expect(() => compile({ or: [{ and: Array(50).fill(leaf) }, { and: Array(50).fill(leaf) }] })).not.toThrow();
    // Without one data source, properties cannot be named; timestamps can.
    expect(pathOf({ property: 'Status', select: { equals: 'Done' } }, null)).toBe('filter.property');
    expect(() => compile({ timestamp: 'created_time', created_time: { past_week: {} } }, null)).not.toThrow();
  });

  it('a rollup condition of another kind than the rollup matches nothing, and binds nothing unused', () => {
    const { sql, params } = compile({ property: 'Sum', rollup: { date: { after: '2026-01-01' } } });
    expect(sql).toBe('FALSE');
    expect(params).toEqual([]);
  });

  it('an empty and matches everything, an empty or nothing', () => {
    expect(compile({ and: [] }).sql).toBe('TRUE');
    expect(compile({ or: [] }).sql).toBe('FALSE');
    expect(compile(undefined).sql).toBe('TRUE');
  });
});

describe('compileSorts', () => {
  const lookup = new PropertyLookup(SCHEMA);

  it('defaults to newest edit first', () => {
    const [key] = compileSorts(undefined, lookup);
    expect(key).toMatchObject({ direction: 'desc', kind: 'time' });
    expect(key!.render(new SqlParams())).toBe('p.last_edited_time');
  });

  it('walks an index for dates, numbers and texts; select sorts by option order', () => {
    const keys = compileSorts(
      [
        { property: 'Due', direction: 'descending' },
        { property: 'Points', direction: 'ascending' },
        { property: 'Name', direction: 'ascending' },
        { property: 'Status', direction: 'ascending' },
      ],
      lookup,
    );
    expect(keys.map((k) => k.indexed?.table ?? null)).toEqual(['page_dates', 'page_numbers', 'page_values', null]);
    const params = new SqlParams();
    expect(keys[3]!.render(params)).toContain('array_position');
    expect(params.values).toEqual([['Done'], 'a%3B']);
  });

  it('names the offending sort', () => {
    const pathOfSort = (sorts: unknown) => {
      try {
        compileSorts(sorts, lookup);
      } catch (err) {
        return (err as InvalidQueryError).problem.field;
      }
      return 'compiled';
    };
    expect(pathOfSort([{ property: 'Due', direction: 'down' }])).toBe('sorts[0].direction');
    expect(
      pathOfSort([
        { property: 'Due', direction: 'ascending' },
        { property: 'X', direction: 'ascending' },
      ]),
    ).toBe('sorts[1].property');
    expect(pathOfSort([{ timestamp: 'created_time', property: 'Due', direction: 'ascending' }])).toBe('sorts[0]');
    expect(pathOfSort([{ timestamp: 'edited', direction: 'ascending' }])).toBe('sorts[0].timestamp');
    expect(pathOfSort([{ property: 'Due', direction: 'ascending', nulls: 'first' }])).toBe('sorts[0].nulls');
    expect(pathOfSort({})).toBe('sorts');
    expect(pathOfSort(Array(11).fill({ property: 'Due', direction: 'ascending' }))).toBe('sorts');
  });
});
