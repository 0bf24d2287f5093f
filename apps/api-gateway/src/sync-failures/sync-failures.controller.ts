import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '@app/auth';
import { DeadLetters, SyncFailureNotFoundError } from '@app/dead-letters';
import { ProjectsService } from '@app/projects';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { PROJECTS_PATH } from '../http/routes.js';
import { ProjectIdParamDto } from '../projects/dto/project-params.dto.js';
import {
  ListSyncFailuresQueryDto,
  SyncFailureListResponseDto,
  SyncFailureParamsDto,
  SyncFailureResponseDto,
} from './sync-failures.dto.js';

/** Dead letters: what failed for good in a project's sync, for its owner to see and retry. */
@ApiTags('sync')
@ApiBearerAuth()
@ApiProblems(401, 429)
@Controller(PROJECTS_PATH)
export class SyncFailuresController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly deadLetters: DeadLetters,
  ) {}

  @Get(':id/sync/failures')
  @ApiOperation({ summary: 'Jobs of this project that failed for good, newest first' })
  @ApiOkResponse({ type: SyncFailureListResponseDto })
  @ApiProblems(400, 404)
  async list(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Query() query: ListSyncFailuresQueryDto,
  ): Promise<SyncFailureListResponseDto> {
    await this.projects.get(user.id, params.id);
    const items = await this.deadLetters.list(params.id, query.limit);
    return { items: items.map((f) => SyncFailureResponseDto.from(f)) };
  }

  @Post(':id/sync/failures/:failureId/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Retry a failed job',
    description:
      'The retry is recorded at once and carried out by the event-worker within seconds; its ' +
      'deliveries are in flight again. A retry that fails again appears as a new failure.',
  })
  @ApiAcceptedResponse({ type: SyncFailureResponseDto })
  @ApiProblems(400, 404)
  async retry(@CurrentUser() user: AuthUser, @Param() params: SyncFailureParamsDto): Promise<SyncFailureResponseDto> {
    await this.projects.get(user.id, params.id);
    const failure = await this.deadLetters.requestRetry(params.id, params.failureId);
    if (!failure) throw new SyncFailureNotFoundError();
    return SyncFailureResponseDto.from(failure);
  }
}
