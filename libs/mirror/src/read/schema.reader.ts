import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DataSourceSchema, ProjectSchema, PropertySchema } from '@app/contracts';
import { selectRows } from '@app/database';

interface SchemaRow {
  data_source_id: string;
  name: string;
  properties: PropertySchema[];
  removed: boolean;
  version: string;
}

/** A project's schema with what the read side looks up in it. */
export interface ProjectSchemaView extends ProjectSchema {
  /** Live data sources by id. */
  readonly byId: ReadonlyMap<string, DataSourceSchema>;
}

/**
 * Reads the mirrored schemas (`data_source_schemas`, written by libs/sync).
 * One indexed query per call: small (a project's data sources), and always
 * current, so a rename shows on the next read.
 */
@Injectable()
export class SchemaReader {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The project's live data sources with their properties; formulas carry the
   * type of their computed values, read off one mirrored page that has one
   * (Notion's schema does not say; queries sort a formula by it). One query,
   * and one more when the project has formulas.
   */
  async schema(projectId: string): Promise<ProjectSchemaView> {
    const rows = await selectRows<SchemaRow>(
      this.db,
      `SELECT data_source_id, name, properties, removed_at IS NOT NULL AS removed, version::text AS version
       FROM data_source_schemas WHERE project_id = $1 ORDER BY data_source_id`,
      [projectId],
    );
    const live = rows.filter((r) => !r.removed);
    const types = await this.formulaTypes(projectId, live);
    const dataSources = live.map((r) => ({
      id: r.data_source_id,
      name: r.name,
      properties: r.properties.map((p) =>
        p.type === 'formula' && p.formula
          ? { ...p, formula: { ...p.formula, resultType: resultType(types.get(`${r.data_source_id}:${p.id}`)) } }
          : p,
      ),
    }));
    const version = rows.reduce((max, r) => (BigInt(r.version) > max ? BigInt(r.version) : max), 0n).toString();
    return { version, dataSources, byId: new Map(dataSources.map((d) => [d.id, d])) };
  }

  /** The schema as `GET /projects/:id/schema` serves it. */
  async served(projectId: string): Promise<ProjectSchema> {
    const { version, dataSources } = await this.schema(projectId);
    return { version, dataSources };
  }

  /** jsonb types of one computed value of each formula, keyed `dataSourceId:propertyId`. */
  private async formulaTypes(projectId: string, sources: readonly SchemaRow[]): Promise<Map<string, string | null>> {
    const formulas = sources.flatMap((r) =>
      r.properties.filter((p) => p.type === 'formula').map((p) => ({ ds: r.data_source_id, id: p.id })),
    );
    if (formulas.length === 0) return new Map();
    const found = await selectRows<{ ds: string; id: string; type: string | null }>(
      this.db,
      `SELECT f.ds, f.id, (SELECT jsonb_typeof(p.plain_values -> f.id) FROM notion_pages p
                           WHERE p.project_id = $1 AND p.data_source_id = f.ds
                             AND jsonb_typeof(p.plain_values -> f.id) NOT IN ('null') LIMIT 1) AS type
       FROM unnest($2::uuid[], $3::text[]) AS f(ds, id)`,
      [projectId, formulas.map((f) => f.ds), formulas.map((f) => f.id)],
    );
    return new Map(found.map((f) => [`${f.ds}:${f.id}`, f.type]));
  }
}

/** jsonb's type of a formula's plain value, as the formula's result type. */
function resultType(jsonType: string | null | undefined): string | null {
  switch (jsonType) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'date';
    default:
      return null;
  }
}
