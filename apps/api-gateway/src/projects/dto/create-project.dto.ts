import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { normalizeNotionDatabaseId } from '@app/notion';
import { normalizeProjectName, PROJECT_NAME_MAX } from '@app/projects';
import { charCount, IsNotionSecret, NOTION_SECRET_MAX, NOTION_SECRET_PATTERN } from '../../http/text-rules.js';

/**
 * Characters no project name may hold (the rest of the rules, in
 * `normalizeProjectName`, cannot be written as a portable pattern): control
 * characters, line and paragraph separators, bidi embeddings, overrides and isolates.
 */
const NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]+$';

const NAME_RULES =
  `1 to ${PROJECT_NAME_MAX} characters (code points), surrounding spaces trimmed, at least one visible ` +
  '(a letter, digit, punctuation mark or symbol); no control characters, line or paragraph separators, ' +
  'bidi embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069), or lone surrogates.';

/** The OpenAPI description of a project name: the rules `normalizeProjectName` applies. */
export const projectNameProperty = {
  minLength: 1,
  maxLength: PROJECT_NAME_MAX,
  pattern: NAME_PATTERN,
  description: NAME_RULES,
  example: 'Team roadmap',
} as const;

/** See `normalizeProjectName`. */
export function IsProjectName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isProjectName',
      validator: {
        validate: (value) => typeof value === 'string' && normalizeProjectName(value) !== undefined,
        defaultMessage: () => `name must have ${NAME_RULES}`,
      },
    },
    options,
  );
}

/** Longest database reference accepted: a Notion URL with a view id is about 100 characters. */
const DATABASE_REF_MAX = 2048;

export function IsNotionDatabaseId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotionDatabaseId',
      validator: {
        validate: (value) =>
          typeof value === 'string' &&
          charCount(value) <= DATABASE_REF_MAX &&
          normalizeNotionDatabaseId(value) !== undefined,
        defaultMessage: () =>
          'notionDatabaseId must be a Notion database id (32 hex digits, with or without dashes) or its notion.so URL',
      },
    },
    options,
  );
}

/** Optional, but when present it must be valid: `null` is refused, not skipped. */
export const IsAbsentOr = () => ValidateIf((_object, value) => value !== undefined);

/** The OpenAPI schema of a Notion secret: what `IsNotionSecret` accepts. */
export const notionSecretProperty = {
  minLength: 1,
  maxLength: NOTION_SECRET_MAX,
  pattern: NOTION_SECRET_PATTERN.source,
  writeOnly: true,
} as const;

/** `syncContent` (create and update): whether page bodies are mirrored. */
export const IsSyncContent = (extra: { default?: boolean } = {}) =>
  applyDecorators(
    ApiPropertyOptional({
      type: Boolean,
      ...extra,
      description:
        "Mirror each page's body (Markdown, `GET .../pages/{pageId}/content`) besides its properties. " +
        'Turning it on fetches the missing bodies in the background (`sync.contentPending`).',
    }),
    IsAbsentOr(),
    IsBoolean({ message: 'syncContent must be true or false' }),
  );

export class CreateProjectDto {
  @ApiProperty(projectNameProperty)
  @IsProjectName()
  name: string;

  @ApiProperty({
    description: 'The Notion database: its id with or without dashes, or its URL. Stored as a dashed UUID.',
    minLength: 32,
    maxLength: DATABASE_REF_MAX,
    example: 'https://www.notion.so/acme/Roadmap-2f26ee68df304251aad48ddc420cba3d',
  })
  @IsNotionDatabaseId()
  notionDatabaseId: string;

  @ApiProperty({
    ...notionSecretProperty,
    description:
      'Integration token that can read the database (`ntn_…` or `secret_…`). Write-only: never returned. ' +
      'Characters of an RFC 6750 bearer token only (it is sent in an HTTP header).',
  })
  @IsNotionSecret()
  notionToken: string;

  @ApiPropertyOptional({
    ...notionSecretProperty,
    description: "The webhook's verification token, if you already have it (the project is then verified). Write-only.",
  })
  @IsAbsentOr()
  @IsNotionSecret()
  notionWebhookSecret?: string;

  @IsSyncContent({ default: true })
  syncContent?: boolean;
}
