import type { MigrationInterface, QueryRunner } from 'typeorm';
import { MIRROR_WRITE_V1 } from './1765267200000-add-mirror-write-functions.js';

/**
 * Typed values and queries (docs/queries.md, "Storage, and why"):
 *
 * - `data_source_schemas` (libs/sync): each data source's properties as the
 *   API serves them, with a `version` from a sequence that moves whenever a
 *   row's content changes (the project's schema version is its largest).
 * - `notion_pages.plain_values`: the page's plain values keyed by property id.
 * - `page_values`, `page_numbers`, `page_dates` (libs/sync): one row per
 *   value element, by kind, indexed by (project, property, value, page): the
 *   queries' storage.
 * - A trigram index on titles (title search and title `contains`), and one on
 *   `created_time` for sorts by it.
 * - `mirror_write` also writes `plain_values` and replaces a page's
 *   `page_values` rows, only when the row's content changed.
 *
 * Rows mirrored before this migration have no plain values: clearing each
 * project's schema fingerprints makes the next reconcile read every data
 * source whole, which fills them in (and the schema table) within one
 * reconcile interval, through the writer, with no SQL copy of the mapping.
 */
export class AddTypedValues1765353600000 implements MigrationInterface {
  name = 'AddTypedValues1765353600000';

  async up(q: QueryRunner): Promise<void> {
    // Trusted since Postgres 13: a database owner may create it.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE SEQUENCE data_source_schemas_version_seq AS bigint`);
    await q.query(`
      CREATE TABLE data_source_schemas (
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        data_source_id uuid NOT NULL,
        name text NOT NULL DEFAULT '',
        properties jsonb NOT NULL,
        removed_at timestamptz,
        fetched_at timestamptz NOT NULL,
        version bigint NOT NULL DEFAULT nextval('data_source_schemas_version_seq'),
        CONSTRAINT data_source_schemas_pkey PRIMARY KEY (project_id, data_source_id)
      )
    `);
    await q.query(`ALTER SEQUENCE data_source_schemas_version_seq OWNED BY data_source_schemas.version`);

    await q.query(`ALTER TABLE notion_pages ADD COLUMN plain_values jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(
      `CREATE INDEX notion_pages_created_idx ON notion_pages (project_id, created_time DESC, page_id DESC)`,
    );
    await q.query(`CREATE INDEX notion_pages_title_trgm_idx ON notion_pages USING gin (title gin_trgm_ops)`);

    // One table per kind of value, so that each has statistics of its own: in
    // one shared table, "Publish date <= X" was guessed from a column that is
    // NULL for every non-date value (683 rows guessed, 46,000 real), and the
    // planner sorted 46,000 rows instead of walking the date index.
    // "C": text compares and sorts by code point on every machine, whatever
    // the database's collation (docs/queries.md, sort order).
    await q.query(`
      CREATE TABLE page_values (
        project_id uuid NOT NULL,
        page_id uuid NOT NULL,
        property_id text COLLATE "C" NOT NULL,
        ord integer NOT NULL,
        t text COLLATE "C",
        k text COLLATE "C",
        b boolean,
        CONSTRAINT page_values_pkey PRIMARY KEY (project_id, page_id, property_id, ord),
        CONSTRAINT page_values_page_fkey FOREIGN KEY (project_id, page_id)
          REFERENCES notion_pages (project_id, page_id) ON DELETE CASCADE
      )
    `);
    for (const [table, column, type] of [
      ['page_numbers', 'n', 'double precision'],
      ['page_dates', 'd', 'timestamptz'],
    ] as const) {
      await q.query(`
        CREATE TABLE ${table} (
          project_id uuid NOT NULL,
          page_id uuid NOT NULL,
          property_id text COLLATE "C" NOT NULL,
          ord integer NOT NULL,
          ${column} ${type} NOT NULL,
          CONSTRAINT ${table}_pkey PRIMARY KEY (project_id, page_id, property_id, ord),
          CONSTRAINT ${table}_page_fkey FOREIGN KEY (project_id, page_id)
            REFERENCES notion_pages (project_id, page_id) ON DELETE CASCADE
        )
      `);
      await q.query(`CREATE INDEX ${table}_value_idx ON ${table} (project_id, property_id, ${column}, page_id)`);
      await q.query(`CREATE STATISTICS ${table}_property (dependencies) ON project_id, property_id FROM ${table}`);
    }
    // k is t lower-cased by the writer (JavaScript's Unicode rules: Postgres's
    // lower() under "C" folds ASCII only). Text conditions compare k; an exact
    // match (a select option) is k = lower($1) AND t = $1: one index serves
    // both, and text sorts.
    await q.query(
      `CREATE INDEX page_values_k_idx ON page_values (project_id, property_id, k, page_id) WHERE k IS NOT NULL`,
    );
    // "Status = Draft" is guessed from the combinations (property, value), with
    // t known to follow from k (else the two would be counted as independent).
    await q.query(
      `CREATE STATISTICS page_values_property_values (mcv, dependencies) ON property_id, k, t FROM page_values`,
    );
    await q.query(`ALTER STATISTICS page_values_property_values SET STATISTICS 1000`);
    await q.query(MIRROR_WRITE_V2);
    await q.query(`UPDATE project_sync SET schemas = NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MIRROR_WRITE_V1);
    await q.query(`DROP TABLE page_values, page_numbers, page_dates`);
    await q.query(`DROP INDEX notion_pages_title_trgm_idx`);
    await q.query(`DROP INDEX notion_pages_created_idx`);
    await q.query(`ALTER TABLE notion_pages DROP COLUMN plain_values`);
    await q.query(`DROP TABLE data_source_schemas`);
    // pg_trgm stays: other objects of the database may have come to use it.
  }
}

/** `mirror_write` with plain values and cells (see AddMirrorWriteFunctions for the rest). */
export const MIRROR_WRITE_V2 = `
      CREATE OR REPLACE FUNCTION mirror_write(p_project uuid, p_rows jsonb, p_gone jsonb, p_settle jsonb)
      RETURNS jsonb
      LANGUAGE plpgsql VOLATILE
      SET plan_cache_mode = force_generic_plan
      AS $$
      DECLARE
        v_pages uuid[] := ARRAY(SELECT (e->>'page_id')::uuid FROM jsonb_array_elements(p_rows) e);
        v_gone_pages uuid[] := ARRAY(SELECT (e->>'page_id')::uuid FROM jsonb_array_elements(p_gone) e);
        v_written uuid[];
        v_changed uuid[];
        v_replaced uuid[];
        v_gone uuid[];
        v_delta integer;
        v_settled jsonb;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('notion_pages:' || p_project, 0));
        PERFORM 1 FROM projects WHERE id = p_project FOR KEY SHARE;
        IF NOT FOUND THEN
          RETURN jsonb_build_object('deleted', true);
        END IF;

        WITH input AS (
          SELECT * FROM jsonb_to_recordset(p_rows) AS r(
            page_id uuid, data_source_id uuid, title text, properties jsonb, url text, icon jsonb,
            created_time timestamptz, last_edited_time timestamptz, in_trash boolean, fetched_at timestamptz,
            plain_values jsonb)
        ), old AS (
          SELECT page_id, deleted_at IS NULL AS live, version FROM notion_pages
          WHERE project_id = p_project AND page_id = ANY(v_pages)
        ), written AS (
          INSERT INTO notion_pages AS p (project_id, page_id, data_source_id, title, properties, url, icon,
            created_time, last_edited_time, in_trash, deleted_at, fetched_at, synced_at, plain_values)
          SELECT p_project, r.page_id, r.data_source_id, coalesce(r.title, ''), coalesce(r.properties, '{}'::jsonb),
            r.url, r.icon, r.created_time, r.last_edited_time, coalesce(r.in_trash, false),
            CASE WHEN r.in_trash THEN now() END, r.fetched_at, r.fetched_at, coalesce(r.plain_values, '{}'::jsonb)
          FROM input r
          ON CONFLICT (project_id, page_id) DO UPDATE SET
            data_source_id = EXCLUDED.data_source_id, title = EXCLUDED.title, properties = EXCLUDED.properties,
            url = EXCLUDED.url, icon = EXCLUDED.icon, created_time = EXCLUDED.created_time,
            last_edited_time = EXCLUDED.last_edited_time, in_trash = EXCLUDED.in_trash,
            deleted_at = CASE WHEN EXCLUDED.in_trash THEN coalesce(p.deleted_at, now()) END,
            fetched_at = EXCLUDED.fetched_at,
            synced_at = greatest(p.synced_at, EXCLUDED.synced_at),
            plain_values = EXCLUDED.plain_values,
            version = CASE
              WHEN (p.data_source_id, p.title, p.properties, p.url, p.icon, p.created_time, p.last_edited_time,
                    p.in_trash, p.plain_values)
                IS DISTINCT FROM (EXCLUDED.data_source_id, EXCLUDED.title, EXCLUDED.properties, EXCLUDED.url,
                  EXCLUDED.icon, EXCLUDED.created_time, EXCLUDED.last_edited_time, EXCLUDED.in_trash,
                  EXCLUDED.plain_values)
                OR (p.deleted_at IS NOT NULL) IS DISTINCT FROM EXCLUDED.in_trash
              THEN nextval('notion_pages_version_seq') ELSE p.version END
          WHERE (EXCLUDED.last_edited_time, EXCLUDED.fetched_at) > (p.last_edited_time, p.fetched_at)
            AND NOT (p.deleted_at IS NOT NULL AND NOT p.in_trash AND EXCLUDED.fetched_at <= p.fetched_at)
          RETURNING p.page_id, p.deleted_at IS NULL AS live, p.version
        )
        SELECT coalesce(array_agg(w.page_id), '{}'),
               coalesce(array_agg(w.page_id) FILTER (WHERE o.version IS DISTINCT FROM w.version), '{}'),
               coalesce(array_agg(w.page_id) FILTER (WHERE o.version IS DISTINCT FROM w.version AND o.page_id IS NOT NULL), '{}'),
               (count(*) FILTER (WHERE w.live) - count(*) FILTER (WHERE o.live))::integer
          INTO v_written, v_changed, v_replaced, v_delta
          FROM written w LEFT JOIN old o USING (page_id);

        -- A page's cells follow its content: replaced only when it changed (a
        -- new page has none to delete: a full sync's first read deletes nothing).
        IF cardinality(v_changed) > 0 THEN
          IF cardinality(v_replaced) > 0 THEN
            DELETE FROM page_values WHERE project_id = p_project AND page_id = ANY(v_replaced);
            DELETE FROM page_numbers WHERE project_id = p_project AND page_id = ANY(v_replaced);
            DELETE FROM page_dates WHERE project_id = p_project AND page_id = ANY(v_replaced);
          END IF;
          WITH cells AS (
            SELECT (r->>'page_id')::uuid AS page_id, c.*
              FROM jsonb_array_elements(p_rows) r,
                   jsonb_to_recordset(r->'cells') AS c(p text, o integer, t text, k text, n float8, d timestamptz, b boolean)
             WHERE (r->>'page_id')::uuid = ANY(v_changed)
          ), texts AS (
            INSERT INTO page_values (project_id, page_id, property_id, ord, t, k, b)
            SELECT p_project, page_id, p, o, t, k, b FROM cells WHERE t IS NOT NULL OR b IS NOT NULL
          ), numbers AS (
            INSERT INTO page_numbers (project_id, page_id, property_id, ord, n)
            SELECT p_project, page_id, p, o, n FROM cells WHERE n IS NOT NULL
          )
          INSERT INTO page_dates (project_id, page_id, property_id, ord, d)
          SELECT p_project, page_id, p, o, d FROM cells WHERE d IS NOT NULL;
        END IF;

        UPDATE notion_pages p SET synced_at = r.fetched_at
          FROM jsonb_to_recordset(p_rows) AS r(page_id uuid, fetched_at timestamptz)
         WHERE p.project_id = p_project AND p.page_id = ANY(v_pages) AND p.page_id = r.page_id
           AND p.synced_at < r.fetched_at;

        WITH gone AS (
          UPDATE notion_pages p SET fetched_at = g.fetched_at,
            version = nextval('notion_pages_version_seq'), deleted_at = now()
          FROM jsonb_to_recordset(p_gone) AS g(page_id uuid, fetched_at timestamptz)
          WHERE p.project_id = p_project AND p.page_id = ANY(v_gone_pages) AND p.page_id = g.page_id
            AND p.fetched_at < g.fetched_at AND p.deleted_at IS NULL
          RETURNING p.page_id
        )
        SELECT coalesce(array_agg(page_id), '{}') INTO v_gone FROM gone;
        v_delta := v_delta - cardinality(v_gone);

        IF v_delta <> 0 THEN
          UPDATE project_sync SET page_count = page_count + v_delta WHERE project_id = p_project;
        END IF;

        SELECT coalesce(jsonb_agg(jsonb_build_object('entityId', s.entity_id, 'lagSeconds', s.lag_seconds)), '[]')
          INTO v_settled
          FROM inbox_settle_processed(p_project, p_settle) s;

        RETURN jsonb_build_object('written', to_jsonb(v_written), 'tombstoned', to_jsonb(v_gone), 'settled', v_settled);
      END
      $$
    `;
