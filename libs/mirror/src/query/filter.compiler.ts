import { isJsonObject, normalizeNotionId } from '@app/notion';
import type { PropertyLookup } from '../read/property-lookup.js';
import { escapeLike } from '../read/title-search.js';
import { DATE_OPERATORS, dateRange, rangeSql } from './date-condition.js';
import { invalid } from './query.errors.js';
import { SqlParams } from './sql-params.js';

/**
 * Compiles Notion's query `filter` to a SQL condition on `notion_pages p`,
 * per docs/queries.md ("Semantics"). Property conditions test the page's
 * `page_values` rows (alias `v`); timestamps test the page's own columns.
 * Validates everything before anything runs: the first offending part throws
 * `InvalidQueryError` with its path. Values are bound, never inlined.
 */

/** Compound filters hold compounds two levels deep at most (Notion's limit). */
const MAX_DEPTH = 2;
/** Conditions in one compound at most (Notion accepts 100 too). */
const MAX_CONDITIONS = 100;
/**
 * Conditions in the whole filter at most: two levels of 100 would be 10,000
 * subqueries for the planner, a cost any signed-in user could ask for.
 */
const MAX_FILTER_CONDITIONS = 100;
/** Characters in a text operand at most (Notion's rich text limit). */
const MAX_TEXT = 2000;

type Column = 't' | 'k' | 'n' | 'd' | 'b';

/** The side table of each kind of value (see the migration AddTypedValues). */
export type ValueTable = 'page_values' | 'page_numbers' | 'page_dates';
export const TABLE_OF: Record<Column, ValueTable> = {
  t: 'page_values',
  k: 'page_values',
  b: 'page_values',
  n: 'page_numbers',
  d: 'page_dates',
};
/** Rows of the table that hold a value of this column (page_numbers and page_dates hold nothing else). */
const PRESENT: Record<Column, string> = {
  t: 'v.t IS NOT NULL',
  k: 'v.t IS NOT NULL',
  b: 'v.b IS NOT NULL',
  n: 'TRUE',
  d: 'TRUE',
};

/**
 * A condition on one value element: `sql` tests a `page_values` row `v`; when
 * `negated`, the property matches when no element matches `sql` (does_not_*,
 * is_empty), else when some element does.
 */
interface CellCondition {
  readonly sql: string;
  readonly negated: boolean;
  /** Where the elements it tests live. */
  readonly table: ValueTable;
}

type Obj = Record<string, unknown>;
const TEXT_OPERATORS = new Set([
  'equals',
  'does_not_equal',
  'contains',
  'does_not_contain',
  'starts_with',
  'ends_with',
]);
const NUMBER_OPERATORS: Record<string, string> = {
  equals: '=',
  does_not_equal: '=',
  greater_than: '>',
  less_than: '<',
  greater_than_or_equal_to: '>=',
  less_than_or_equal_to: '<=',
};
const EXISTENCE = new Set(['is_empty', 'is_not_empty']);

/** The filter key each property type takes (`{"property": "Status", "status": {...}}`). */
const TEXT_TYPES = new Set(['title', 'rich_text', 'url', 'email', 'phone_number']);
const PEOPLE_TYPES = new Set(['people', 'created_by', 'last_edited_by']);
const TIMESTAMP_TYPES = new Set(['created_time', 'last_edited_time']);
/** What a rollup's any/every/none may hold. */
const ROLLUP_ELEMENT_TYPES = new Set([
  'rich_text',
  'number',
  'checkbox',
  'select',
  'multi_select',
  'relation',
  'date',
  'people',
  'files',
  'status',
]);

export interface FilterContext {
  readonly params: SqlParams;
  /** The data source's properties; undefined when the query names none (only timestamps allowed). */
  readonly lookup: PropertyLookup | undefined;
  readonly now: Date;
}

export function compileFilter(filter: unknown, ctx: FilterContext): string {
  if (filter === undefined || filter === null) return 'TRUE';
  const conditions = countConditions(filter);
  if (conditions > MAX_FILTER_CONDITIONS)
    throw invalid('filter', `holds ${conditions} conditions; ${MAX_FILTER_CONDITIONS} at most`);
  return compile(filter, 'filter', 0, ctx);
}

/** Property and timestamp conditions in a filter, before anything is compiled (shapes are checked later). */
function countConditions(filter: unknown, depth = 0): number {
  if (!isJsonObject(filter) || depth > MAX_DEPTH) return 1;
  const parts = Array.isArray(filter['and']) ? filter['and'] : Array.isArray(filter['or']) ? filter['or'] : undefined;
  return parts ? parts.reduce<number>((n, part) => n + countConditions(part, depth + 1), 0) : 1;
}

function compile(filter: unknown, path: string, depth: number, ctx: FilterContext): string {
  if (!isJsonObject(filter)) throw invalid(path, 'must be an object: a property, timestamp, and or or filter');
  for (const group of ['and', 'or'] as const) {
    if (!(group in filter)) continue;
    if (Object.keys(filter).length !== 1) throw invalid(path, `a compound filter has only its "${group}" list`);
    if (depth >= MAX_DEPTH) throw invalid(`${path}.${group}`, 'compound filters nest two levels deep at most');
    const parts = filter[group];
    if (!Array.isArray(parts)) throw invalid(`${path}.${group}`, 'must be a list of filters');
    if (parts.length > MAX_CONDITIONS) throw invalid(`${path}.${group}`, `holds ${MAX_CONDITIONS} filters at most`);
    if (parts.length === 0) return group === 'and' ? 'TRUE' : 'FALSE';
    const compiled = parts.map((part, i) => compile(part, `${path}.${group}[${i}]`, depth + 1, ctx));
    return `(${compiled.join(group === 'and' ? ' AND ' : ' OR ')})`;
  }
  if ('timestamp' in filter) return timestampFilter(filter, path, ctx);
  if ('property' in filter) return propertyFilter(filter, path, ctx);
  throw invalid(path, 'must have "property", "timestamp", "and" or "or"');
}

function timestampFilter(filter: Obj, path: string, ctx: FilterContext): string {
  const field = filter['timestamp'];
  if (field !== 'created_time' && field !== 'last_edited_time')
    throw invalid(`${path}.timestamp`, 'must be created_time or last_edited_time');
  expectKeys(filter, path, ['timestamp', field, 'type'], field);
  if (filter['type'] !== undefined && filter['type'] !== field) throw invalid(`${path}.type`, `must be ${field}`);
  return timestampCondition(`p.${field}`, filter[field], `${path}.${field}`, ctx);
}

function propertyFilter(filter: Obj, path: string, ctx: FilterContext): string {
  const name = filter['property'];
  if (typeof name !== 'string' || name.length === 0) throw invalid(`${path}.property`, 'must be a property name or id');
  if (!ctx.lookup)
    throw invalid(
      `${path}.property`,
      'this project has several data sources: name one with dataSourceId to filter by property',
    );
  const property = ctx.lookup.find(name);
  if (!property) throw invalid(`${path}.property`, `no property ${JSON.stringify(name)} in this data source`);
  const key = Object.keys(filter).find((k) => k !== 'property' && k !== 'type');
  if (!key) throw invalid(path, `needs a condition: {"${property.type}": {...}}`);
  expectKeys(filter, path, ['property', 'type', key], key);
  if (filter['type'] !== undefined && filter['type'] !== key) throw invalid(`${path}.type`, `must be ${key}`);
  if (key !== property.type)
    throw invalid(
      `${path}.${key}`,
      `property ${JSON.stringify(property.name)} is of type ${property.type}: use a "${property.type}" condition`,
    );
  const conditionPath = `${path}.${key}`;
  const condition = filter[key];
  if (TIMESTAMP_TYPES.has(property.type))
    return timestampCondition(`p.${property.type}`, condition, conditionPath, ctx);
  if (property.type === 'formula') return formulaFilter(property.id, condition, conditionPath, ctx);
  if (property.type === 'rollup')
    return rollupFilter(property.id, condition, conditionPath, ctx, property.rollup?.resultType);
  return onProperty(property.id, cellCondition(property.type, condition, conditionPath, ctx), ctx);
}

/** A property matches a cell condition when some element does (or, negated, none does). */
function onProperty(propertyId: string, condition: CellCondition, ctx: FilterContext): string {
  const exists = existsIn(condition.table, propertyId, condition.sql, ctx);
  return condition.negated ? `NOT ${exists}` : exists;
}

/** Some element of the page's property in `table` satisfies `sql` (over `v`). */
function existsIn(table: ValueTable, propertyId: string, sql: string, ctx: FilterContext, alias = 'v'): string {
  return (
    `EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${alias}.project_id = p.project_id AND ${alias}.page_id = p.page_id ` +
    `AND ${alias}.property_id = ${ctx.params.bind(propertyId)} AND ${sql})`
  );
}

/** Exactly one operator: `{"equals": "x"}`. */
function single(condition: unknown, path: string): [string, unknown] {
  if (!isJsonObject(condition)) throw invalid(path, 'must be an object with one condition');
  const entries = Object.entries(condition);
  if (entries.length !== 1) throw invalid(path, 'must hold exactly one condition');
  return entries[0]!;
}

function expectKeys(filter: Obj, path: string, allowed: string[], condition: string): void {
  for (const key of Object.keys(filter))
    if (!allowed.includes(key)) throw invalid(`${path}.${key}`, `unexpected beside "${condition}"`);
}

function existence(operator: string, value: unknown, path: string, column: Column): CellCondition {
  if (value !== true) throw invalid(`${path}.${operator}`, 'must be true');
  return { sql: PRESENT[column], negated: operator === 'is_empty', table: TABLE_OF[column] };
}

function cellCondition(type: string, condition: unknown, path: string, ctx: FilterContext): CellCondition {
  if (TEXT_TYPES.has(type)) return textCondition(condition, path, ctx);
  if (PEOPLE_TYPES.has(type) || type === 'relation') return idCondition(condition, path, ctx, type);
  switch (type) {
    case 'number':
    case 'unique_id':
      return numberCondition(condition, path, ctx);
    case 'checkbox':
      return checkboxCondition(condition, path, ctx);
    case 'select':
    case 'status':
      return optionCondition(condition, path, ctx, ['equals', 'does_not_equal']);
    case 'multi_select':
      return optionCondition(condition, path, ctx, ['contains', 'does_not_contain']);
    case 'date':
      return dateCondition(condition, path, ctx);
    case 'files': {
      const [operator, value] = single(condition, path);
      if (!EXISTENCE.has(operator)) throw invalid(`${path}.${operator}`, 'files take is_empty or is_not_empty only');
      return existence(operator, value, path, 't');
    }
    case 'verification':
      return verificationCondition(condition, path, ctx);
    default:
      throw invalid(path, `properties of type ${type} cannot be filtered`);
  }
}

function textCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 't');
  if (!TEXT_OPERATORS.has(operator))
    throw invalid(`${path}.${operator}`, `not a text condition (${[...TEXT_OPERATORS, ...EXISTENCE].join(', ')})`);
  if (typeof value !== 'string' || [...value].length > MAX_TEXT)
    throw invalid(`${path}.${operator}`, `must be a string of at most ${MAX_TEXT} characters`);
  const folded = value.toLowerCase();
  // An empty operand needs no case: no element is empty ("" has no cell), so
  // equals "" matches nothing and contains "" every non-empty value, and the
  // negations the rest (docs/queries.md: a negation is its positive's complement).
  const negated = operator.startsWith('does_not_');
  const bind = (text: string) => ctx.params.bind(text);
  const table = 'page_values';
  switch (operator) {
    case 'equals':
    case 'does_not_equal':
      return { sql: `v.k = ${bind(folded)}`, negated, table };
    case 'contains':
    case 'does_not_contain':
      return { sql: `v.k LIKE ${bind(`%${escapeLike(folded)}%`)}`, negated, table };
    case 'starts_with':
      return { sql: `v.k LIKE ${bind(`${escapeLike(folded)}%`)}`, negated, table };
    default:
      return { sql: `v.k LIKE ${bind(`%${escapeLike(folded)}`)}`, negated, table };
  }
}

function numberCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 'n');
  const sign = NUMBER_OPERATORS[operator];
  if (!sign)
    throw invalid(
      `${path}.${operator}`,
      `not a number condition (${[...Object.keys(NUMBER_OPERATORS), ...EXISTENCE].join(', ')})`,
    );
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${path}.${operator}`, 'must be a number');
  return {
    sql: `v.n ${sign} ${ctx.params.bind(value)}::float8`,
    negated: operator === 'does_not_equal',
    table: 'page_numbers',
  };
}

function checkboxCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (operator !== 'equals' && operator !== 'does_not_equal')
    throw invalid(`${path}.${operator}`, 'not a checkbox condition (equals, does_not_equal)');
  if (typeof value !== 'boolean') throw invalid(`${path}.${operator}`, 'must be true or false');
  return {
    sql: `v.b = ${ctx.params.bind(value)}::boolean`,
    negated: operator === 'does_not_equal',
    table: 'page_values',
  };
}

/** select, status (equals) and multi_select (contains): exact option names, a list meaning "any of". */
function optionCondition(
  condition: unknown,
  path: string,
  ctx: FilterContext,
  [positive, negative]: [string, string],
): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 't');
  if (operator !== positive && operator !== negative)
    throw invalid(
      `${path}.${operator}`,
      `not a condition of this type (${positive}, ${negative}, is_empty, is_not_empty)`,
    );
  const names = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.length > MAX_CONDITIONS ||
    !names.every((n) => typeof n === 'string')
  )
    throw invalid(`${path}.${operator}`, 'must be an option name or a non-empty list of them');
  const list = names as string[];
  // k narrows through the index; t keeps the match exact (options are case-sensitive).
  const sql = `v.k = ANY(${ctx.params.bind(
    list.map((n) => n.toLowerCase()),
    '::text[]',
  )}) AND v.t = ANY(${ctx.params.bind(list, '::text[]')})`;
  return { sql, negated: operator === negative, table: 'page_values' };
}

/** relation, people, created_by, last_edited_by: a page or user id. */
function idCondition(condition: unknown, path: string, ctx: FilterContext, type: string): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 't');
  if (operator !== 'contains' && operator !== 'does_not_contain')
    throw invalid(
      `${path}.${operator}`,
      'not a condition of this type (contains, does_not_contain, is_empty, is_not_empty)',
    );
  if (value === 'me') throw invalid(`${path}.${operator}`, '"me" has no meaning in the mirror: give a user id');
  const id = typeof value === 'string' ? normalizeNotionId(value) : undefined;
  if (!id) throw invalid(`${path}.${operator}`, `must be a ${type === 'relation' ? 'page' : 'user'} id`);
  return { sql: `v.k = ${ctx.params.bind(id)}`, negated: operator === 'does_not_contain', table: 'page_values' };
}

function dateCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 'd');
  if (!DATE_OPERATORS.has(operator))
    throw invalid(`${path}.${operator}`, `not a date condition (${[...DATE_OPERATORS, ...EXISTENCE].join(', ')})`);
  const range = dateRange(operator, value, ctx.now, `${path}.${operator}`);
  return { sql: rangeSql('v.d', range, (v) => ctx.params.bind(v)), negated: false, table: 'page_dates' };
}

/** created_time, last_edited_time: the page's own columns (never empty). */
function timestampCondition(column: string, condition: unknown, path: string, ctx: FilterContext): string {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) {
    if (value !== true) throw invalid(`${path}.${operator}`, 'must be true');
    return operator === 'is_empty' ? 'FALSE' : 'TRUE';
  }
  if (!DATE_OPERATORS.has(operator))
    throw invalid(`${path}.${operator}`, `not a date condition (${[...DATE_OPERATORS, ...EXISTENCE].join(', ')})`);
  return rangeSql(column, dateRange(operator, value, ctx.now, `${path}.${operator}`), (v) => ctx.params.bind(v));
}

const VERIFICATION_STATES: Record<string, string> = { verified: 'verified', expired: 'expired', none: 'unverified' };

function verificationCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (operator !== 'status' && operator !== 'does_not_equal')
    throw invalid(`${path}.${operator}`, 'not a verification condition (status, does_not_equal)');
  const state = typeof value === 'string' ? VERIFICATION_STATES[value] : undefined;
  if (!state) throw invalid(`${path}.${operator}`, 'must be verified, expired or none');
  return { sql: `v.t = ${ctx.params.bind(state)}`, negated: operator === 'does_not_equal', table: 'page_values' };
}

/** The column that holds a formula's computed value of each condition type. */
const FORMULA_COLUMNS: Record<string, Column> = { string: 't', number: 'n', checkbox: 'b', date: 'd' };

/**
 * A formula's condition names the type of its computed value: a value of
 * another type does not match (negations included); an empty value is empty
 * of every type. A formula has one element at most.
 */
function formulaFilter(propertyId: string, condition: unknown, path: string, ctx: FilterContext): string {
  const [kind, inner] = single(condition, path);
  const innerPath = `${path}.${kind}`;
  const column = FORMULA_COLUMNS[kind];
  if (!column) throw invalid(innerPath, 'a formula condition is string, number, checkbox or date');
  const typed =
    kind === 'string'
      ? textCondition(inner, innerPath, ctx)
      : kind === 'number'
        ? numberCondition(inner, innerPath, ctx)
        : kind === 'checkbox'
          ? checkboxCondition(inner, innerPath, ctx)
          : dateCondition(inner, innerPath, ctx);
  const others = Object.values(FORMULA_COLUMNS).filter((c) => c !== column);
  const noOtherType = others.map((c) => `NOT ${existsIn(TABLE_OF[c], propertyId, PRESENT[c], ctx)}`);
  return `(${[...noOtherType, onProperty(propertyId, typed, ctx)].join(' AND ')})`;
}

/**
 * number / date on a rollup whose function gives one; any / every / none on
 * each rolled-up value of a rollup of values (a value of another kind does
 * not match; `every` and `none` hold for an empty rollup).
 */
function rollupFilter(
  propertyId: string,
  condition: unknown,
  path: string,
  ctx: FilterContext,
  resultType: string | undefined,
): string {
  const [kind, inner] = single(condition, path);
  const innerPath = `${path}.${kind}`;
  // Checked in full first: a bad condition is a 400 whatever the rollup's type.
  // A condition that cannot apply is still checked, with parameters of its own (unused ones break the statement).
  const scratch = { ...ctx, params: new SqlParams() };
  if (kind === 'number' || kind === 'date') {
    const use = resultType === kind ? ctx : scratch;
    const typed = kind === 'number' ? numberCondition(inner, innerPath, use) : dateCondition(inner, innerPath, use);
    return resultType === kind ? onProperty(propertyId, typed, ctx) : 'FALSE';
  }
  if (kind !== 'any' && kind !== 'every' && kind !== 'none')
    throw invalid(innerPath, 'a rollup condition is number, date, any, every or none');
  const [type, typed] = single(inner, innerPath);
  if (!ROLLUP_ELEMENT_TYPES.has(type))
    throw invalid(`${innerPath}.${type}`, `not a rollup element type (${[...ROLLUP_ELEMENT_TYPES].join(', ')})`);
  const element = cellCondition(type, typed, `${innerPath}.${type}`, resultType === 'array' ? ctx : scratch);
  if (resultType !== 'array') return 'FALSE';
  // The condition on one element, negations included: coalesce, so a NULL
  // comparison counts as not matching.
  const matches = element.negated ? `NOT coalesce(${element.sql}, false)` : `coalesce(${element.sql}, false)`;
  if (kind === 'any') return existsIn(element.table, propertyId, matches, ctx);
  if (kind === 'none') return `NOT ${existsIn(element.table, propertyId, matches, ctx)}`;
  // every: no element of this kind fails, and no element is of another kind
  // (one that has no row in this kind's table at its position).
  const otherKinds = (['page_values', 'page_numbers', 'page_dates'] as const)
    .filter((table) => table !== element.table)
    .map(
      (table) =>
        `NOT ${existsIn(
          table,
          propertyId,
          `NOT EXISTS (SELECT 1 FROM ${element.table} w WHERE w.project_id = o.project_id AND w.page_id = o.page_id ` +
            `AND w.property_id = o.property_id AND w.ord = o.ord)`,
          ctx,
          'o',
        )}`,
    );
  return `(NOT ${existsIn(element.table, propertyId, `NOT ${matches}`, ctx)} AND ${otherKinds.join(' AND ')})`;
}
