import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { isTitleSearch, TITLE_SEARCH_MAX } from '@app/mirror';
import { normalizeNotionId, NOTION_ID_PATTERN } from '@app/notion';
import { queryInt } from '../../http/request-validation.js';
import { SelectValuesQueryDto } from './page-query.dto.js';
import { decimalAtMostPattern, IsChars, UUID_PATTERN } from '../../http/text-rules.js';
import { CURSOR_MAX, cursorProperty, ProjectIdParamDto } from '../../projects/dto/project-params.dto.js';

/** Postgres bigint, the type of `version`. */
const BIGINT_MAX = 9223372036854775807n;
/** A version: 1 to 19 decimal digits (leading zeros allowed) worth at most BIGINT_MAX. */
export const VERSION_PATTERN = decimalAtMostPattern(BIGINT_MAX);

export class PageParamsDto extends ProjectIdParamDto {
  @ApiProperty({
    description: 'The Notion page id, with or without dashes (answers use the dashed lowercase form)',
    pattern: NOTION_ID_PATTERN.source,
    example: '1c4f9e2a-7b3d-4e8f-9a01-23456789abcd',
  })
  // Normalized before validation; what is not a page id stays as given and fails below.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (normalizeNotionId(value) ?? value) : value,
  )
  @ValidateBy({
    name: 'isNotionPageId',
    validator: {
      validate: (value) => typeof value === 'string' && UUID_PATTERN.test(value),
      defaultMessage: () => 'pageId must be a Notion page id (32 hex digits, with or without dashes)',
    },
  })
  pageId: string;
}

export class ListPagesQueryDto extends SelectValuesQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt({ message: 'limit must be a whole number from 1 to 100' })
  @Min(1)
  @Max(100)
  limit: number = 50;

  @ApiPropertyOptional({
    ...cursorProperty,
    description: 'The nextCursor of the previous page, unchanged. Valid only for the project it came from.',
  })
  @IsOptional()
  @IsChars(1, CURSOR_MAX)
  cursor?: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Include pages that left the database (tombstones, with `deletedAt` set)',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'includeDeleted must be true or false' })
  includeDeleted: boolean = false;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: TITLE_SEARCH_MAX,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    description:
      'Only pages whose title contains this text (case-insensitive; `%`, `_` and `\\` match literally). ' +
      `1 to ${TITLE_SEARCH_MAX} characters (code points), no control characters.`,
    example: 'roadmap',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isTitleSearch',
    validator: {
      validate: (value) => typeof value === 'string' && isTitleSearch(value),
      defaultMessage: () => `q must have 1 to ${TITLE_SEARCH_MAX} characters and no control characters`,
    },
  })
  q?: string;
}

/** A position in the change feed (`/changes` and its stream). */
export class ChangesPositionQueryDto extends SelectValuesQueryDto {
  @ApiPropertyOptional({
    type: String,
    pattern: VERSION_PATTERN.source,
    default: '0',
    description: `A version: the \`nextAfter\` of the previous answer, or 0 to start from the beginning (0 to ${BIGINT_MAX})`,
    example: '0',
  })
  @IsOptional()
  // Canonical decimal ("007" is 7), so nextAfter echoes it in the same form.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && VERSION_PATTERN.test(value) ? BigInt(value).toString() : value,
  )
  @ValidateBy({
    name: 'isVersion',
    validator: {
      validate: (value) => typeof value === 'string' && VERSION_PATTERN.test(value),
      defaultMessage: () => `after must be a version: a whole number from 0 to ${BIGINT_MAX}`,
    },
  })
  after: string = '0';
}

export class ListChangesQueryDto extends ChangesPositionQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt({ message: 'limit must be a whole number from 1 to 1000' })
  @Min(1)
  @Max(1000)
  limit: number = 100;
}
