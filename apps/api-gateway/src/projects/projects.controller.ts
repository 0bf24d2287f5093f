import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, type AuthUser } from '@app/auth';
import { AppConfig } from '@app/config';
import { ProjectNotFoundError, ProjectsService, type ProjectView } from '@app/projects';
import { ProjectSyncStore } from '@app/sync';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { PROJECTS_PATH, projectPath } from '../http/routes.js';
import { SyncRequestLimiter } from '../http/sync-request-limiter.js';
import { CreateProjectDto } from './dto/create-project.dto.js';
import { ListProjectsQueryDto, ProjectIdParamDto } from './dto/project-params.dto.js';
import { ProjectListResponseDto, ProjectResponseDto } from './dto/project-response.dto.js';
import { UpdateProjectDto } from './dto/update-project.dto.js';
import { WebhookSetupResponseDto } from './dto/webhook-setup-response.dto.js';
import { SyncRequests } from './sync-requests.js';

/** A user's bindings to Notion databases. Every route is scoped to the caller. */
@ApiTags('projects')
@ApiBearerAuth()
@ApiProblems(401, 429)
@Controller(PROJECTS_PATH)
export class ProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly config: AppConfig,
    private readonly syncRequests: SyncRequests,
    private readonly syncRequestLimiter: SyncRequestLimiter,
    private readonly syncState: ProjectSyncStore,
  ) {}

  @Post()
  @ApiCreatedResponse({
    type: ProjectResponseDto,
    description:
      'Created; `Location` names the new project, and `webhook.url` is its secret webhook URL. ' +
      '409 when the database is already bound, or the per-user project limit is reached.',
  })
  @ApiProblems(400, 409, 413)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateProjectDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProjectResponseDto> {
    const created = await this.projects.create(user.id, body);
    // The one answer besides GET .../webhook that carries the secret webhook URL.
    const [sync] = await this.syncViews([created.project]);
    if (!sync) throw new ProjectNotFoundError(); // deleted at once by a concurrent request
    const project = ProjectResponseDto.from(
      created.project,
      sync,
      this.config.gateway.publicBaseUrl,
      created.webhookKey,
    );
    // The row itself holds the request for the first full sync (the relay's safety net).
    this.syncRequests.notify(project.id, String(request.id));
    void reply.status(201).header('location', projectPath(project.id));
    return project;
  }

  @Get()
  @ApiOkResponse({ type: ProjectListResponseDto })
  @ApiProblems(400)
  async list(@CurrentUser() user: AuthUser, @Query() query: ListProjectsQueryDto): Promise<ProjectListResponseDto> {
    const page = await this.projects.list(user.id, query.limit, query.cursor);
    return { items: await this.toDtos(page.items), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: ProjectResponseDto })
  @ApiProblems(400, 404)
  async get(@CurrentUser() user: AuthUser, @Param() params: ProjectIdParamDto): Promise<ProjectResponseDto> {
    return this.toDto(await this.projects.get(user.id, params.id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ProjectResponseDto })
  @ApiProblems(400, 404, 413)
  async update(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Body() body: UpdateProjectDto,
    @Req() request: FastifyRequest,
  ): Promise<ProjectResponseDto> {
    const project = await this.toDto(await this.projects.update(user.id, params.id, body));
    // A new token, or bodies turned on, requested a full sync in the same transaction.
    if (body.notionToken !== undefined || body.syncContent === true) {
      this.syncRequests.notify(project.id, String(request.id));
    }
    return project;
  }

  @Post(':id/sync')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: ProjectResponseDto,
    description:
      'A full sync is requested. While one is waiting or running, the request is absorbed by it. ' +
      'Follow progress in `sync`.',
  })
  @ApiProblems(400, 404)
  async sync(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProjectResponseDto> {
    // Ownership first: another user's id is a 404 and never counts against the project's limit.
    await this.projects.get(user.id, params.id);
    await this.syncRequestLimiter.take(params.id, reply);
    // Durable before the answer: the event-worker's relay enqueues it if the event below is lost.
    await this.syncState.requestFullSync(params.id);
    const project = await this.toDto(await this.projects.get(user.id, params.id));
    this.syncRequests.notify(project.id, String(request.id));
    return project;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with everything that belongs to it' })
  @ApiProblems(400, 404)
  async remove(@CurrentUser() user: AuthUser, @Param() params: ProjectIdParamDto): Promise<void> {
    await this.projects.remove(user.id, params.id);
  }

  @Get(':id/webhook')
  @ApiOkResponse({ type: WebhookSetupResponseDto })
  @ApiProblems(400, 404)
  async webhook(@CurrentUser() user: AuthUser, @Param() params: ProjectIdParamDto): Promise<WebhookSetupResponseDto> {
    return this.toSetupDto(params.id, await this.projects.webhookSetup(user.id, params.id));
  }

  @Post(':id/webhook/confirm')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookSetupResponseDto, description: 'Marked verified: the token is in Notion' })
  @ApiProblems(400, 404, 409)
  async confirmWebhook(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
  ): Promise<WebhookSetupResponseDto> {
    return this.toSetupDto(params.id, await this.projects.confirmWebhook(user.id, params.id));
  }

  @Delete(':id/webhook')
  @ApiOkResponse({
    type: WebhookSetupResponseDto,
    description:
      'Reset to awaiting_handshake with a new secret URL (the old one stops working): read it with ' +
      'GET /projects/{id}/webhook and subscribe again in Notion',
  })
  @ApiProblems(400, 404)
  async resetWebhook(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
  ): Promise<WebhookSetupResponseDto> {
    return this.toSetupDto(params.id, await this.projects.resetWebhook(user.id, params.id));
  }

  private toSetupDto(id: string, setup: Parameters<typeof WebhookSetupResponseDto.from>[1]): WebhookSetupResponseDto {
    return WebhookSetupResponseDto.from(id, setup, this.config.gateway.publicBaseUrl);
  }

  /** Each project's sync state, read through libs/sync: a project deleted meanwhile has none. */
  private async syncViews(views: readonly ProjectView[]) {
    const sync = await this.syncState.views(views.map((v) => v.id));
    return views.map((v) => sync.get(v.id));
  }

  /** Projects with their sync state; one deleted since it was read is left out. */
  private async toDtos(views: readonly ProjectView[]): Promise<ProjectResponseDto[]> {
    const sync = await this.syncViews(views);
    return views.flatMap((view, i) => {
      const state = sync[i];
      return state ? [ProjectResponseDto.from(view, state, this.config.gateway.publicBaseUrl)] : [];
    });
  }

  private async toDto(view: ProjectView): Promise<ProjectResponseDto> {
    const [dto] = await this.toDtos([view]);
    if (!dto) throw new ProjectNotFoundError();
    return dto;
  }
}
