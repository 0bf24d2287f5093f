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
   * The project's live data sources with their properties (formulas with the
   * result type the sync read off their values when it saved the schema).
   */
  async schema(projectId: string): Promise<ProjectSchemaView> {
    const rows = await selectRows<SchemaRow>(
      this.db,
      `SELECT data_source_id, name, properties, removed_at IS NOT NULL AS removed, version::text AS version
       FROM data_source_schemas WHERE project_id = $1 ORDER BY data_source_id`,
      [projectId],
    );
    const dataSources = rows
      .filter((r) => !r.removed)
      .map((r) => ({ id: r.data_source_id, name: r.name, properties: r.properties }));
    const version = rows.reduce((max, r) => (BigInt(r.version) > max ? BigInt(r.version) : max), 0n).toString();
    return { version, dataSources, byId: new Map(dataSources.map((d) => [d.id, d])) };
  }

  /** The schema as `GET /projects/:id/schema` serves it. */
  async served(projectId: string): Promise<ProjectSchema> {
    const { version, dataSources } = await this.schema(projectId);
    return { version, dataSources };
  }
}
