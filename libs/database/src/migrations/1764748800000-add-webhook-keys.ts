import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secret webhook URLs: each project's webhook is reached at
 * `/api/v1/webhooks/notion/<key>`, a random key of 192 bits, instead of its id.
 *
 * - `webhook_key_ciphertext` / `webhook_key_key_id`: the key, sealed like the
 *   other secrets (the owner is shown the URL, so it must be recoverable);
 *   `webhook_key_hash`: its SHA-256, for the indexed lookup of every request
 *   (192 random bits need no keyed hash, and a keyless one survives key rotation).
 *   Rows that existed before get their key when their owner first reads the
 *   webhook (GET /projects/:id/webhook) or resets it.
 * - `webhook_legacy_url`: the project still takes signed events at its old
 *   URL (the one that carries its id). Set for webhooks verified before this
 *   migration (a verified webhook cannot be taken over there), cleared by a reset.
 * - `webhook_handshake_window_at` / `webhook_handshakes`: handshakes on one key
 *   are limited per minute.
 */
export class AddWebhookKeys1764748800000 implements MigrationInterface {
  name = 'AddWebhookKeys1764748800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE projects
        ADD COLUMN webhook_key_ciphertext bytea,
        ADD COLUMN webhook_key_key_id text,
        ADD COLUMN webhook_key_hash bytea,
        ADD COLUMN webhook_legacy_url boolean NOT NULL DEFAULT false,
        ADD COLUMN webhook_handshake_window_at timestamptz,
        ADD COLUMN webhook_handshakes integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT projects_webhook_key_sealed CHECK (
          (webhook_key_ciphertext IS NULL) = (webhook_key_key_id IS NULL)
          AND (webhook_key_ciphertext IS NULL) = (webhook_key_hash IS NULL))
    `);
    await q.query(`UPDATE projects SET webhook_legacy_url = true WHERE webhook_status = 'verified'`);
    await q.query(`CREATE UNIQUE INDEX projects_webhook_key_hash_idx ON projects (webhook_key_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX projects_webhook_key_hash_idx`);
    await q.query(`
      ALTER TABLE projects
        DROP CONSTRAINT projects_webhook_key_sealed,
        DROP COLUMN webhook_handshakes,
        DROP COLUMN webhook_handshake_window_at,
        DROP COLUMN webhook_legacy_url,
        DROP COLUMN webhook_key_hash,
        DROP COLUMN webhook_key_key_id,
        DROP COLUMN webhook_key_ciphertext
    `);
  }
}
