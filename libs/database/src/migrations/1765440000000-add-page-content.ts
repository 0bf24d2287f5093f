import type { MigrationInterface, QueryRunner } from 'typeorm';
import { MIRROR_WRITE_V2 } from './1765353600000-add-typed-values.js';

/**
 * Page content and files (issue 14; docs/architecture.md, "Page content and files"):
 *
 * - `projects.content_sync` (libs/projects): whether the project mirrors page bodies.
 * - `notion_pages.cover` (the page's cover, like `icon`), `content_version`
 *   (the `version` at which the body last changed; null before its first
 *   fetch) and `content_fetched_at` (the start of the fetch the stored body
 *   came from: the ordering rule for bodies, and the backfill's "older than
 *   its last edit"); written by libs/sync.
 * - `page_contents` (libs/sync): one body per page, Markdown with Notion's
 *   signed file URLs replaced by the files' identities.
 * - `page_files` (libs/sync): the latest signed URL seen for each file of a
 *   page, a cache the file links redirect to. Which files a page has is read
 *   from the page itself (its properties, icon, cover and body), never from here.
 * - `project_sync.content_error`/`content_error_at`: why bodies cannot be
 *   read (the integration lacks the read-content capability), apart from the
 *   project's `error`.
 * - `mirror_write` stores `cover` and answers the pages it inserted (a page
 *   job asks for their bodies).
 * - Every project with mirrored pages gets a full sync requested: see `up`.
 */
export class AddPageContent1765440000000 implements MigrationInterface {
  name = 'AddPageContent1765440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN content_sync boolean NOT NULL DEFAULT true`);
    await q.query(`
      ALTER TABLE notion_pages
        ADD COLUMN cover jsonb,
        ADD COLUMN content_version bigint,
        ADD COLUMN content_fetched_at timestamptz
    `);
    // The backfill's work list and the sync view's contentPending: live pages
    // whose body is missing or older than their last edit.
    await q.query(`
      CREATE INDEX notion_pages_content_stale_idx ON notion_pages (project_id, page_id)
        WHERE deleted_at IS NULL AND (content_fetched_at IS NULL OR content_fetched_at < last_edited_time)
    `);
    await q.query(`
      CREATE TABLE page_contents (
        project_id uuid NOT NULL,
        page_id uuid NOT NULL,
        markdown text NOT NULL,
        truncated boolean NOT NULL,
        truncated_reason text,
        unknown_blocks jsonb NOT NULL DEFAULT '[]'::jsonb,
        files text[] NOT NULL DEFAULT '{}',
        error text,
        fetched_at timestamptz NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT page_contents_pkey PRIMARY KEY (project_id, page_id),
        CONSTRAINT page_contents_page_fkey FOREIGN KEY (project_id, page_id)
          REFERENCES notion_pages (project_id, page_id) ON DELETE CASCADE
      )
    `);
    await q.query(`
      CREATE TABLE page_files (
        project_id uuid NOT NULL,
        page_id uuid NOT NULL,
        file_key text COLLATE "C" NOT NULL,
        identity text NOT NULL,
        source text NOT NULL CHECK (source IN ('page', 'content')),
        url text NOT NULL,
        expires_at timestamptz,
        seen_at timestamptz NOT NULL,
        CONSTRAINT page_files_pkey PRIMARY KEY (project_id, page_id, file_key),
        CONSTRAINT page_files_page_fkey FOREIGN KEY (project_id, page_id)
          REFERENCES notion_pages (project_id, page_id) ON DELETE CASCADE
      )
    `);
    await q.query(`ALTER TABLE project_sync ADD COLUMN content_error text, ADD COLUMN content_error_at timestamptz`);
    await q.query(MIRROR_WRITE_V3);
    // Every project with mirrored pages re-read once: rows get file
    // identities in place of signed URLs (and the URL cache its entries), and
    // the full sync's end starts the backfill of every body. The relay
    // enqueues these requests.
    await q.query(
      `UPDATE project_sync s SET requested_at = now()
        WHERE EXISTS (SELECT 1 FROM notion_pages n WHERE n.project_id = s.project_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MIRROR_WRITE_V2);
    await q.query(`ALTER TABLE project_sync DROP COLUMN content_error, DROP COLUMN content_error_at`);
    await q.query(`DROP TABLE page_files, page_contents`);
    await q.query(`DROP INDEX notion_pages_content_stale_idx`);
    await q.query(
      `ALTER TABLE notion_pages DROP COLUMN cover, DROP COLUMN content_version, DROP COLUMN content_fetched_at`,
    );
    await q.query(`ALTER TABLE projects DROP COLUMN content_sync`);
  }
}

/** `mirror_write` with `cover`, answering the pages it inserted (see AddTypedValues for the rest). */
const MIRROR_WRITE_V3 = `
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
        v_inserted uuid[];
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
            page_id uuid, data_source_id uuid, title text, properties jsonb, url text, icon jsonb, cover jsonb,
            created_time timestamptz, last_edited_time timestamptz, in_trash boolean, fetched_at timestamptz,
            plain_values jsonb)
        ), old AS (
          SELECT page_id, deleted_at IS NULL AS live, version FROM notion_pages
          WHERE project_id = p_project AND page_id = ANY(v_pages)
        ), written AS (
          INSERT INTO notion_pages AS p (project_id, page_id, data_source_id, title, properties, url, icon, cover,
            created_time, last_edited_time, in_trash, deleted_at, fetched_at, synced_at, plain_values)
          SELECT p_project, r.page_id, r.data_source_id, coalesce(r.title, ''), coalesce(r.properties, '{}'::jsonb),
            r.url, r.icon, r.cover, r.created_time, r.last_edited_time, coalesce(r.in_trash, false),
            CASE WHEN r.in_trash THEN now() END, r.fetched_at, r.fetched_at, coalesce(r.plain_values, '{}'::jsonb)
          FROM input r
          ON CONFLICT (project_id, page_id) DO UPDATE SET
            data_source_id = EXCLUDED.data_source_id, title = EXCLUDED.title, properties = EXCLUDED.properties,
            url = EXCLUDED.url, icon = EXCLUDED.icon, cover = EXCLUDED.cover, created_time = EXCLUDED.created_time,
            last_edited_time = EXCLUDED.last_edited_time, in_trash = EXCLUDED.in_trash,
            deleted_at = CASE WHEN EXCLUDED.in_trash THEN coalesce(p.deleted_at, now()) END,
            fetched_at = EXCLUDED.fetched_at,
            synced_at = greatest(p.synced_at, EXCLUDED.synced_at),
            plain_values = EXCLUDED.plain_values,
            version = CASE
              WHEN (p.data_source_id, p.title, p.properties, p.url, p.icon, p.cover, p.created_time, p.last_edited_time,
                    p.in_trash, p.plain_values)
                IS DISTINCT FROM (EXCLUDED.data_source_id, EXCLUDED.title, EXCLUDED.properties, EXCLUDED.url,
                  EXCLUDED.icon, EXCLUDED.cover, EXCLUDED.created_time, EXCLUDED.last_edited_time, EXCLUDED.in_trash,
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
               coalesce(array_agg(w.page_id) FILTER (WHERE o.page_id IS NULL AND w.live), '{}'),
               (count(*) FILTER (WHERE w.live) - count(*) FILTER (WHERE o.live))::integer
          INTO v_written, v_changed, v_replaced, v_inserted, v_delta
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

        RETURN jsonb_build_object('written', to_jsonb(v_written), 'inserted', to_jsonb(v_inserted), 'tombstoned', to_jsonb(v_gone), 'settled', v_settled);
      END
      $$
    `;
