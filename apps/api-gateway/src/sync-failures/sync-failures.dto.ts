import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { SyncFailureView } from '@app/dead-letters';
import { queryInt } from '../http/request-validation.js';
import { IsAnyUuid } from '../http/text-rules.js';
import { lowercase, ProjectIdParamDto, uuidProperty } from '../projects/dto/project-params.dto.js';

export class SyncFailureParamsDto extends ProjectIdParamDto {
  @ApiProperty(uuidProperty)
  @Transform(lowercase)
  @IsAnyUuid()
  failureId: string;
}

export class ListSyncFailuresQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt({ message: 'limit must be a whole number from 1 to 100' })
  @Min(1)
  @Max(100)
  limit: number = 50;
}

/** A job that failed for good (a dead letter). */
export class SyncFailureResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'sync-page', description: 'The job: sync-page, sync-database, full-sync, run-event-handler' })
  job: string;

  @ApiProperty({ type: String, nullable: true, description: 'The page, database or delivery it was about' })
  entityId: string | null;

  @ApiProperty({ example: 'Notion failed to answer (503 service_unavailable: ...)' })
  reason: string;

  @ApiProperty({ description: 'Attempts made before it gave up' })
  attempts: number;

  @ApiProperty({ format: 'date-time' })
  failedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a retry was last asked for' })
  retryRequestedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the last retry was enqueued; a retry that fails again is a new failure',
  })
  retriedAt: string | null;

  static from(view: SyncFailureView): SyncFailureResponseDto {
    return {
      id: view.id,
      job: view.job,
      entityId: view.entityId,
      reason: view.reason,
      attempts: view.attempts,
      failedAt: view.failedAt.toISOString(),
      retryRequestedAt: view.retryRequestedAt?.toISOString() ?? null,
      retriedAt: view.retriedAt?.toISOString() ?? null,
    };
  }
}

export class SyncFailureListResponseDto {
  @ApiProperty({ type: [SyncFailureResponseDto], description: 'Newest first' })
  items: SyncFailureResponseDto[];
}
