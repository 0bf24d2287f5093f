import type { PropertySchema } from '@app/contracts';
import { invalid } from '../query/query.errors.js';
import { PropertyLookup } from './property-lookup.js';
import type { ProjectSchemaView } from './schema.reader.js';

/**
 * The properties a request asked for (`filter_properties`), by data source:
 * property ids. Absent: every property.
 */
export type ValueSelection = ReadonlyMap<string, ReadonlySet<string>>;

/** Names or ids a request may list at most. */
export const SELECTION_MAX = 100;

/**
 * Resolves `filter_properties` (each a property id or name; an id wins) in
 * every live data source of the project; one that no data source knows is a 400.
 */
export function resolveSelection(
  schema: ProjectSchemaView,
  wanted: readonly string[] | undefined,
): ValueSelection | undefined {
  if (!wanted) return undefined;
  const selection = new Map<string, Set<string>>(schema.dataSources.map((d) => [d.id, new Set<string>()]));
  const lookups = schema.dataSources.map((d) => [d.id, new PropertyLookup(d.properties)] as const);
  wanted.forEach((idOrName, i) => {
    let known = false;
    for (const [dataSourceId, lookup] of lookups) {
      const property = lookup.find(idOrName);
      if (!property) continue;
      selection.get(dataSourceId)!.add(property.id);
      known = true;
    }
    if (!known) throw invalid(`filter_properties[${i}]`, `no property ${JSON.stringify(idOrName)} in this project`);
  });
  return selection;
}

interface StoredValues {
  readonly dataSourceId: string | null;
  /** Plain values keyed by property id. */
  readonly plainValues: Record<string, unknown>;
  /** Notion's properties, keyed by name as fetched. */
  readonly properties: Record<string, unknown>;
}

const idOf = (raw: unknown): string | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
    ? (raw as { id: string }).id
    : undefined;

/**
 * `values` keyed by each property's current name (the schema's; a property it
 * no longer has is left out), and `properties`, both cut to the selection.
 * Without a schema for the row's data source yet, names come from the row's
 * own properties.
 */
export function servedValues(
  row: StoredValues,
  schema: ProjectSchemaView,
  selection: ValueSelection | undefined,
): { values: Record<string, unknown>; properties: Record<string, unknown> } {
  const source = row.dataSourceId ? schema.byId.get(row.dataSourceId) : undefined;
  const selected = row.dataSourceId ? selection?.get(row.dataSourceId) : undefined;
  const wanted = (id: string | undefined) => !selection || (id !== undefined && selected?.has(id) === true);
  const names: ReadonlyArray<Pick<PropertySchema, 'id' | 'name'>> = source
    ? source.properties
    : Object.entries(row.properties).flatMap(([name, raw]) => {
        const id = idOf(raw);
        return id === undefined ? [] : [{ id, name }];
      });
  const values: Record<string, unknown> = {};
  for (const { id, name } of names) {
    if (wanted(id) && Object.hasOwn(row.plainValues, id)) values[name] = row.plainValues[id];
  }
  const properties = selection
    ? Object.fromEntries(Object.entries(row.properties).filter(([, raw]) => wanted(idOf(raw))))
    : row.properties;
  return { values, properties };
}
