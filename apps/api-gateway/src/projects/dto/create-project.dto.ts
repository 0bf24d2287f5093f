import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { normalizeNotionDatabaseId, normalizeProjectName, PROJECT_NAME_MAX } from '@app/projects';

/** 1 to 100 characters once trimmed. */
export function IsProjectName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isProjectName',
      validator: {
        validate: (value) => typeof value === 'string' && normalizeProjectName(value) !== undefined,
        defaultMessage: () =>
          `name must have 1 to ${PROJECT_NAME_MAX} characters (not counting surrounding spaces) and no control characters`,
      },
    },
    options,
  );
}

export function IsNotionDatabaseId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotionDatabaseId',
      validator: {
        validate: (value) => typeof value === 'string' && normalizeNotionDatabaseId(value) !== undefined,
        defaultMessage: () =>
          'notionDatabaseId must be a Notion database id (32 hex digits, with or without dashes) or its notion.so URL',
      },
    },
    options,
  );
}

/** Optional, but when present it must be valid: `null` is refused, not skipped. */
export const IsAbsentOr = () => ValidateIf((_object, value) => value !== undefined);

/** Secrets are strings of sane length; Notion's are far shorter than this. */
const SECRET_MAX = 500;

export class CreateProjectDto {
  @ApiProperty({ minLength: 1, maxLength: PROJECT_NAME_MAX, example: 'Team roadmap' })
  @IsProjectName()
  name: string;

  @ApiProperty({
    description: 'The Notion database: its id with or without dashes, or its URL. Stored as a dashed UUID.',
    example: 'https://www.notion.so/acme/Roadmap-2f26ee68df304251aad48ddc420cba3d',
  })
  @IsNotionDatabaseId()
  notionDatabaseId: string;

  @ApiProperty({
    description: 'Integration token that can read the database. Write-only: never returned.',
    writeOnly: true,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(SECRET_MAX)
  notionToken: string;

  @ApiPropertyOptional({
    description: "The webhook's verification token, if you already have it (the project is then verified). Write-only.",
    writeOnly: true,
  })
  @IsAbsentOr()
  @IsString()
  @IsNotEmpty()
  @MaxLength(SECRET_MAX)
  notionWebhookSecret?: string;
}
