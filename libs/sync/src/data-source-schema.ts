import type { DataSourceSchema, PropertySchema, SchemaOption } from '@app/contracts';
import { isJsonObject, notionIdOrAsGiven, richTextPlain } from '@app/notion';

type Raw = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const ROLLUP_NUMBER = new Set([
  'count',
  'count_values',
  'empty',
  'not_empty',
  'unique',
  'percent_empty',
  'percent_not_empty',
  'sum',
  'average',
  'median',
  'min',
  'max',
  'range',
  'checked',
  'unchecked',
  'percent_checked',
  'percent_unchecked',
]);
const ROLLUP_DATE = new Set(['earliest_date', 'latest_date', 'date_range']);

/** What a rollup function answers (Notion's rollup value types). */
export function rollupResultType(fn: string): 'number' | 'date' | 'array' {
  if (ROLLUP_NUMBER.has(fn)) return 'number';
  if (ROLLUP_DATE.has(fn)) return 'date';
  return 'array';
}

function options(config: Raw): SchemaOption[] {
  const list = Array.isArray(config['options']) ? config['options'] : [];
  return list.flatMap((o) =>
    isJsonObject(o) && typeof o['name'] === 'string'
      ? [{ id: String(o['id'] ?? ''), name: o['name'], color: String(o['color'] ?? 'default') }]
      : [],
  );
}

/** One property of Notion's data source object, in the API's shape (docs/queries.md, "Schema"). */
function propertySchema(raw: Raw): PropertySchema | undefined {
  const { id, name, type } = raw;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof type !== 'string') return undefined;
  const config = isJsonObject(raw[type]) ? (raw[type] as Raw) : {};
  const base = { id, name, type };
  switch (type) {
    case 'select':
    case 'multi_select':
      return { ...base, options: options(config) };
    case 'status': {
      const groups = (Array.isArray(config['groups']) ? config['groups'] : []).flatMap((g) =>
        isJsonObject(g)
          ? [
              {
                id: String(g['id'] ?? ''),
                name: String(g['name'] ?? ''),
                optionIds: Array.isArray(g['option_ids']) ? g['option_ids'].map(String) : [],
              },
            ]
          : [],
      );
      return { ...base, options: options(config), groups };
    }
    case 'relation': {
      const dataSourceId = text(config['data_source_id']);
      const databaseId = text(config['database_id']);
      return {
        ...base,
        relation: {
          dataSourceId: dataSourceId && notionIdOrAsGiven(dataSourceId),
          databaseId: databaseId && notionIdOrAsGiven(databaseId),
        },
      };
    }
    case 'number':
      return { ...base, number: { format: text(config['format']) ?? 'number' } };
    case 'formula':
      return { ...base, formula: { expression: text(config['expression']) ?? '', resultType: null } };
    case 'rollup': {
      const fn = text(config['function']) ?? 'show_original';
      return {
        ...base,
        rollup: {
          function: fn,
          resultType: rollupResultType(fn),
          relationPropertyId: text(config['relation_property_id']),
          rollupPropertyId: text(config['rollup_property_id']),
        },
      };
    }
    case 'unique_id':
      return { ...base, uniqueId: { prefix: text(config['prefix']) || null } };
    default:
      return base;
  }
}

/** A data source object from Notion (`dataSources.retrieve`) as the mirror keeps its schema. */
export function toDataSourceSchema(source: Raw): DataSourceSchema {
  const properties = isJsonObject(source['properties']) ? Object.values(source['properties']) : [];
  return {
    id: notionIdOrAsGiven(String(source['id'])),
    name: richTextPlain(source['title']),
    properties: properties.flatMap((p) => (isJsonObject(p) ? (propertySchema(p) ?? []) : [])),
  };
}
