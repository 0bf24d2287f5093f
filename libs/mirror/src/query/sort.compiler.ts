import type { PropertySchema } from '@app/contracts';
import { isJsonObject } from '@app/notion';
import type { PropertyLookup } from '../read/property-lookup.js';
import { TABLE_OF, type ValueTable } from './filter.compiler.js';
import { invalid } from './query.errors.js';
import type { SqlParams } from './sql-params.js';

/** Sorts one query takes at most. */
const MAX_SORTS = 10;

export type Direction = 'asc' | 'desc';

/** What a sort key's values are, for binding a cursor's value back. */
export type KeyKind = 'text' | 'number' | 'time' | 'boolean' | 'position';

/**
 * One key of the order: an SQL expression over `p` (NULL when empty), its
 * direction and kind. Rendered per statement (`render` binds its parameters):
 * a statement that does not use a key must not carry its parameters.
 */
export interface SortKey {
  readonly render: (params: SqlParams) => string;
  readonly direction: Direction;
  readonly kind: KeyKind;
  /**
   * The page's own time (created, last edited): never empty, so no NULLS
   * clause, and its index `(project_id, <time> DESC, page_id DESC)` serves the order.
   */
  readonly never?: 'empty';
  /**
   * Set when the key is an element column with an index
   * `(project_id, property_id, <column>, page_id)`: a query sorted first by it
   * walks that index (see `MirrorQuery`).
   */
  readonly indexed?: { readonly propertyId: string; readonly column: 'k' | 'n' | 'd'; readonly table: ValueTable };
}

const CAST: Record<KeyKind, string> = {
  text: '::text',
  number: '::float8',
  time: '::timestamptz',
  boolean: '::boolean',
  position: '::integer',
};

export const castOf = (kind: KeyKind): string => CAST[kind];

/** No `sorts`: the page list's order, newest edit first. */
export const DEFAULT_SORT: readonly SortKey[] = [
  { render: () => 'p.last_edited_time', direction: 'desc', kind: 'time', never: 'empty' },
];

/** The first element's column of a property (`ord = 0`), NULL when empty. */
const element = (propertyId: string, column: 't' | 'k' | 'n' | 'd' | 'b') => (params: SqlParams) =>
  `(SELECT v.${column} FROM ${TABLE_OF[column]} v WHERE v.project_id = p.project_id AND v.page_id = p.page_id ` +
  `AND v.property_id = ${params.bind(propertyId)} AND v.ord = 0)`;

const TEXT_KEYED = new Set([
  'title',
  'rich_text',
  'url',
  'email',
  'phone_number',
  'people',
  'relation',
  'files',
  'created_by',
  'last_edited_by',
  'verification',
]);

function propertyKey(property: PropertySchema, direction: Direction): SortKey {
  const keyed = (column: 'k' | 'n' | 'd', kind: KeyKind): SortKey => ({
    render: element(property.id, column),
    direction,
    kind,
    indexed: { propertyId: property.id, column, table: TABLE_OF[column] },
  });
  if (TEXT_KEYED.has(property.type)) return keyed('k', 'text');
  switch (property.type) {
    case 'number':
    case 'unique_id':
      return keyed('n', 'number');
    case 'date':
      return keyed('d', 'time');
    case 'checkbox':
      return { render: element(property.id, 'b'), direction, kind: 'boolean' };
    case 'created_time':
    case 'last_edited_time':
      return { render: () => `p.${property.type}`, direction, kind: 'time', never: 'empty' };
    case 'select':
    case 'status':
    case 'multi_select': {
      // By the options' order in the schema, a multi-select by its first option;
      // a value the schema does not list (yet) after those it lists.
      const names = (property.options ?? []).map((o) => o.name);
      return {
        render: (params) =>
          `(SELECT coalesce(array_position(${params.bind(names, '::text[]')}, v.t), ${names.length + 1}) ` +
          `FROM page_values v WHERE v.project_id = p.project_id AND v.page_id = p.page_id ` +
          `AND v.property_id = ${params.bind(property.id)} AND v.ord = 0 AND v.t IS NOT NULL)`,
        direction,
        kind: 'position',
      };
    }
    case 'formula': {
      const result = property.formula?.resultType;
      if (result === 'number') return keyed('n', 'number');
      if (result === 'date') return keyed('d', 'time');
      if (result === 'boolean') return { render: element(property.id, 'b'), direction, kind: 'boolean' };
      return keyed('k', 'text');
    }
    case 'rollup': {
      const result = property.rollup?.resultType;
      if (result === 'number') return keyed('n', 'number');
      if (result === 'date') return keyed('d', 'time');
      return keyed('k', 'text');
    }
    default:
      return keyed('k', 'text');
  }
}

/** Compiles Notion's `sorts` (docs/queries.md, "Sorts"); empty or absent: the default order. */
export function compileSorts(sorts: unknown, lookup: PropertyLookup | undefined): SortKey[] {
  if (sorts === undefined || sorts === null) return [...DEFAULT_SORT];
  if (!Array.isArray(sorts)) throw invalid('sorts', 'must be a list of sorts');
  if (sorts.length > MAX_SORTS) throw invalid('sorts', `holds ${MAX_SORTS} sorts at most`);
  if (sorts.length === 0) return [...DEFAULT_SORT];
  return sorts.map((sort, i): SortKey => {
    const path = `sorts[${i}]`;
    if (!isJsonObject(sort)) throw invalid(path, 'must be {property, direction} or {timestamp, direction}');
    const direction = sort['direction'];
    if (direction !== 'ascending' && direction !== 'descending')
      throw invalid(`${path}.direction`, 'must be ascending or descending');
    const dir: Direction = direction === 'ascending' ? 'asc' : 'desc';
    for (const key of Object.keys(sort))
      if (key !== 'direction' && key !== 'property' && key !== 'timestamp')
        throw invalid(`${path}.${key}`, 'unexpected: a sort has property or timestamp, and direction');
    if ('timestamp' in sort) {
      if ('property' in sort) throw invalid(path, 'has property or timestamp, not both');
      const field = sort['timestamp'];
      if (field !== 'created_time' && field !== 'last_edited_time')
        throw invalid(`${path}.timestamp`, 'must be created_time or last_edited_time');
      return { render: () => `p.${field}`, direction: dir, kind: 'time', never: 'empty' };
    }
    const name = sort['property'];
    if (typeof name !== 'string' || name.length === 0)
      throw invalid(`${path}.property`, 'must be a property name or id');
    if (!lookup)
      throw invalid(
        `${path}.property`,
        'this project has several data sources: name one with dataSourceId to sort by property',
      );
    const property = lookup.find(name);
    if (!property) throw invalid(`${path}.property`, `no property ${JSON.stringify(name)} in this data source`);
    return propertyKey(property, dir);
  });
}
