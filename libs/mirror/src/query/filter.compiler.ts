import type { PropertySchema } from '@app/contracts';
import { normalizeNotionId } from '@app/notion';
import { DATE_OPERATORS, dateRange, rangeSql } from './date-condition.js';
import { invalid } from './query.errors.js';
import type { SqlParams } from './sql-params.js';

/**
 * Compiles Notion's query `filter` to a SQL condition on `notion_pages p`,
 * per docs/queries.md ("Semantics"). Property conditions test the page's
 * `page_values` rows (alias `v`); timestamps test the page's own columns.
 * Validates everything before anything runs: the first offending part throws
 * `InvalidQueryError` with its path. Values are bound, never inlined.
 */

/** A data source's properties, found by id (first) or name. */
export class PropertyLookup {
  private readonly byId = new Map<string, PropertySchema>();
  private readonly byName = new Map<string, PropertySchema>();

  constructor(readonly properties: readonly PropertySchema[]) {
    for (const p of properties) {
      this.byId.set(p.id, p);
      if (!this.byName.has(p.name)) this.byName.set(p.name, p);
    }
  }

  /** An id wins over a name when a string is both (docs/queries.md). */
  find(idOrName: string): PropertySchema | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName);
  }
}

/** Compound filters hold compounds two levels deep at most (Notion's limit). */
const MAX_DEPTH = 2;
/** Conditions in one compound at most (Notion accepts 100 too). */
const MAX_CONDITIONS = 100;
/** Characters in a text operand at most (Notion's rich text limit). */
const MAX_TEXT = 2000;

type Column = 't' | 'k' | 'n' | 'd' | 'b';

/**
 * A condition on one value element: `sql` tests a `page_values` row `v`; when
 * `negated`, the property matches when no element matches `sql` (does_not_*,
 * is_empty), else when some element does.
 */
interface CellCondition {
  readonly sql: string;
  readonly negated: boolean;
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

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

const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** Matches no page (EXISTS over no element). */
const NOTHING: CellCondition = { sql: 'FALSE', negated: false };

export interface FilterContext {
  readonly params: SqlParams;
  /** The data source's properties; undefined when the query names none (only timestamps allowed). */
  readonly lookup: PropertyLookup | undefined;
  readonly now: Date;
}

export function compileFilter(filter: unknown, ctx: FilterContext): string {
  if (filter === undefined || filter === null) return 'TRUE';
  return compile(filter, 'filter', 0, ctx);
}

function compile(filter: unknown, path: string, depth: number, ctx: FilterContext): string {
  if (!isObject(filter)) throw invalid(path, 'must be an object: a property, timestamp, and or or filter');
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
  return onProperty(property.id, cellCondition(property.type, condition, conditionPath, ctx, property), ctx);
}

/** A property matches a cell condition when some element does (or, negated, none does). */
function onProperty(propertyId: string, condition: CellCondition, ctx: FilterContext): string {
  const exists = `EXISTS (SELECT 1 FROM page_values v WHERE v.project_id = p.project_id AND v.page_id = p.page_id AND v.property_id = ${ctx.params.bind(propertyId)} AND ${condition.sql})`;
  return condition.negated ? `NOT ${exists}` : exists;
}

/** Exactly one operator: `{"equals": "x"}`. */
function single(condition: unknown, path: string): [string, unknown] {
  if (!isObject(condition)) throw invalid(path, 'must be an object with one condition');
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
  return { sql: `v.${column} IS NOT NULL`, negated: operator === 'is_empty' };
}

function cellCondition(
  type: string,
  condition: unknown,
  path: string,
  ctx: FilterContext,
  property?: PropertySchema,
): CellCondition {
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
    case 'formula':
      return formulaCondition(condition, path, ctx);
    case 'rollup':
      return rollupCondition(condition, path, ctx, property?.rollup?.resultType);
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
  switch (operator) {
    case 'equals':
    case 'does_not_equal':
      return { sql: `v.k = ${bind(folded)}`, negated };
    case 'contains':
    case 'does_not_contain':
      return { sql: `v.k LIKE ${bind(`%${escapeLike(folded)}%`)}`, negated };
    case 'starts_with':
      return { sql: `v.k LIKE ${bind(`${escapeLike(folded)}%`)}`, negated };
    default:
      return { sql: `v.k LIKE ${bind(`%${escapeLike(folded)}`)}`, negated };
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
  return { sql: `v.n ${sign} ${ctx.params.bind(value)}::float8`, negated: operator === 'does_not_equal' };
}

function checkboxCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (operator !== 'equals' && operator !== 'does_not_equal')
    throw invalid(`${path}.${operator}`, 'not a checkbox condition (equals, does_not_equal)');
  if (typeof value !== 'boolean') throw invalid(`${path}.${operator}`, 'must be true or false');
  return { sql: `v.b = ${ctx.params.bind(value)}::boolean`, negated: operator === 'does_not_equal' };
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
  return { sql, negated: operator === negative };
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
  return { sql: `v.k = ${ctx.params.bind(id)}`, negated: operator === 'does_not_contain' };
}

function dateCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
  const [operator, value] = single(condition, path);
  if (EXISTENCE.has(operator)) return existence(operator, value, path, 'd');
  if (!DATE_OPERATORS.has(operator))
    throw invalid(`${path}.${operator}`, `not a date condition (${[...DATE_OPERATORS, ...EXISTENCE].join(', ')})`);
  const range = dateRange(operator, value, ctx.now, `${path}.${operator}`);
  return { sql: rangeSql('v.d', range, (v) => ctx.params.bind(v)), negated: false };
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
  return { sql: `v.t = ${ctx.params.bind(state)}`, negated: operator === 'does_not_equal' };
}

/** The column that holds a formula's computed value of each condition type. */
const FORMULA_COLUMNS: Record<string, Column> = { string: 't', number: 'n', checkbox: 'b', date: 'd' };

/**
 * A formula's condition names the type of its computed value: a value of
 * another type does not match (negations included); an empty value is empty
 * of every type.
 */
function formulaCondition(condition: unknown, path: string, ctx: FilterContext): CellCondition {
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
  // A formula has one element at most: "no element of another type, and the
  // condition" is one NOT EXISTS over elements that are of another type or
  // (negated) match, or one EXISTS over elements of this type that match.
  const otherType = `v.${column} IS NULL`;
  return typed.negated
    ? { sql: `(${otherType} OR ${typed.sql})`, negated: true }
    : { sql: `(v.${column} IS NOT NULL AND ${typed.sql})`, negated: false };
}

/**
 * number / date on a rollup's single value; any / every / none on each
 * rolled-up value. `every` and `none` hold for an empty rollup.
 */
function rollupCondition(
  condition: unknown,
  path: string,
  ctx: FilterContext,
  resultType: string | undefined,
): CellCondition {
  const [kind, inner] = single(condition, path);
  const innerPath = `${path}.${kind}`;
  // Checked in full first (a bad condition is a 400 whatever the rollup's type).
  const compiled =
    kind === 'number'
      ? numberCondition(inner, innerPath, ctx)
      : kind === 'date'
        ? dateCondition(inner, innerPath, ctx)
        : undefined;
  if (compiled) return resultType === kind ? compiled : NOTHING;
  if (kind !== 'any' && kind !== 'every' && kind !== 'none')
    throw invalid(innerPath, 'a rollup condition is number, date, any, every or none');
  const [type, typed] = single(inner, innerPath);
  if (!ROLLUP_ELEMENT_TYPES.has(type))
    throw invalid(`${innerPath}.${type}`, `not a rollup element type (${[...ROLLUP_ELEMENT_TYPES].join(', ')})`);
  const element = cellCondition(type, typed, `${innerPath}.${type}`, ctx);
  // any / every / none hold only on a rollup of values (its function shows the original values).
  if (resultType !== 'array') return NOTHING;
  // The condition on one element, negations included: coalesce, so an element
  // of another type (a NULL comparison) counts as not matching.
  const matches = element.negated ? `NOT coalesce(${element.sql}, false)` : `coalesce(${element.sql}, false)`;
  switch (kind) {
    case 'any':
      return { sql: matches, negated: false };
    case 'none':
      return { sql: matches, negated: true };
    default:
      return { sql: `NOT ${matches}`, negated: true };
  }
}
