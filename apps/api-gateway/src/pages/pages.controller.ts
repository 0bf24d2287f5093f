import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, type AuthUser } from '@app/auth';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { matchesIfNoneMatch } from '../http/conditional.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details.js';
import { PROJECTS_PATH } from '../http/routes.js';
import { ProjectIdParamDto } from '../projects/dto/project-params.dto.js';
import { ListChangesQueryDto, ListPagesQueryDto, PageParamsDto } from './dto/page-params.dto.js';
import { QueryPagesDto, QueryPagesResponseDto, SelectValuesQueryDto } from './dto/page-query.dto.js';
import { ProjectSchemaResponseDto } from './dto/schema-response.dto.js';
import { PageChangesResponseDto, PageListResponseDto, PageResponseDto } from './dto/page-response.dto.js';
import { PageContentQueryDto, PageContentResponseDto } from './dto/page-content.dto.js';
import { PagesService } from './pages.service.js';

/** The mirrored pages of a project, read-only, for its owner. */
@ApiTags('pages')
@ApiBearerAuth()
@ApiProblems(401, 429)
@Controller(PROJECTS_PATH)
export class PagesController {
  constructor(private readonly pages: PagesService) {}

  @Get(':id/pages')
  @ApiOperation({
    summary: 'List mirrored pages, newest edit first',
    description:
      'Keyset pagination: pass `nextCursor` back as `cursor`, with the same filters, until it is null. ' +
      'A cursor belongs to the project it came from (400 `invalid-cursor` elsewhere). ' +
      'A page edited while you page moves to the front, so a listing is a view, not a copy: ' +
      'to keep an exact local copy, use the change feed (`/changes`).',
  })
  @ApiOkResponse({ type: PageListResponseDto })
  @ApiProblems(400, 404)
  async list(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Query() query: ListPagesQueryDto,
  ): Promise<PageListResponseDto> {
    const list = await this.pages.list(user.id, params.id, { ...query, select: query.filter_properties });
    return { items: list.items.map((p) => PageResponseDto.from(p)), nextCursor: list.nextCursor };
  }

  @Get(':id/pages/:pageId')
  @ApiOperation({
    summary: 'One mirrored page, with its properties',
    description:
      'A page that left the database is still returned, with `deletedAt` set. ' +
      '404 `page-not-found` when the project has never mirrored the page; 400 when `pageId` is not a page id.',
  })
  @ApiOkResponse({ type: PageResponseDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentUser() user: AuthUser,
    @Param() params: PageParamsDto,
    @Query() query: SelectValuesQueryDto,
  ): Promise<PageResponseDto> {
    return PageResponseDto.from(await this.pages.get(user.id, params.id, params.pageId, query.filter_properties));
  }

  @Get(':id/pages/:pageId/content')
  @ApiOperation({
    summary: "A page's body, as Markdown or sanitized HTML",
    description:
      "Fetched with Notion's `GET /v1/pages/{id}/markdown` and kept current by `page.content_updated` events " +
      '(and a background backfill). A body Notion truncated is completed by fetching the blocks it left out; ' +
      'what cannot be completed is listed in `unknownBlocks` with the reason. Notion-hosted images and files ' +
      'are links of ours (`/api/v1/files/...`) that never expire and work in `<img src>` without a token. ' +
      '`ETag` is the body version (and format): send it back in `If-None-Match` for a 304. Page rows carry ' +
      '`contentVersion`: fetch the body again when it moves. 404 `page-content-not-found` while the body is ' +
      'not fetched yet, or when the project does not mirror bodies (`syncContent` false).',
  })
  @ApiOkResponse({ type: PageContentResponseDto, headers: { ETag: { schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Not modified: `If-None-Match` holds the current `ETag`' })
  @ApiProblems(400, 404)
  async content(
    @CurrentUser() user: AuthUser,
    @Param() params: PageParamsDto,
    @Query() query: PageContentQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PageContentResponseDto | undefined> {
    const body = await this.pages.content(user.id, params.id, params.pageId, query.format);
    void reply.header('etag', body.etag).header('cache-control', 'private, no-cache');
    if (matchesIfNoneMatch(request.headers['if-none-match'], body.etag)) {
      void reply.status(304);
      return undefined;
    }
    return PageContentResponseDto.from(body.view, query.format, await body.html());
  }

  @Post(':id/pages/query')
  @HttpCode(200)
  @ApiOperation({
    summary: "Query mirrored pages in Notion's filter and sort language",
    description:
      "The body is the shape of Notion's `POST /v1/data_sources/{id}/query` (`filter`, `sorts`, `page_size`, " +
      '`start_cursor`), plus `dataSourceId` and `includeDeleted`; properties are named by name or id. ' +
      'Semantics (case folding, time zones, empty values, sort orders): docs/queries.md. ' +
      'Pass `nextCursor` back as `start_cursor` with the same query until it is null: rows that do not change ' +
      'while you page appear exactly once. A filter or sort the schema does not fit answers 400 ' +
      "`invalid-query` with the offending part's path in `errors`, and runs nothing.",
  })
  @ApiOkResponse({ type: QueryPagesResponseDto })
  @ApiProblems(400, 404)
  async query(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Query() select: SelectValuesQueryDto,
    @Body() body: QueryPagesDto,
  ): Promise<QueryPagesResponseDto> {
    const list = await this.pages.queryPages(user.id, params.id, {
      filter: body.filter,
      sorts: body.sorts,
      pageSize: body.page_size,
      cursor: body.start_cursor,
      dataSourceId: body.dataSourceId,
      includeDeleted: body.includeDeleted,
      select: select.filter_properties,
    });
    return { items: list.items.map((p) => PageResponseDto.from(p)), nextCursor: list.nextCursor };
  }

  @Get(':id/schema')
  @ApiOperation({
    summary: "The schema of the project's data sources",
    description:
      'Each data source with its properties (id, name, type, options in order, relation targets, number ' +
      'formats, formula and rollup result types) and a `version` that changes whenever the schema does. ' +
      "Kept current by syncs and by Notion's schema events.",
  })
  @ApiOkResponse({ type: ProjectSchemaResponseDto })
  @ApiProblems(400, 404)
  async schema(@CurrentUser() user: AuthUser, @Param() params: ProjectIdParamDto): Promise<ProjectSchemaResponseDto> {
    return ProjectSchemaResponseDto.from(await this.pages.schema(user.id, params.id));
  }

  @Get(':id/changes')
  @ApiOperation({
    summary: 'The change feed: every row written after a version',
    description:
      'Keeps a local copy exact. Start with `after=0`; apply `items` in order (replace the page by `id`, ' +
      'or remove it when `deletedAt` is set: deletions are rows, never gaps); ask again from `nextAfter` ' +
      'while `hasMore` is true; then poll from `nextAfter`. ' +
      'The feed is a compacted log: each row appears once, at its latest version, so several writes ' +
      'between two reads arrive as one. Versions of a project become visible in increasing order, ' +
      'so nothing written after `nextAfter` (a late sync, a deletion) is ever missed. ' +
      'Deleted pages stay in the feed for a retention horizon (30 days unless the operator changed it); ' +
      'a client whose `after` is older than a purged deletion gets 410 `changes-expired`, ' +
      'and must discard its copy and start again from `after=0` (always valid).',
  })
  @ApiOkResponse({ type: PageChangesResponseDto })
  @ApiProblems(400, 404)
  @ApiResponse({
    status: 410,
    description: 'Deletions after `after` were purged (`changes-expired`): start again from `after=0`',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
  })
  async changes(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Query() query: ListChangesQueryDto,
  ): Promise<PageChangesResponseDto> {
    const feed = await this.pages.changes(user.id, params.id, query.after, query.limit, query.filter_properties);
    return {
      items: feed.items.map((p) => PageResponseDto.from(p)),
      nextAfter: feed.nextAfter,
      hasMore: feed.hasMore,
    };
  }
}
