import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Projects: one user's binding to one Notion database. Secrets are stored as
 * AES-256-GCM ciphertexts with the id of the key that sealed them, so older
 * keys still decrypt after a rotation.
 */
export class CreateProjects1764230400000 implements MigrationInterface {
  name = 'CreateProjects1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE projects (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- identity providers use any string as a subject (UUIDs, auth0|..., user_...)
        owner_id text NOT NULL,
        name varchar(100) NOT NULL,
        notion_database_id uuid NOT NULL,
        notion_token_ciphertext bytea NOT NULL,
        notion_token_key_id text NOT NULL,
        webhook_token_ciphertext bytea,
        webhook_token_key_id text,
        webhook_status text NOT NULL DEFAULT 'awaiting_handshake',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT projects_webhook_status_check
          CHECK (webhook_status IN ('awaiting_handshake', 'awaiting_verification', 'verified')),
        CONSTRAINT projects_webhook_token_key_check
          CHECK ((webhook_token_ciphertext IS NULL) = (webhook_token_key_id IS NULL)),
        CONSTRAINT projects_owner_database_unique UNIQUE (owner_id, notion_database_id)
      )
    `);
    // Keyset pagination of one owner's projects, newest first, ties broken by id.
    await q.query(`CREATE INDEX projects_owner_created_idx ON projects (owner_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE projects`);
  }
}
