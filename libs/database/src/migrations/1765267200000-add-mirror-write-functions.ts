import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One round trip per mirror write. A synced page used to cost seven SQL round
 * trips and two commits after its fetch (begin, the project's advisory lock,
 * the project row's key-share lock, the upsert, the seen-marks, the page
 * count, commit, then the deliveries' `processed` marks in a transaction of
 * their own). Two functions, each owned by the lib that owns its tables, do
 * the same work in one call and one commit:
 *
 * - `inbox_settle_processed` (libs/inbox): ends the in-flight deliveries about
 *   each (entity, fetch start) pair (also what `InboxService.markProcessedFor` calls),
 *   and returns them with their lag. `processed_at` is `clock_timestamp()`,
 *   read as the caller's last step, so it stays the time the change became
 *   visible, not the transaction's start.
 * - `mirror_write` (libs/sync): under the project's advisory lock (versions
 *   of one project commit in increasing order) and a key-share lock on the
 *   project row (held before any mirror or sync row, so a concurrent deletion
 *   cannot deadlock with it), upserts rows that are newer than the stored
 *   ones, marks the rest as seen, tombstones pages found gone, moves the page
 *   count by the delta of live rows (never `count(*)`), and last settles the
 *   deliveries the write covers. Each input row carries its own fetch start,
 *   so writes of several fetches of one project go in one call.
 * - `mirror_write_batch` (libs/sync): several projects' writes in one call and
 *   one commit, projects in a fixed order, every project's settle last.
 *
 * The statements are the ones `MirrorWriter` ran from TypeScript, unchanged
 * in meaning (see CreateNotionPages for the ordering rule).
 */
export class AddMirrorWriteFunctions1765267200000 implements MigrationInterface {
  name = 'AddMirrorWriteFunctions1765267200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION inbox_settle_processed(p_project uuid, p_settle jsonb)
      RETURNS TABLE (delivery_id uuid, entity_id text, lag_seconds float8)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_item record;
      BEGIN
        -- One statement per entity: its cached plan
        -- finds the rows through the in-flight-by-entity index. (One statement
        -- joined on the whole input was planned on every call, at milliseconds
        -- a call with a backlog in flight.)
        FOR v_item IN SELECT * FROM jsonb_to_recordset(p_settle) AS s(entity_id text, before timestamptz) LOOP
          RETURN QUERY
          UPDATE webhook_deliveries d
             SET status = 'processed', processed_at = clock_timestamp(), lease_owner = NULL, lease_expires_at = NULL
           WHERE d.project_id = p_project AND d.entity_id = v_item.entity_id
             AND d.status IN ('received', 'enqueued') AND d.received_at <= v_item.before
          RETURNING d.id, d.entity_id, extract(epoch FROM d.processed_at - d.received_at)::float8;
        END LOOP;
      END
      $$
    `);
    await q.query(MIRROR_WRITE_V1);
    await q.query(`
      CREATE FUNCTION mirror_write_batch(p_writes jsonb)
      RETURNS jsonb
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_write jsonb;
        v_project text;
        v_out jsonb := '{}';
      BEGIN
        -- Writes of several projects in one commit. Projects in one order (their
        -- id's text) for every caller, so two batches never wait for each other's
        -- locks in a cycle; each project's deliveries settled only after every
        -- write, so processed_at is as late as the commit.
        FOR v_write IN SELECT e FROM jsonb_array_elements(p_writes) e ORDER BY e->>'project' LOOP
          v_out := v_out || jsonb_build_object(v_write->>'project',
            mirror_write((v_write->>'project')::uuid, v_write->'rows', v_write->'gone', '[]'));
        END LOOP;
        FOR v_write IN SELECT e FROM jsonb_array_elements(p_writes) e ORDER BY e->>'project' LOOP
          v_project := v_write->>'project';
          CONTINUE WHEN (v_out->v_project->>'deleted') IS NOT NULL;
          v_out := jsonb_set(v_out, ARRAY[v_project, 'settled'], (
            SELECT coalesce(jsonb_agg(jsonb_build_object('entityId', s.entity_id, 'lagSeconds', s.lag_seconds)), '[]')
            FROM inbox_settle_processed(v_project::uuid, v_write->'settle') s));
        END LOOP;
        RETURN v_out;
      END
      $$
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION mirror_write_batch(jsonb)`);
    await q.query(`DROP FUNCTION mirror_write(uuid, jsonb, jsonb, jsonb)`);
    await q.query(`DROP FUNCTION inbox_settle_processed(uuid, jsonb)`);
  }
}

/**
 * `mirror_write` as this migration made it (AddTypedValues replaces it; its
 * `down()` puts this one back).
 */
export const MIRROR_WRITE_V1 = `
      CREATE OR REPLACE FUNCTION mirror_write(p_project uuid, p_rows jsonb, p_gone jsonb, p_settle jsonb)
      RETURNS jsonb
      LANGUAGE plpgsql VOLATILE
      -- Its statements find rows by key only (the arrays below), so one cached
      -- plan fits every call; left to choose, Postgres re-plans them on every
      -- call (0.5 ms of a 1 ms call, measured with pgbench).
      SET plan_cache_mode = force_generic_plan
      AS $$
      DECLARE
        -- Every statement below finds its rows by primary key through these
        -- arrays: joined on the input alone, the planner (which guesses 100 input
        -- rows) hashes every page of the project instead.
        v_pages uuid[] := ARRAY(SELECT (e->>'page_id')::uuid FROM jsonb_array_elements(p_rows) e);
        v_gone_pages uuid[] := ARRAY(SELECT (e->>'page_id')::uuid FROM jsonb_array_elements(p_gone) e);
        v_written uuid[];
        v_gone uuid[];
        v_delta integer;
        v_settled jsonb;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('notion_pages:' || p_project, 0));
        PERFORM 1 FROM projects WHERE id = p_project FOR KEY SHARE;
        IF NOT FOUND THEN
          RETURN jsonb_build_object('deleted', true);
        END IF;

        -- old reads the rows as they were before the statement (one snapshot for
        -- every part of it): how many written rows were live before and after
        -- gives the page count's change. One row per page (ON CONFLICT cannot
        -- touch a row twice in one statement): the caller sends each page once.
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(p_rows) AS r(
            page_id uuid, data_source_id uuid, title text, properties jsonb, url text, icon jsonb,
            created_time timestamptz, last_edited_time timestamptz, in_trash boolean, fetched_at timestamptz)
        ), old AS (
          SELECT page_id, deleted_at IS NULL AS live FROM notion_pages
          WHERE project_id = p_project AND page_id = ANY(v_pages)
        ), written AS (
          INSERT INTO notion_pages AS p (project_id, page_id, data_source_id, title, properties, url, icon,
            created_time, last_edited_time, in_trash, deleted_at, fetched_at, synced_at)
          SELECT p_project, r.page_id, r.data_source_id, coalesce(r.title, ''), coalesce(r.properties, '{}'::jsonb),
            r.url, r.icon, r.created_time, r.last_edited_time, coalesce(r.in_trash, false),
            CASE WHEN r.in_trash THEN now() END, r.fetched_at, r.fetched_at
          FROM input r
          ON CONFLICT (project_id, page_id) DO UPDATE SET
            data_source_id = EXCLUDED.data_source_id, title = EXCLUDED.title, properties = EXCLUDED.properties,
            url = EXCLUDED.url, icon = EXCLUDED.icon, created_time = EXCLUDED.created_time,
            last_edited_time = EXCLUDED.last_edited_time, in_trash = EXCLUDED.in_trash,
            deleted_at = CASE WHEN EXCLUDED.in_trash THEN coalesce(p.deleted_at, now()) END,
            fetched_at = EXCLUDED.fetched_at,
            synced_at = greatest(p.synced_at, EXCLUDED.synced_at),
            version = CASE
              WHEN (p.data_source_id, p.title, p.properties, p.url, p.icon, p.created_time, p.last_edited_time, p.in_trash)
                IS DISTINCT FROM (EXCLUDED.data_source_id, EXCLUDED.title, EXCLUDED.properties, EXCLUDED.url,
                  EXCLUDED.icon, EXCLUDED.created_time, EXCLUDED.last_edited_time, EXCLUDED.in_trash)
                OR (p.deleted_at IS NOT NULL) IS DISTINCT FROM EXCLUDED.in_trash
              THEN nextval('notion_pages_version_seq') ELSE p.version END
          WHERE (EXCLUDED.last_edited_time, EXCLUDED.fetched_at) > (p.last_edited_time, p.fetched_at)
            -- A page found gone (404, moved out, swept) keeps its last edit time, so a
            -- newer edit seen by a fetch that started before the absence was observed
            -- must not bring it back: only a later fetch can.
            AND NOT (p.deleted_at IS NOT NULL AND NOT p.in_trash AND EXCLUDED.fetched_at <= p.fetched_at)
          RETURNING p.page_id, p.deleted_at IS NULL AS live
        )
        SELECT coalesce(array_agg(w.page_id), '{}'),
               (count(*) FILTER (WHERE w.live) - count(*) FILTER (WHERE o.live))::integer
          INTO v_written, v_delta
          FROM written w LEFT JOIN old o USING (page_id);

        -- Rows not replaced (an equal or newer state is stored) were still seen by their fetch.
        UPDATE notion_pages p SET synced_at = r.fetched_at
          FROM jsonb_to_recordset(p_rows) AS r(page_id uuid, fetched_at timestamptz)
         WHERE p.project_id = p_project AND p.page_id = ANY(v_pages) AND p.page_id = r.page_id
           AND p.synced_at < r.fetched_at;

        -- Pages found gone: tombstoned when their fetch is the newest word on them.
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

        -- Last, so that processed_at (clock_timestamp()) is as late as the write.
        SELECT coalesce(jsonb_agg(jsonb_build_object('entityId', s.entity_id, 'lagSeconds', s.lag_seconds)), '[]')
          INTO v_settled
          FROM inbox_settle_processed(p_project, p_settle) s;

        RETURN jsonb_build_object('written', to_jsonb(v_written), 'tombstoned', to_jsonb(v_gone), 'settled', v_settled);
      END
      $$
    `;
