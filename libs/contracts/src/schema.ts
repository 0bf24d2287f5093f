/**
 * A data source's schema as the API serves it (`GET /projects/:id/schema`) and
 * as `data_source_schemas.properties` stores it: a wire format, so its names
 * change only with the API. Shapes follow docs/queries.md, "Schema".
 */

export interface SchemaOption {
  readonly id: string;
  readonly name: string;
  readonly color: string;
}

export interface PropertySchema {
  /** Notion's property id: stable across renames. */
  readonly id: string;
  readonly name: string;
  /** Notion's property type (`select`, `date`, …); a type Notion adds later passes through. */
  readonly type: string;
  /** select, multi_select, status: the options, in Notion's order (also their sort order). */
  readonly options?: readonly SchemaOption[];
  /** status: its groups and the option ids in each. */
  readonly groups?: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    readonly optionIds: readonly string[];
  }>;
  /** relation: the related data source. */
  readonly relation?: { readonly dataSourceId: string | null; readonly databaseId: string | null };
  /** number: Notion's format (`number`, `euro`, `percent`, …). */
  readonly number?: { readonly format: string };
  /**
   * formula: its expression, and the type of its computed values (`string`,
   * `number`, `boolean`, `date`): Notion's schema does not say, so the sync
   * reads it off the mirrored values when it saves the schema (`null` while
   * no page has one).
   */
  readonly formula?: { readonly expression: string; readonly resultType: string | null };
  /** rollup: what it rolls up and how; `resultType` follows from the function (`number`, `date` or `array`). */
  readonly rollup?: {
    readonly function: string;
    readonly resultType: 'number' | 'date' | 'array';
    readonly relationPropertyId: string | null;
    readonly rollupPropertyId: string | null;
  };
  /** unique_id: its prefix (`TASK` for `TASK-12`). */
  readonly uniqueId?: { readonly prefix: string | null };
}

export interface DataSourceSchema {
  readonly id: string;
  readonly name: string;
  /** In Notion's order. */
  readonly properties: readonly PropertySchema[];
}

/** `GET /projects/:id/schema`. */
export interface ProjectSchema {
  /** Changes whenever any data source's schema does (a decimal string: it is a bigint). */
  readonly version: string;
  readonly dataSources: readonly DataSourceSchema[];
}
