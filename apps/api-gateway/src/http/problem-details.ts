import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '@app/contracts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One field that failed validation. */
export class FieldErrorDto {
  @ApiProperty({ example: 'name', description: 'Dotted path of the field in the request' })
  field: string;

  @ApiProperty({ example: ['name must be shorter than or equal to 100 characters'], type: [String] })
  messages: string[];
}

/** RFC 9457 problem details: the body of every error response. */
export class ProblemDetailsDto {
  @ApiProperty({
    example: 'urn:notion-sync:problem:project-not-found',
    description: 'Problem type; `about:blank` for plain HTTP errors',
  })
  type: string;

  @ApiProperty({ example: 'Not Found' })
  title: string;

  @ApiProperty({ example: 404 })
  status: number;

  @ApiProperty({ example: 'No project with that id' })
  detail: string;

  @ApiPropertyOptional({ example: '/api/v1/projects/2f26ee68-df30-4251-aad4-8ddc420cba3d' })
  instance?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on validation errors (400)' })
  errors?: FieldErrorDto[];
}

/** The HTTP status of each domain error code: the one place that decides it. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.ProjectNotFound]: 404,
  [ErrorCode.ProjectAlreadyBound]: 409,
  [ErrorCode.InvalidCursor]: 400,
  [ErrorCode.InvalidNotionDatabaseId]: 400,
  [ErrorCode.WebhookAlreadyVerified]: 409,
  [ErrorCode.WebhookTokenMissing]: 409,
  [ErrorCode.PageNotFound]: 404,
  [ErrorCode.SyncFailureNotFound]: 404,
  [ErrorCode.ProjectQuotaExceeded]: 409,
  [ErrorCode.WebhookHandshakeLimited]: 429,
  [ErrorCode.ChangesExpired]: 410,
  [ErrorCode.InvalidQuery]: 400,
  [ErrorCode.PageContentNotFound]: 404,
  [ErrorCode.FileLinkInvalid]: 403,
  [ErrorCode.FileNotFound]: 404,
  [ErrorCode.FileUnavailable]: 503,
  [ErrorCode.StreamLimit]: 429,
};

export function problem(
  status: number,
  detail: string,
  extra: { code?: string; instance?: string; errors?: FieldErrorDto[] } = {},
): ProblemDetailsDto {
  return {
    type: extra.code ? `urn:notion-sync:problem:${extra.code}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(extra.instance && { instance: extra.instance }),
    ...(extra.errors && { errors: extra.errors }),
  };
}
