import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Row of `notion_pages` (migration CreateNotionPages1764576000000), mapped for
 * reads only. The table belongs to libs/sync: its writes are SQL in
 * `MirrorWriter` (a conditional upsert and the change-feed lock do not fit the
 * ORM) and `MirrorRetention`. Never leaves libs/mirror.
 */
@Entity({ name: 'notion_pages' })
export class NotionPageEntity {
  @PrimaryColumn({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @PrimaryColumn({ name: 'page_id', type: 'uuid' })
  pageId: string;

  @Column({ name: 'data_source_id', type: 'uuid', nullable: true })
  dataSourceId: string | null;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'jsonb' })
  properties: Record<string, unknown>;

  /** Plain values keyed by property id (docs/queries.md, "Values"). */
  @Column({ name: 'plain_values', type: 'jsonb' })
  plainValues: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Column({ type: 'jsonb', nullable: true })
  icon: unknown;

  @Column({ type: 'jsonb', nullable: true })
  cover: unknown;

  @Column({ name: 'created_time', type: 'timestamptz' })
  createdTime: Date;

  @Column({ name: 'last_edited_time', type: 'timestamptz' })
  lastEditedTime: Date;

  @Column({ name: 'in_trash', type: 'boolean' })
  inTrash: boolean;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'fetched_at', type: 'timestamptz' })
  fetchedAt: Date;

  @Column({ name: 'synced_at', type: 'timestamptz' })
  syncedAt: Date;

  // bigint: pg returns it as a string, which is how the API passes it on.
  @Column({ type: 'bigint', insert: false, update: false })
  version: string;

  /** The `version` at which the page's body last changed; null before its first fetch. */
  @Column({ name: 'content_version', type: 'bigint', nullable: true, insert: false, update: false })
  contentVersion: string | null;
}
