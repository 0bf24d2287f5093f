import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { SELECTION_MAX } from '@app/mirror';
import { PageResponseDto } from './page-response.dto.js';

/** A query cursor holds the sort keys' values of a row: longer than a list's cursor. */
export const QUERY_CURSOR_MAX = 16_384;

/** `filter_properties`: repeated once per property (Notion's parameter and form). */
export class SelectValuesQueryDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: SELECTION_MAX,
    description:
      'Only these properties in `values` and `properties`: repeat the parameter once per property ' +
      '(`?filter_properties=Status&filter_properties=Due%20date`), each a property id or name (an id wins ' +
      'when a string is both; any character, URL-encoded). A name the project does not know is a 400.',
  })
  @IsOptional()
  // One value arrives as a string, several as a list.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray({ message: 'filter_properties must be property names or ids' })
  @ArrayMaxSize(SELECTION_MAX)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(1000, { each: true })
  filter_properties?: string[];
}

/**
 * `POST /projects/:id/pages/query`: Notion's query shape (`filter`, `sorts`,
 * `page_size`, `start_cursor`), plus `dataSourceId` and `includeDeleted`.
 * `filter` and `sorts` are checked against the project's schema by the
 * mirror (400 naming the offending part).
 */
export class QueryPagesDto {
  @ApiPropertyOptional({
    description:
      "Notion's filter: a property or timestamp condition, or `and`/`or` lists of them (two levels deep at most). " +
      'Semantics: docs/queries.md.',
    oneOf: [
      { $ref: '#/components/schemas/PropertyFilter' },
      { $ref: '#/components/schemas/TimestampFilter' },
      { $ref: '#/components/schemas/CompoundFilter' },
    ],
  })
  @IsOptional()
  @IsObject({ message: 'filter must be an object' })
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'array',
    maxItems: 10,
    items: { $ref: '#/components/schemas/QuerySort' },
    description: 'Earlier sorts first; empty values last; ties by page id. Default: last_edited_time descending.',
  })
  @IsOptional()
  @IsArray({ message: 'sorts must be a list' })
  sorts?: unknown[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 100 })
  @IsOptional()
  @IsInt({ message: 'page_size must be a whole number from 1 to 100' })
  @Min(1)
  @Max(100)
  page_size: number = 100;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: QUERY_CURSOR_MAX,
    description:
      'The nextCursor of the previous answer, with the same query. Bound to the query and the schema version.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(QUERY_CURSOR_MAX)
  start_cursor?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The data source to query; needed to filter or sort by property when the database has several',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  dataSourceId?: string;

  @ApiPropertyOptional({ default: false, description: 'Include tombstones (pages that left the database)' })
  @IsOptional()
  @IsBoolean({ message: 'includeDeleted must be true or false' })
  includeDeleted: boolean = false;
}

export class QueryPagesResponseDto {
  @ApiProperty({ type: [PageResponseDto] })
  items: PageResponseDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass back as `start_cursor` with the same query for the next page; null on the last',
  })
  nextCursor: string | null;
}
