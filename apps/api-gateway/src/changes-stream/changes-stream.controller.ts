import { BadRequestException, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AcceptsStreamTicket, CurrentUser, StreamTickets, type AuthUser } from '@app/auth';
import { ProjectsService } from '@app/projects';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details.js';
import { PROJECTS_PATH } from '../http/routes.js';
import { VERSION_PATTERN } from '../pages/dto/page-params.dto.js';
import { PagesService } from '../pages/pages.service.js';
import { ProjectIdParamDto } from '../projects/dto/project-params.dto.js';
import { ChangesStreams } from './changes-streams.js';
import { ChangesStreamQueryDto, StreamTicketResponseDto } from './dto/changes-stream.dto.js';

const problemSchema = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } };

/** The change feed pushed as Server-Sent Events, and the tickets that open it from a browser. */
@ApiTags('pages')
@ApiBearerAuth()
@ApiProblems(401, 429)
@Controller(PROJECTS_PATH)
export class ChangesStreamController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly pages: PagesService,
    private readonly streams: ChangesStreams,
    private readonly tickets: StreamTickets,
  ) {}

  @Post(':id/stream-tickets')
  @ApiOperation({
    summary: 'A ticket that opens the change stream from a browser',
    description:
      "A browser's `EventSource` cannot send an `Authorization` header: trade the bearer token for a ticket " +
      'and put it in the stream URL (`?ticket=`). Signed, for this project and its owner only, accepted by the ' +
      'stream route only, valid about a minute to open a stream (an open stream outlives it). When a reconnect ' +
      'is refused (401: the ticket expired), get a new ticket and open the stream again with `?after=` the last ' +
      'event id you saw.',
  })
  @ApiCreatedResponse({ type: StreamTicketResponseDto })
  @ApiProblems(400, 404)
  async ticket(@CurrentUser() user: AuthUser, @Param() params: ProjectIdParamDto): Promise<StreamTicketResponseDto> {
    await this.projects.get(user.id, params.id);
    const { ticket, expiresAt } = this.tickets.issue({ ownerId: user.id, projectId: params.id });
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  @Get(':id/changes/stream')
  @AcceptsStreamTicket()
  @ApiOperation({
    summary: 'The change feed, live: Server-Sent Events',
    description:
      'Every row of the change feed (`/changes`, same shape) as an event `change` whose `id` is its version: ' +
      'first the rows after the position (the `Last-Event-ID` header, else `after`, else 0), then each new ' +
      'row as it lands in the mirror, with no gap and no duplicate between the two; versions strictly ' +
      'increase. An event `live` (data `{"version"}`) marks the end of the replay. Compacted like `/changes`: ' +
      'a page edited twice quickly may arrive once, at its latest version. A comment line comes every 15 s ' +
      'while idle. The server ends a stream with an event `end` (data `{"reason"}`) and a `retry` hint when it ' +
      'shuts down, and cuts one whose client does not read: reconnect with `Last-Event-ID` (an `EventSource` ' +
      'does it on its own). Authenticate with a bearer header, or `?ticket=` (see stream-tickets). ' +
      '410 `changes-expired` before the stream starts when the position is below the purge watermark; ' +
      '429 `stream-limit` when the user holds too many open streams.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: the stream resumes after it (wins over `after`)',
  })
  @ApiResponse({
    status: 200,
    description: 'A `text/event-stream` of `change` events (each `data` a `/changes` row), `live` and `end`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems(400, 404)
  @ApiResponse({
    status: 410,
    description: 'Deletions after the position were purged (`changes-expired`): start again from 0',
    content: problemSchema,
  })
  async stream(
    @CurrentUser() user: AuthUser,
    @Param() params: ProjectIdParamDto,
    @Query() query: ChangesStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const asked = lastEventId === undefined || lastEventId === '' ? query.after : version(lastEventId);
    const after = await this.pages.openChanges(user.id, params.id, asked, query.filter_properties);
    await this.streams.open(user.id, params.id, after, query.filter_properties, reply);
  }
}

/** `Last-Event-ID` as a canonical version, or 400. */
function version(header: string): string {
  if (!VERSION_PATTERN.test(header)) {
    throw new BadRequestException('Last-Event-ID must be a version: the id of an event of this stream');
  }
  return BigInt(header).toString();
}
