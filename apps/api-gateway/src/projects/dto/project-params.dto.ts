import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { queryInt } from '../../http/request-validation.js';
import { IsAnyUuid, IsChars, UUID_PATTERN } from '../../http/text-rules.js';

/** The OpenAPI schema of a UUID path parameter: what `IsAnyUuid` accepts. */
export const uuidProperty = { format: 'uuid', pattern: UUID_PATTERN.source } as const;

/** UUIDs in the lowercase form the database prints, so ids compare as text too (cursor scopes). */
export const lowercase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toLowerCase() : value;

export class ProjectIdParamDto {
  @ApiProperty(uuidProperty)
  @Transform(lowercase)
  @IsAnyUuid()
  id: string;
}

/** Cursors are `<base64url>.<base64url>`; anything else answers 400 `invalid-cursor`. */
export const CURSOR_MAX = 500;
export const cursorProperty = {
  minLength: 1,
  maxLength: CURSOR_MAX,
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
} as const;

export class ListProjectsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt({ message: 'limit must be a whole number from 1 to 100' })
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ ...cursorProperty, description: 'The nextCursor of the previous page, unchanged' })
  @IsOptional()
  @IsChars(1, CURSOR_MAX)
  cursor?: string;
}
