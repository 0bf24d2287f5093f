import { createHash } from 'node:crypto';
import {
  OPTION_PROPERTY_TYPES,
  optionId,
  type FakePropertyType,
  type PropertyValueBody,
  type RollupFunction,
  type SelectColor,
  type SelectOption,
  type ShownValue,
} from './property-values.js';

/**
 * A data source's properties as Notion keeps them: each has an id that survives
 * renames and type changes, a type, and the type's configuration (select
 * options in their order, a number format, a formula's expression...). The
 * data source object (`GET /v1/data_sources/:id`) is rendered from here, in the
 * shapes of the SDK's `DatabasePropertyConfigResponse`.
 */

export interface RollupConfig {
  readonly function: RollupFunction;
  readonly relation_property_name: string;
  readonly relation_property_id: string;
  readonly rollup_property_name: string;
  readonly rollup_property_id: string;
}

export interface RelationTarget {
  readonly databaseId: string;
  readonly dataSourceId: string;
}

export interface SchemaProperty {
  readonly id: string;
  name: string;
  type: FakePropertyType;
  /** select, status, multi_select: in the schema's order (first use, or as set by `setOptions`). */
  options: SelectOption[];
  numberFormat: string;
  formulaExpression: string;
  /** unique_id: the prefix; undefined until a value or a definition gives one. */
  uniqueIdPrefix?: string | null;
  rollup?: RollupConfig;
  /** relation: the related data source; default the data source itself. */
  relation?: RelationTarget;
}

export interface OptionInput {
  readonly name: string;
  readonly color?: SelectColor;
  readonly id?: string;
}

/** How a test declares a property before (or without) values: `fake.defineProperty(ds, 'Sum', {type: 'rollup', ...})`. */
export interface PropertyDefinition {
  readonly type: FakePropertyType;
  /** Pins the property id. */
  readonly id?: string;
  /** number: Notion's format (`number`, `euro`, `percent`...); default `number`. */
  readonly format?: string;
  /** formula: the expression; default `""`. */
  readonly expression?: string;
  /** unique_id: the prefix (`TASK`); default none. */
  readonly prefix?: string | null;
  /** select, status, multi_select: the options, in order (as `FakeNotion.setPropertyOptions`). */
  readonly options?: readonly OptionInput[];
  /** rollup: the relation property (of this data source) and the rolled-up property (of the related one). */
  readonly rollup?: {
    readonly function: RollupFunction;
    readonly relationProperty: string;
    readonly rollupProperty: string;
    readonly rollupPropertyId?: string;
  };
  /** relation: the related data source (and its database); default this data source. */
  readonly relation?: RelationTarget;
}

/** A property id derived from its name, as short as Notion's. */
const derivedId = (name: string) => createHash('sha256').update(name).digest('base64url').slice(0, 4);

export class DataSourceSchema {
  /** By name, in schema order (the title first). */
  private readonly byName = new Map<string, SchemaProperty>();
  private readonly byId = new Map<string, SchemaProperty>();

  constructor(titleName: string, titleId: string) {
    this.add(titleName, 'title', titleId);
  }

  get(name: string): SchemaProperty | undefined {
    return this.byName.get(name);
  }

  withId(id: string): SchemaProperty | undefined {
    return this.byId.get(id);
  }

  /** A property by id or name; an id wins when a string is both. */
  resolve(nameOrId: string): SchemaProperty | undefined {
    return this.byId.get(nameOrId) ?? this.byName.get(nameOrId);
  }

  properties(): IterableIterator<SchemaProperty> {
    return this.byName.values();
  }

  /** The property of that name, added with `type` (and the pinned id, if free) when new. */
  ensure(name: string, type: FakePropertyType, pinnedId?: string): SchemaProperty {
    return this.byName.get(name) ?? this.add(name, type, pinnedId);
  }

  rename(oldName: string, newName: string): SchemaProperty {
    const property = this.require(oldName);
    if (oldName === newName) return property;
    if (this.byName.has(newName)) throw new Error(`the data source already has a property named ${newName}`);
    const entries = [...this.byName.values()];
    this.byName.clear();
    property.name = newName;
    for (const entry of entries) this.byName.set(entry.name, entry);
    return property;
  }

  /** A new type on the same id: the configuration of the old type goes. */
  changeType(name: string, type: FakePropertyType): SchemaProperty {
    const property = this.require(name);
    if (property.type === 'title' || type === 'title')
      throw new Error('the title property keeps its type, and a data source has one title');
    Object.assign(property, blankConfig(), { type });
    return property;
  }

  /** Replaces the options (their order becomes the sort order); `inUse` must all be among them. */
  setOptions(name: string, options: readonly OptionInput[], inUse: Iterable<string>): void {
    const property = this.require(name);
    if (!OPTION_PROPERTY_TYPES.has(property.type))
      throw new Error(`${name} is a ${property.type} property: only select, status and multi_select have options`);
    const next = options.map((o) => ({ id: o.id ?? optionId(o.name), name: o.name, color: o.color ?? 'default' }));
    const names = new Set(next.map((o) => o.name));
    if (names.size !== next.length) throw new Error(`${name}: option names must be unique`);
    for (const used of inUse)
      if (!names.has(used)) throw new Error(`${name}: option ${JSON.stringify(used)} is in use; list it too`);
    property.options = next;
  }

  define(name: string, definition: PropertyDefinition): SchemaProperty {
    const property = this.ensure(name, definition.type, definition.id);
    if (property.type !== definition.type)
      throw new Error(`${name} is a ${property.type} property (use changePropertyType)`);
    if (definition.format !== undefined) property.numberFormat = definition.format;
    if (definition.expression !== undefined) property.formulaExpression = definition.expression;
    if (definition.prefix !== undefined) property.uniqueIdPrefix = definition.prefix;
    if (definition.relation) property.relation = definition.relation;
    const rollup = definition.rollup;
    if (rollup)
      property.rollup = {
        function: rollup.function,
        relation_property_name: rollup.relationProperty,
        relation_property_id: this.get(rollup.relationProperty)?.id ?? derivedId(rollup.relationProperty),
        rollup_property_name: rollup.rollupProperty,
        rollup_property_id: rollup.rollupPropertyId ?? derivedId(rollup.rollupProperty),
      };
    return property;
  }

  /** What a value tells the schema: options in order of first use, a unique_id prefix, a rollup function. */
  noteValue(property: SchemaProperty, value: PropertyValueBody): void {
    switch (value.type) {
      case 'select':
      case 'status': {
        const option = value.type === 'select' ? value.select : value.status;
        if (option) addOption(property, option);
        break;
      }
      case 'multi_select':
        for (const option of value.multi_select) addOption(property, option);
        break;
      case 'unique_id':
        if (property.uniqueIdPrefix === undefined) property.uniqueIdPrefix = value.unique_id.prefix;
        break;
      case 'rollup':
        property.rollup ??= {
          function: value.rollup.function,
          relation_property_name: '',
          relation_property_id: '',
          rollup_property_name: '',
          rollup_property_id: '',
        };
        break;
    }
  }

  /** A value as the schema shows it: select options with the schema's id and color. */
  shown(property: SchemaProperty, value: ShownValue): ShownValue {
    if (!OPTION_PROPERTY_TYPES.has(value.type) || property.options.length === 0) return value;
    const fromSchema = (o: SelectOption) => property.options.find((s) => s.name === o.name) ?? o;
    switch (value.type) {
      case 'select':
        return { type: 'select', select: value.select && fromSchema(value.select) };
      case 'status':
        return { type: 'status', status: value.status && fromSchema(value.status) };
      case 'multi_select':
        return { type: 'multi_select', multi_select: value.multi_select.map(fromSchema) };
      default:
        return value;
    }
  }

  /** The `properties` of the data source object. */
  toObject(self: RelationTarget): Record<string, unknown> {
    return Object.fromEntries([...this.byName.values()].map((p) => [p.name, configResponse(p, self)]));
  }

  private require(name: string): SchemaProperty {
    const property = this.byName.get(name);
    if (!property) throw new Error(`the data source has no property ${name}`);
    return property;
  }

  private add(name: string, type: FakePropertyType, pinnedId?: string): SchemaProperty {
    let id = pinnedId ?? derivedId(name);
    while (this.byId.has(id)) id += 'x';
    const property: SchemaProperty = { id, name, type, ...blankConfig() };
    this.byName.set(name, property);
    this.byId.set(id, property);
    return property;
  }
}

function blankConfig(): Omit<SchemaProperty, 'id' | 'name' | 'type'> {
  return {
    options: [],
    numberFormat: 'number',
    formulaExpression: '',
    uniqueIdPrefix: undefined,
    rollup: undefined,
    relation: undefined,
  };
}

function addOption(property: SchemaProperty, option: SelectOption): void {
  if (!property.options.some((o) => o.name === option.name)) property.options.push(option);
}

/** One property of the data source object, shaped like the SDK's `DatabasePropertyConfigResponse`. */
function configResponse(p: SchemaProperty, self: RelationTarget): Record<string, unknown> {
  const options = () => p.options.map((o) => ({ id: o.id, name: o.name, color: o.color, description: null }));
  const target = p.relation ?? self;
  let config: unknown = {};
  switch (p.type) {
    case 'number':
      config = { format: p.numberFormat };
      break;
    case 'select':
    case 'multi_select':
      config = { options: options() };
      break;
    case 'status':
      config = { options: options(), groups: [] };
      break;
    case 'relation':
      config = {
        database_id: target.databaseId,
        data_source_id: target.dataSourceId,
        type: 'single_property',
        single_property: {},
      };
      break;
    case 'formula':
      config = { expression: p.formulaExpression };
      break;
    case 'rollup':
      config = p.rollup ?? {
        function: 'show_original',
        relation_property_name: '',
        relation_property_id: '',
        rollup_property_name: '',
        rollup_property_id: '',
      };
      break;
    case 'unique_id':
      config = { prefix: p.uniqueIdPrefix ?? null };
      break;
  }
  return { id: p.id, name: p.name, description: null, type: p.type, [p.type]: config };
}

/** The value a page shows for a stored property it never set (derived types are computed elsewhere). */
export function emptyValue(property: SchemaProperty): ShownValue | undefined {
  switch (property.type) {
    case 'title':
    case 'rich_text':
    case 'relation':
    case 'people':
    case 'multi_select':
    case 'files':
      return { type: property.type, [property.type]: [] } as unknown as ShownValue;
    case 'checkbox':
      return { type: 'checkbox', checkbox: false };
    case 'unique_id':
      return { type: 'unique_id', unique_id: { prefix: property.uniqueIdPrefix ?? null, number: null } };
    case 'formula':
      return { type: 'formula', formula: { type: 'string', string: null } };
    case 'rollup':
      return {
        type: 'rollup',
        rollup: { type: 'array', array: [], function: property.rollup?.function ?? 'show_original' },
      };
    case 'verification':
      return { type: 'verification', verification: { state: 'unverified', date: null, verified_by: null } };
    case 'number':
    case 'select':
    case 'status':
    case 'date':
    case 'url':
    case 'email':
    case 'phone_number':
      return { type: property.type, [property.type]: null } as unknown as ShownValue;
    default:
      return undefined;
  }
}
