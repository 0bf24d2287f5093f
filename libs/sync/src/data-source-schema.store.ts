import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DataSourceSchema } from '@app/contracts';

/**
 * The mirrored schemas (`data_source_schemas`, migration AddTypedValues), and
 * their only writer. A row's `version` moves only when its content does, so
 * the project's schema version (the largest) changes exactly when its schema does.
 */
@Injectable()
export class DataSourceSchemaStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The data sources the database holds now, as read by one run: each stored
   * (new version if it changed), and every other live row marked removed.
   * Nothing for a deleted project.
   */
  async save(projectId: string, sources: readonly DataSourceSchema[]): Promise<void> {
    await this.db.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, name text, properties jsonb)
       ), saved AS (
         INSERT INTO data_source_schemas AS s (project_id, data_source_id, name, properties, fetched_at)
         SELECT $1, i.id, i.name, i.properties, now() FROM input i
         WHERE EXISTS (SELECT 1 FROM projects WHERE id = $1)
         ON CONFLICT (project_id, data_source_id) DO UPDATE SET
           name = EXCLUDED.name, properties = EXCLUDED.properties, fetched_at = EXCLUDED.fetched_at,
           removed_at = NULL,
           version = CASE WHEN (s.name, s.properties, s.removed_at IS NULL)
                             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.properties, true)
                          THEN nextval('data_source_schemas_version_seq') ELSE s.version END
         RETURNING s.data_source_id
       )
       UPDATE data_source_schemas SET removed_at = now(), version = nextval('data_source_schemas_version_seq')
        WHERE project_id = $1 AND removed_at IS NULL AND NOT (data_source_id = ANY(ARRAY(SELECT id FROM input)))`,
      [projectId, JSON.stringify(sources.map((s) => ({ id: s.id, name: s.name, properties: s.properties })))],
    );
  }
}
