import { Column, Entity, PrimaryColumn } from 'typeorm';
import { WebhookStatus } from './project.js';

/** Row of `projects` (see migration CreateProjects1764230400000). Never leaves libs/projects. */
@Entity({ name: 'projects' })
export class ProjectEntity {
  // Assigned by the service before the insert: the id is the associated data
  // that binds the encrypted secrets to this row.
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'owner_id', type: 'text' })
  ownerId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'notion_database_id', type: 'uuid' })
  notionDatabaseId: string;

  @Column({ name: 'notion_token_ciphertext', type: 'bytea' })
  notionTokenCiphertext: Buffer;

  @Column({ name: 'notion_token_key_id', type: 'text' })
  notionTokenKeyId: string;

  @Column({ name: 'webhook_token_ciphertext', type: 'bytea', nullable: true })
  webhookTokenCiphertext: Buffer | null;

  @Column({ name: 'webhook_token_key_id', type: 'text', nullable: true })
  webhookTokenKeyId: string | null;

  @Column({ name: 'webhook_status', type: 'text' })
  webhookStatus: WebhookStatus;

  /** Mirror page bodies (migration AddPageContent1765440000000; default on). */
  @Column({ name: 'content_sync', type: 'boolean' })
  syncContent: boolean;

  // The secret of the webhook URL (migration AddWebhookKeys1764748800000):
  // sealed for showing it to the owner, hashed for the lookup of each request.
  @Column({ name: 'webhook_key_ciphertext', type: 'bytea', nullable: true })
  webhookKeyCiphertext: Buffer | null;

  @Column({ name: 'webhook_key_key_id', type: 'text', nullable: true })
  webhookKeyKeyId: string | null;

  @Column({ name: 'webhook_key_hash', type: 'bytea', nullable: true })
  webhookKeyHash: Buffer | null;

  /** Signed events are still taken at the URL that carries the project id (verified before secret URLs). */
  @Column({ name: 'webhook_legacy_url', type: 'boolean', insert: false })
  webhookLegacyUrl: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt: Date;
}
