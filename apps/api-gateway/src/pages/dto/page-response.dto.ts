import { ApiProperty } from '@nestjs/swagger';
import type { MirrorPageView } from '@app/mirror';

/** A mirrored Notion page as clients see it. */
export class PageResponseDto {
  @ApiProperty({ format: 'uuid', description: 'The Notion page id, dashed lowercase' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The data source the page belongs to' })
  dataSourceId: string | null;

  @ApiProperty({ description: 'The title property as plain text' })
  title: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      "Notion's property values, keyed by property name, exactly as Notion's API returns them, except that a " +
      "Notion-hosted file's `url` is a link of ours that never expires (`/api/v1/files/...`, no `expiry_time`)",
  })
  properties: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Plain values keyed by property name: strings, numbers, booleans, option names, lists, ' +
      '`{start, end, timeZone}` dates (docs/queries.md, "Values"); a type the mirror does not know comes raw',
    example: {
      Name: 'Launch post',
      Status: 'Published',
      Tags: ['news'],
      Due: { start: '2026-01-31', end: null, timeZone: null },
    },
  })
  values: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true, description: 'The page in Notion' })
  url: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      "Notion's icon object (emoji, external or file), as Notion returns it; a Notion-hosted file's `url` " +
      'is a link of ours that never expires (`/api/v1/files/...`), with no `expiry_time`',
  })
  icon: unknown;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "Notion's cover object (external or file), as `icon`",
  })
  cover: unknown;

  @ApiProperty({ format: 'date-time' })
  createdTime: string;

  @ApiProperty({ format: 'date-time', description: 'As Notion reports it: rounded to the minute' })
  lastEditedTime: string;

  @ApiProperty({ description: "In Notion's trash (then `deletedAt` is set too)" })
  inTrash: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the mirror saw the page leave the database (trashed, deleted, moved or unshared); null while it is there',
  })
  deletedAt: string | null;

  @ApiProperty({
    pattern: '^\\d+$',
    example: '1042',
    description: "Change-feed position of this row's latest change (a 64-bit integer, as a string)",
  })
  version: string;

  @ApiProperty({
    type: String,
    nullable: true,
    pattern: '^\\d+$',
    example: '1040',
    description:
      "The version at which the page's body last changed: fetch `.../content` again when it moves; " +
      'null until the body is fetched (or when the project does not mirror bodies)',
  })
  contentVersion: string | null;

  @ApiProperty({
    format: 'date-time',
    description: 'When a fetch from Notion last confirmed this state (it can advance without a new version)',
  })
  syncedAt: string;

  static from(view: MirrorPageView): PageResponseDto {
    return {
      id: view.id,
      dataSourceId: view.dataSourceId,
      title: view.title,
      properties: view.properties,
      values: view.values,
      url: view.url,
      icon: view.icon ?? null,
      cover: view.cover ?? null,
      createdTime: view.createdTime.toISOString(),
      lastEditedTime: view.lastEditedTime.toISOString(),
      inTrash: view.inTrash,
      deletedAt: view.deletedAt?.toISOString() ?? null,
      version: view.version,
      contentVersion: view.contentVersion,
      syncedAt: view.syncedAt.toISOString(),
    };
  }
}

export class PageListResponseDto {
  @ApiProperty({ type: [PageResponseDto] })
  items: PageResponseDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

export class PageChangesResponseDto {
  @ApiProperty({
    type: [PageResponseDto],
    description: 'Rows changed after `after`, in `version` order; deletions are rows with `deletedAt` set',
  })
  items: PageResponseDto[];

  @ApiProperty({
    pattern: '^\\d+$',
    example: '1042',
    description: 'Ask from here next: the last returned version, or `after` unchanged when nothing changed',
  })
  nextAfter: string;

  @ApiProperty({ description: 'More changes follow: ask again from `nextAfter` at once' })
  hasMore: boolean;
}
