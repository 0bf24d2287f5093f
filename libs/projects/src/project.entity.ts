import { Column, Entity, PrimaryColumn } from 'typeorm';
import { SyncStatus, WebhookStatus } from './project.js';
import type { FullSyncRun } from './project-sync.js';

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

  // Sync state (migration CreateNotionPages1764576000000): written by the workers.
  @Column({ name: 'sync_status', type: 'text', insert: false })
  syncStatus: SyncStatus;

  @Column({ name: 'sync_last_synced_at', type: 'timestamptz', nullable: true, insert: false })
  syncLastSyncedAt: Date | null;

  @Column({ name: 'sync_page_count', type: 'integer', insert: false })
  syncPageCount: number;

  @Column({ name: 'sync_last_error', type: 'text', nullable: true, insert: false })
  syncLastError: string | null;

  /** A full sync is wanted from this moment (defaults to the row's creation). */
  @Column({ name: 'sync_requested_at', type: 'timestamptz', nullable: true, insert: false })
  syncRequestedAt: Date | null;

  /** The request the event-worker last turned into a job. */
  @Column({ name: 'sync_enqueued_at', type: 'timestamptz', nullable: true, insert: false })
  syncEnqueuedAt: Date | null;

  /** Incremental syncs ask Notion for pages edited since this moment (less an overlap). */
  @Column({ name: 'sync_watermark', type: 'timestamptz', nullable: true, insert: false })
  syncWatermark: Date | null;

  /** The running (or interrupted) full sync: where to resume. */
  @Column({ name: 'sync_run', type: 'jsonb', nullable: true, insert: false })
  syncRun: FullSyncRun | null;

  /** Data source id -> fingerprint of its schema (property ids, names, types) as last synced. */
  @Column({ name: 'sync_schemas', type: 'jsonb', nullable: true, insert: false })
  syncSchemas: Record<string, string> | null;
}
