import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import type { AppConfig } from '@app/config';
import { ensureDatabase, MIGRATIONS, revertLastMigration, runMigrations } from '@app/database';
import { SERVER_URLS, testConfig } from '../../../test/jest/test-env.js';

/**
 * Applies and reverts the real migrations on a database of this suite's own
 * (the run's shared test database keeps its schema for the other suites).
 */
describe('migrations', () => {
  let config: AppConfig;
  let pg: Client;
  const dbName = `notion_sync_test_migrations_${Date.now().toString(36)}`;

  const tables = async () =>
    (
      await pg.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      )
    ).rows.map((r) => r.table_name);

  beforeAll(async () => {
    const url = new URL(SERVER_URLS.postgres);
    url.pathname = `/${dbName}`;
    config = testConfig({ DATABASE_URL: url.toString() });
    await ensureDatabase(config);
    pg = new Client({ connectionString: url.toString() });
    await pg.connect();
  });

  afterAll(async () => {
    await pg.end();
    const admin = new Client({ connectionString: SERVER_URLS.postgres });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('applies every migration in order on an empty database', async () => {
    const applied = await runMigrations(config);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tables()).toEqual([
      'data_source_schemas',
      'notion_pages',
      'page_contents',
      'page_dates',
      'page_files',
      'page_numbers',
      'page_values',
      'project_sync',
      'projects',
      'sync_failures',
      'typeorm_migrations',
      'webhook_deliveries',
    ]);
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await runMigrations(config)).toEqual([]);
  });

  it('creates projects as specified: snake_case, timestamptz, text owner, encrypted secrets', async () => {
    const { rows } = await pg.query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'projects' ORDER BY ordinal_position`,
    );
    expect(
      Object.fromEntries(rows.map((r) => [r.column_name, `${r.data_type}${r.is_nullable === 'YES' ? '?' : ''}`])),
    ).toEqual({
      id: 'uuid',
      owner_id: 'text',
      name: 'character varying',
      notion_database_id: 'uuid',
      notion_token_ciphertext: 'bytea',
      notion_token_key_id: 'text',
      webhook_token_ciphertext: 'bytea?',
      webhook_token_key_id: 'text?',
      webhook_status: 'text',
      created_at: 'timestamp with time zone',
      updated_at: 'timestamp with time zone',
      webhook_key_ciphertext: 'bytea?',
      webhook_key_key_id: 'text?',
      webhook_key_hash: 'bytea?',
      webhook_legacy_url: 'boolean',
      webhook_handshake_window_at: 'timestamp with time zone?',
      webhook_handshakes: 'integer',
      content_sync: 'boolean',
    });
  });

  it('keeps the sync state in project_sync: one row per project, deleted with it', async () => {
    const { rows } = await pg.query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'project_sync' ORDER BY ordinal_position`,
    );
    expect(
      Object.fromEntries(rows.map((r) => [r.column_name, `${r.data_type}${r.is_nullable === 'YES' ? '?' : ''}`])),
    ).toEqual({
      project_id: 'uuid',
      status: 'text',
      last_synced_at: 'timestamp with time zone?',
      page_count: 'integer',
      last_error: 'text?',
      requested_at: 'timestamp with time zone?',
      enqueued_at: 'timestamp with time zone?',
      started_at: 'timestamp with time zone?',
      failed_at: 'timestamp with time zone?',
      watermark: 'timestamp with time zone?',
      run: 'jsonb?',
      schemas: 'jsonb?',
      token_rejected_at: 'timestamp with time zone?',
      purged_version: 'bigint',
      queued: 'boolean',
      content_error: 'text?',
      content_error_at: 'timestamp with time zone?',
    });
    const {
      rows: [project],
    } = await pg.query<{ id: string }>(
      `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id, webhook_status)
       VALUES ('sync-owner', 'n', gen_random_uuid(), '\\x00', 'k', 'verified') RETURNING id`,
    );
    await expect(pg.query(`INSERT INTO project_sync (project_id) VALUES (gen_random_uuid())`)).rejects.toThrow(
      /project_sync_project_id_fkey/,
    );
    // A new row asks for the first full sync, which is queued until a run begins.
    const {
      rows: [created],
    } = await pg.query<{ requested: boolean; queued: boolean; page_count: number; status: string }>(
      `INSERT INTO project_sync (project_id) VALUES ($1)
       RETURNING requested_at IS NOT NULL AS requested, queued, page_count, status`,
      [project!.id],
    );
    expect(created).toEqual({ requested: true, queued: true, page_count: 0, status: 'idle' });
    await expect(
      pg.query(`UPDATE project_sync SET status = 'bogus' WHERE project_id = $1`, [project!.id]),
    ).rejects.toThrow(/project_sync_status_check/);
    await pg.query('DELETE FROM projects WHERE id = $1', [project!.id]);
    expect((await pg.query('SELECT 1 FROM project_sync')).rowCount).toBe(0);
  });

  it('builds the retention indexes, valid (they are built concurrently, outside a transaction)', async () => {
    const { rows } = await pg.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname IN ('webhook_deliveries_settled_idx', 'sync_failures_resolved_idx', 'notion_pages_tombstones_idx')
       ORDER BY 1`,
    );
    expect(rows).toEqual([
      { name: 'notion_pages_tombstones_idx', valid: true },
      { name: 'sync_failures_resolved_idx', valid: true },
      { name: 'webhook_deliveries_settled_idx', valid: true },
    ]);
  });

  /** Projects with their sync state, as the migrations after `CreateProjectSync1765180800000` keep it. */
  const WITH_SYNC = `projects JOIN project_sync ON project_sync.project_id = projects.id`;

  /** Reverts migrations (the latest first) until `name` is no longer applied, as a database before it was. */
  const revertThrough = async (name: string) => {
    const applied = async () =>
      (await pg.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id')).rows.map((r) => r.name);
    while ((await applied()).includes(name)) await revertLastMigration(config);
  };

  it('keeps the old webhook URL only for webhooks verified before secret URLs existed', async () => {
    await revertThrough('AddWebhookKeys1764748800000');
    const insert = (owner: string, status: string) =>
      pg.query(
        `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id, webhook_status)
         VALUES ($1, 'n', '7a26ee68-df30-4251-aad4-8ddc420cba3d', '\\x00', 'k', $2)`,
        [owner, status],
      );
    await insert('legacy-verified', 'verified');
    await insert('legacy-pending', 'awaiting_verification');
    await runMigrations(config);
    const { rows } = await pg.query<{ owner_id: string; webhook_legacy_url: boolean }>(
      `SELECT owner_id, webhook_legacy_url FROM projects WHERE owner_id LIKE 'legacy-%' ORDER BY owner_id`,
    );
    expect(rows).toEqual([
      { owner_id: 'legacy-pending', webhook_legacy_url: false },
      { owner_id: 'legacy-verified', webhook_legacy_url: true },
    ]);
    // A key is sealed, hashed and identified together, or not at all.
    await expect(
      pg.query(`UPDATE projects SET webhook_key_hash = '\\x01' WHERE owner_id = 'legacy-pending'`),
    ).rejects.toThrow(/projects_webhook_key_sealed/);
    await pg.query(`DELETE FROM projects WHERE owner_id LIKE 'legacy-%'`);
  });

  it('reads requests of projects from before sync_started_at as taken up only when a sync followed them', async () => {
    await revertThrough('AddSyncStartedAt1765008000000');
    const insert = (owner: string, columns: string) =>
      pg.query(
        `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id,
           webhook_status, sync_status, sync_requested_at, sync_enqueued_at, sync_last_synced_at, sync_run)
         SELECT $1, 'n', gen_random_uuid(), '\\x00', 'k', 'verified', ${columns}`,
        [owner],
      );
    const t = (minutes: number) => `now() - interval '${60 - minutes} minutes'`;
    await insert('before-created', `'idle', ${t(0)}, NULL, NULL, NULL`);
    await insert('before-synced', `'idle', ${t(0)}, ${t(0)}, ${t(5)}, NULL`);
    await insert('before-failed', `'error', ${t(0)}, ${t(0)}, NULL, NULL`);
    await insert(
      'before-running',
      `'syncing', ${t(0)}, ${t(0)}, NULL, jsonb_build_object('startedAt', ${t(1)}, 'done', '[]'::jsonb)`,
    );
    await insert('before-requested-again', `'idle', ${t(10)}, ${t(10)}, ${t(5)}, NULL`);
    await runMigrations(config);
    const { rows } = await pg.query<{ owner_id: string; queued: boolean }>(
      `SELECT owner_id, queued FROM ${WITH_SYNC} WHERE owner_id LIKE 'before-%' ORDER BY owner_id`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.owner_id, r.queued]))).toEqual({
      'before-created': true,
      'before-failed': false,
      'before-requested-again': true,
      'before-running': false,
      'before-synced': false,
    });
    await pg.query(`DELETE FROM projects WHERE owner_id LIKE 'before-%'`);
  });

  it('reads a project in error whose enqueued request no run began as answered by that error', async () => {
    await revertThrough('AddSyncFailedAt1765094400000');
    const insert = (owner: string, columns: string) =>
      pg.query(
        `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id,
           webhook_status, sync_status, sync_requested_at, sync_enqueued_at, sync_started_at)
         SELECT $1, 'n', gen_random_uuid(), '\\x00', 'k', 'verified', ${columns}`,
        [owner],
      );
    const t = (minutes: number) => `now() - interval '${60 - minutes} minutes'`;
    // Its job failed before its run began: nothing will take the request up.
    await insert('failed-before-start', `'error', ${t(10)}, ${t(10)}, ${t(0)}`);
    // Not enqueued yet (the relay will): its job is still to come.
    await insert('failed-request-pending', `'error', ${t(10)}, ${t(5)}, ${t(0)}`);
    await insert('idle-requested', `'idle', ${t(10)}, ${t(10)}, ${t(0)}`);
    await insert('failed-then-begun', `'error', ${t(5)}, ${t(5)}, ${t(10)}`);
    await runMigrations(config);
    const { rows } = await pg.query<{ owner_id: string; queued: boolean }>(
      `SELECT owner_id, queued FROM ${WITH_SYNC}
       WHERE owner_id IN ('failed-before-start', 'failed-request-pending', 'idle-requested', 'failed-then-begun')`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.owner_id, r.queued]))).toEqual({
      'failed-before-start': false,
      'failed-request-pending': true,
      'idle-requested': true,
      'failed-then-begun': false,
    });
    // The generated column follows later writes: a newer request is queued again.
    await pg.query(
      `UPDATE project_sync SET requested_at = now()
       WHERE project_id = (SELECT id FROM projects WHERE owner_id = 'failed-before-start')`,
    );
    const {
      rows: [again],
    } = await pg.query<{ queued: boolean }>(`SELECT queued FROM ${WITH_SYNC} WHERE owner_id = 'failed-before-start'`);
    expect(again?.queued).toBe(true);
    await pg.query(
      `DELETE FROM projects
       WHERE owner_id IN ('failed-before-start', 'failed-request-pending', 'idle-requested', 'failed-then-begun')`,
    );
  });

  it('moves the sync state of every project to project_sync and back, unchanged', async () => {
    await revertThrough('CreateProjectSync1765180800000');
    const columns = `sync_status, sync_last_synced_at, sync_page_count, sync_last_error, sync_requested_at,
      sync_enqueued_at, sync_started_at, sync_failed_at, sync_watermark, sync_run, sync_schemas,
      sync_token_rejected_at, sync_purged_version`;
    const insert = (owner: string, values: string) =>
      pg.query(
        `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id,
           webhook_status, ${columns})
         SELECT $1, 'n', gen_random_uuid(), '\\x00', 'k', 'verified', ${values}`,
        [owner],
      );
    // Microseconds matter: request, enqueue and start times are compared exactly.
    const t = (us: number) => `'2026-01-02T03:04:05.000000Z'::timestamptz + interval '${us} microseconds'`;
    await insert(
      'kept-syncing',
      `'syncing', ${t(1)}, 42, NULL, ${t(3)}, ${t(3)}, ${t(4)}, NULL, ${t(2)},
       '{"startedAt": "2026-01-02T03:04:05.000004Z", "done": ["a"]}', '{"a": "x"}', NULL, 7`,
    );
    await insert(
      'kept-error',
      `'error', NULL, 0, 'Notion said no', ${t(9)}, ${t(9)}, ${t(5)}, ${t(10)}, NULL, NULL, NULL, ${t(8)}, 0`,
    );
    await insert('kept-new', `'idle', NULL, 0, NULL, ${t(11)}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0`);
    await insert('kept-nothing-asked', `'idle', ${t(12)}, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2`);
    // As text, so that a microsecond lost (a JS Date keeps milliseconds) would show.
    const names = columns.split(',').map((c) => c.trim().slice('sync_'.length));
    const state = names.map((c) => `${c}::text AS ${c}`).join(', ');
    const aliased = names.map((c) => `sync_${c}::text AS ${c}`).join(', ');
    const before = (
      await pg.query(
        `SELECT owner_id, ${aliased}, sync_queued AS queued FROM projects WHERE owner_id LIKE 'kept-%' ORDER BY owner_id`,
      )
    ).rows;
    expect(before.map((r: { owner_id: string; queued: boolean }) => [r.owner_id, r.queued])).toEqual([
      ['kept-error', false],
      ['kept-new', true],
      ['kept-nothing-asked', false],
      ['kept-syncing', false],
    ]);

    await runMigrations(config);
    const after = (
      await pg.query(
        `SELECT owner_id, ${state}, queued FROM ${WITH_SYNC} WHERE owner_id LIKE 'kept-%' ORDER BY owner_id`,
      )
    ).rows;
    // AddTypedValues, applied after, clears the schema fingerprints (so the next
    // reconcile reads every data source whole and fills in typed values).
    expect(after).toEqual(before.map((row: Record<string, unknown>) => ({ ...row, schemas: null })));
    // The relay's index of requests not yet enqueued moved with them.
    expect((await pg.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'project_sync_requested_idx'`)).rowCount).toBe(
      1,
    );

    await revertThrough('CreateProjectSync1765180800000');
    const reverted = (
      await pg.query(
        `SELECT owner_id, ${aliased}, sync_queued AS queued FROM projects WHERE owner_id LIKE 'kept-%' ORDER BY owner_id`,
      )
    ).rows;
    expect(reverted).toEqual(before.map((row: Record<string, unknown>) => ({ ...row, schemas: null })));
    await pg.query(`DELETE FROM projects WHERE owner_id LIKE 'kept-%'`);
    await runMigrations(config);
  });

  it('gives every write to a mirrored row a new, increasing version, and drops the mirror with its project', async () => {
    const {
      rows: [project],
    } = await pg.query<{ id: string }>(
      `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id, webhook_status)
       VALUES ('mirror-owner', 'n', '6f0b9f0e-3c3a-4f43-9d9f-0e1f6c1d2a3b', '\\x00', 'k', 'verified') RETURNING id`,
    );
    const insert = (pageId: string) =>
      pg.query<{ version: string }>(
        `INSERT INTO notion_pages (project_id, page_id, created_time, last_edited_time, fetched_at, synced_at)
         VALUES ($1, $2, now(), now(), now(), now()) RETURNING version`,
        [project!.id, pageId],
      );
    const a = await insert('00000000-0000-4000-8000-000000000001');
    const b = await insert('00000000-0000-4000-8000-000000000002');
    expect(BigInt(b.rows[0]!.version)).toBeGreaterThan(BigInt(a.rows[0]!.version));
    await expect(insert('00000000-0000-4000-8000-000000000001')).rejects.toThrow(/notion_pages_pkey/);
    await pg.query('DELETE FROM projects WHERE id = $1', [project!.id]);
    expect((await pg.query('SELECT 1 FROM notion_pages')).rowCount).toBe(0);
  });

  it('enforces one binding per owner and database, and known webhook states', async () => {
    const insert = (owner: string, status = 'awaiting_handshake') =>
      pg.query(
        `INSERT INTO projects (owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id, webhook_status)
         VALUES ($1, 'n', '2f26ee68-df30-4251-aad4-8ddc420cba3d', '\\x00', 'k', $2)`,
        [owner, status],
      );
    await insert('auth0|alice');
    await expect(insert('auth0|alice')).rejects.toThrow(/projects_owner_database_unique/);
    await insert('user_bob');
    await expect(insert('carol', 'bogus')).rejects.toThrow(/projects_webhook_status_check/);
    await pg.query('DELETE FROM projects');
  });

  it('reverts every migration, leaving no table behind', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await revertLastMigration(config);
    expect(await tables()).toEqual(['typeorm_migrations']);
  });

  it('applies again after a full revert', async () => {
    expect(await runMigrations(config)).toHaveLength(MIGRATIONS.length);
  });
});
