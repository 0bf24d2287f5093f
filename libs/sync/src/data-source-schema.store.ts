import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DataSourceSchema } from '@app/contracts';
import { selectRows } from '@app/database';

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
   * Nothing for a deleted project. Called after the run wrote the pages, so
   * formulas get the type of their computed values (Notion's schema does not
   * say; queries sort a formula by it) from those pages, once per run rather
   * than on every read.
   */
  async save(projectId: string, read: readonly DataSourceSchema[]): Promise<void> {
    const sources = await this.withFormulaTypes(projectId, read);
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

  /** Formulas with the type of one computed value of theirs in the mirror (`null` while none has one). */
  private async withFormulaTypes(projectId: string, sources: readonly DataSourceSchema[]): Promise<DataSourceSchema[]> {
    const formulas = sources.flatMap((d) =>
      d.properties.filter((p) => p.type === 'formula').map((p) => ({ ds: d.id, id: p.id })),
    );
    if (formulas.length === 0) return [...sources];
    const found = await selectRows<{ ds: string; id: string; type: string | null }>(
      this.db,
      `SELECT f.ds, f.id, (SELECT jsonb_typeof(p.plain_values -> f.id) FROM notion_pages p
                           WHERE p.project_id = $1 AND p.data_source_id = f.ds
                             AND jsonb_typeof(p.plain_values -> f.id) NOT IN ('null') LIMIT 1) AS type
       FROM unnest($2::uuid[], $3::text[]) AS f(ds, id)`,
      [projectId, formulas.map((f) => f.ds), formulas.map((f) => f.id)],
    );
    const types = new Map(found.map((f) => [`${f.ds}:${f.id}`, f.type]));
    return sources.map((d) => ({
      ...d,
      properties: d.properties.map((p) =>
        p.type === 'formula' && p.formula
          ? { ...p, formula: { ...p.formula, resultType: resultType(types.get(`${d.id}:${p.id}`)) } }
          : p,
      ),
    }));
  }
}

/** jsonb's type of a formula's plain value, as the formula's result type. */
function resultType(jsonType: string | null | undefined): string | null {
  switch (jsonType) {
    case 'string':
    case 'number':
    case 'boolean':
      return jsonType;
    case 'object':
      return 'date';
    default:
      return null;
  }
}
