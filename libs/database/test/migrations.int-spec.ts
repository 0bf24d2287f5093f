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
      'notion_pages',
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
      sync_status: 'text',
      sync_last_synced_at: 'timestamp with time zone?',
      sync_page_count: 'integer',
      sync_last_error: 'text?',
      sync_requested_at: 'timestamp with time zone?',
      sync_enqueued_at: 'timestamp with time zone?',
      sync_watermark: 'timestamp with time zone?',
      sync_run: 'jsonb?',
      sync_schemas: 'jsonb?',
      webhook_key_ciphertext: 'bytea?',
      webhook_key_key_id: 'text?',
      webhook_key_hash: 'bytea?',
      webhook_legacy_url: 'boolean',
      webhook_handshake_window_at: 'timestamp with time zone?',
      webhook_handshakes: 'integer',
      sync_purged_version: 'bigint',
      sync_token_rejected_at: 'timestamp with time zone?',
      sync_started_at: 'timestamp with time zone?',
      sync_queued: 'boolean',
      sync_failed_at: 'timestamp with time zone?',
    });
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
    const { rows } = await pg.query<{ owner_id: string; sync_queued: boolean }>(
      `SELECT owner_id, sync_queued FROM projects WHERE owner_id LIKE 'before-%' ORDER BY owner_id`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.owner_id, r.sync_queued]))).toEqual({
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
    const { rows } = await pg.query<{ owner_id: string; sync_queued: boolean }>(
      `SELECT owner_id, sync_queued FROM projects
       WHERE owner_id IN ('failed-before-start', 'failed-request-pending', 'idle-requested', 'failed-then-begun')`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.owner_id, r.sync_queued]))).toEqual({
      'failed-before-start': false,
      'failed-request-pending': true,
      'idle-requested': true,
      'failed-then-begun': false,
    });
    // The generated column follows later writes: a newer request is queued again.
    await pg.query(`UPDATE projects SET sync_requested_at = now() WHERE owner_id = 'failed-before-start'`);
    const {
      rows: [again],
    } = await pg.query<{ sync_queued: boolean }>(
      `SELECT sync_queued FROM projects WHERE owner_id = 'failed-before-start'`,
    );
    expect(again?.sync_queued).toBe(true);
    await pg.query(
      `DELETE FROM projects
       WHERE owner_id IN ('failed-before-start', 'failed-request-pending', 'idle-requested', 'failed-then-begun')`,
    );
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
