import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WebhookStatus, type ProjectView } from '@app/projects';
import { SyncStatus, type ProjectSyncView } from '@app/sync';
import { notionWebhookUrl } from '../../http/routes.js';

export class ProjectWebhookDto {
  @ApiPropertyOptional({
    example: 'https://sync.example.com/api/v1/webhooks/notion/whk_q3Xy7tK0aZbW2mN9pR4sV6uE8gH1jL5c',
    description:
      'Where Notion must deliver events (paste it into the Notion integration webhook settings). A secret: ' +
      'present only in the create answer; GET /projects/{id}/webhook shows it again',
  })
  url?: string;

  @ApiProperty({ enum: WebhookStatus, enumName: 'WebhookStatus' })
  status: WebhookStatus;
}

export class ProjectSyncDto {
  @ApiProperty({
    enum: SyncStatus,
    enumName: 'SyncStatus',
    description:
      '`queued` from a full-sync request (creating the project, a new `notionToken`, POST /projects/{id}/sync) ' +
      'until its run starts; `syncing` while a full sync runs (a request meanwhile is `queued` once it ends); ' +
      '`idle` once a sync completed (`lastSyncedAt`: an empty database is `idle` with `pageCount` 0); ' +
      '`error` when the last sync failed for good (see `lastError`), a full sync that failed before its run ' +
      'started included, until the next request',
  })
  status: SyncStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a sync last completed' })
  lastSyncedAt: string | null;

  @ApiProperty({ description: 'Mirrored pages, not counting tombstones' })
  pageCount: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Notion rejected the integration token',
    description: 'Why the last sync failed, in words; null once a sync succeeds',
  })
  lastError: string | null;

  @ApiProperty({
    description:
      'Live pages whose body is still to be fetched (never fetched, or older than the last edit); ' +
      '0 with `syncContent` off',
  })
  contentPending: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Notion refused to give page content: the integration lacks the "Read content" capability',
    description: 'Why page bodies cannot be read; properties keep syncing. Null once a body is read',
  })
  contentError: string | null;
}

/** A project as clients see it. Secrets are write-only and never appear here. */
export class ProjectResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ format: 'uuid', description: 'Dashed lowercase UUID' })
  notionDatabaseId: string;

  @ApiProperty({ type: ProjectWebhookDto })
  webhook: ProjectWebhookDto;

  @ApiProperty({ description: "Whether each page's body is mirrored too (`GET .../pages/{pageId}/content`)" })
  syncContent: boolean;

  @ApiProperty({ type: ProjectSyncDto })
  sync: ProjectSyncDto;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  /** `webhookKey` only for the create answer: lists and reads never carry the secret URL. */
  static from(
    view: ProjectView,
    sync: ProjectSyncView,
    publicBaseUrl: string,
    webhookKey?: string,
  ): ProjectResponseDto {
    return {
      id: view.id,
      name: view.name,
      notionDatabaseId: view.notionDatabaseId,
      webhook: {
        ...(webhookKey !== undefined && { url: notionWebhookUrl(publicBaseUrl, webhookKey) }),
        status: view.webhookStatus,
      },
      syncContent: view.syncContent,
      sync: {
        status: sync.status,
        lastSyncedAt: sync.lastSyncedAt?.toISOString() ?? null,
        pageCount: sync.pageCount,
        lastError: sync.lastError,
        contentPending: sync.contentPending,
        contentError: sync.contentError,
      },
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}

export class ProjectListResponseDto {
  @ApiProperty({ type: [ProjectResponseDto] })
  items: ProjectResponseDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}
