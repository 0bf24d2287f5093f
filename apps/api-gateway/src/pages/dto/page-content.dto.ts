import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { PageContentView } from '@app/mirror';

/** The formats a page's body is served in. A wire format. */
export const CONTENT_FORMATS = ['markdown', 'html'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

export class PageContentQueryDto {
  @ApiPropertyOptional({
    enum: CONTENT_FORMATS,
    default: 'markdown',
    description:
      "`markdown`: Notion's Markdown as its API gives it. `html`: rendered from it (markdown-it) and sanitized " +
      "with an allowlist: raw HTML escaped, links and images limited to http(s) (and mailto links), Notion's " +
      'own tags mapped to plain elements.',
  })
  @IsOptional()
  @IsIn(CONTENT_FORMATS, { message: 'format must be markdown or html' })
  format: ContentFormat = 'markdown';
}

export class UnknownBlockDto {
  @ApiProperty({ format: 'uuid', description: 'The block Notion could not put in the Markdown' })
  id: string;

  @ApiProperty({
    enum: ['unshared', 'unsupported', 'truncated'],
    description:
      '`unshared`: not shared with the integration (Notion answered 404); `unsupported`: Notion cannot render it ' +
      'through its API (400); `truncated`: left out because the body reached its size cap or request budget',
  })
  reason: string;
}

/** A page's body. */
export class PageContentResponseDto {
  @ApiPropertyOptional({
    description:
      "Notion's Markdown (with `format=markdown`); Notion-hosted images and files are links of ours that do not expire",
  })
  markdown?: string;

  @ApiPropertyOptional({ description: 'Sanitized HTML (with `format=html`), safe to insert into a page' })
  html?: string;

  @ApiProperty({ description: 'The body is incomplete (see `truncatedReason`)' })
  truncated: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['size_cap', 'too_many_parts'],
    description:
      "`size_cap`: longer than the operator's CONTENT_MAX_BYTES, kept up to it; `too_many_parts`: Notion cut it " +
      'into more parts than one fetch asks for',
  })
  truncatedReason: string | null;

  @ApiProperty({ type: [String], description: 'Ids of the blocks missing from the body (see `unknownBlocks`)' })
  unknownBlockIds: string[];

  @ApiProperty({ type: [UnknownBlockDto], description: 'The blocks missing from the body, and why' })
  unknownBlocks: UnknownBlockDto[];

  @ApiProperty({ format: 'date-time', description: 'When the fetch this body came from started' })
  fetchedAt: string;

  @ApiProperty({
    pattern: '^\\d+$',
    example: '1042',
    description: "The version at which the body last changed: the page rows' `contentVersion`",
  })
  version: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why Notion gave no body for this page (then `markdown` is empty)',
  })
  error: string | null;

  static from(view: PageContentView, format: ContentFormat, html?: string): PageContentResponseDto {
    return {
      ...(format === 'markdown' ? { markdown: view.markdown } : { html: html ?? '' }),
      truncated: view.truncated,
      truncatedReason: view.truncatedReason,
      unknownBlockIds: view.unknownBlocks.map((b) => b.id),
      unknownBlocks: view.unknownBlocks.map((b) => ({ id: b.id, reason: b.reason })),
      fetchedAt: view.fetchedAt.toISOString(),
      version: view.version,
      error: view.error,
    };
  }
}
