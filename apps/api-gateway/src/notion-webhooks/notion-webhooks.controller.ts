import { Controller, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { NOTION_SIGNATURE_HEADER } from '@app/contracts';
import { SkipRateLimit } from '@app/observability';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { NOTION_WEBHOOKS_PATH } from '../http/routes.js';
import { InboxUnavailableError, RETRY_AFTER_SECONDS, WebhookIntakeService } from './webhook-intake.service.js';

export class WebhookAckDto {
  @ApiProperty({ enum: ['handshake', 'accepted', 'duplicate'] })
  status: 'handshake' | 'accepted' | 'duplicate';
}

/**
 * Where Notion delivers a project's events. Public (Notion has no user token;
 * the HMAC signature authenticates it) and never rate limited: a 429 to Notion
 * loses events. The body arrives raw (see useJsonBodyParser).
 */
@ApiTags('webhooks')
@Public()
@SkipRateLimit()
@Controller(NOTION_WEBHOOKS_PATH)
export class NotionWebhooksController {
  constructor(private readonly intake: WebhookIntakeService) {}

  @Post(':projectId')
  @HttpCode(200)
  @ApiParam({ name: 'projectId', format: 'uuid' })
  @ApiHeader({
    name: NOTION_SIGNATURE_HEADER,
    description: '`sha256=<hex>`: HMAC-SHA256 of the raw body with the verification token',
    required: false,
  })
  @ApiConsumes('application/json')
  @ApiBody({
    description: "Notion's handshake (`{verification_token}`) or an event envelope",
    schema: { type: 'object' },
  })
  @ApiOkResponse({ type: WebhookAckDto, description: 'Stored durably (or a redelivery of a stored event)' })
  @ApiProblems(400, 401, 404, 409, 413, 503)
  async receive(
    @Param('projectId') projectId: string,
    @Headers(NOTION_SIGNATURE_HEADER) signature: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookAckDto> {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      const outcome = await this.intake.receive(projectId, raw, signature, String(request.id));
      return { status: outcome.kind === 'handshake' ? 'handshake' : outcome.duplicate ? 'duplicate' : 'accepted' };
    } catch (err) {
      if (err instanceof InboxUnavailableError) void reply.header('retry-after', RETRY_AFTER_SECONDS);
      throw err;
    }
  }
}
