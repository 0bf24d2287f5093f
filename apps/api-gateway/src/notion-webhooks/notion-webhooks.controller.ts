import { applyDecorators, Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { NOTION_SIGNATURE_HEADER } from '@app/contracts';
import { SkipRateLimit } from '@app/observability';
import { ApiProblem, problemResponse, RETRY_AFTER_HEADER } from '../http/api-problems.decorator.js';
import { NOTION_WEBHOOKS_PATH } from '../http/routes.js';
import { WebhookAdmission } from './webhook-admission.js';
import { WebhookIntakeService } from './webhook-intake.service.js';

export class WebhookAckDto {
  @ApiProperty({ enum: ['handshake', 'accepted', 'duplicate'] })
  status: 'handshake' | 'accepted' | 'duplicate';
}

/** What each error status of the intake means to the caller (Notion retries every non-200). */
const PROBLEMS: Record<number, string> = {
  400: 'A correctly signed body that is malformed: not JSON, nested too deep, or an envelope without a printable `id` and `type`, an ISO `timestamp` a database can hold, or (for a page, database or data source entity) a Notion id as `entity.id`. Nothing was stored.',
  401: 'A body that is neither signed with the stored verification token (`X-Notion-Signature`) nor a handshake. Nothing was stored.',
  404: 'No webhook at this URL. Every unknown URL answers the same.',
  409: 'A handshake on a webhook that is already verified: reset it (DELETE /projects/{id}/webhook) to subscribe again.',
  413: 'The body is larger than WEBHOOK_BODY_LIMIT_BYTES.',
  414: 'The key is longer than any webhook key (see 404).',
  415: 'The body is not `application/json`.',
  429: 'Too many handshakes on this webhook, or too many failed requests from this client: wait for `Retry-After` seconds. Correctly signed events are never limited.',
  503: 'The event could not be stored right now (the database did not commit in time): retry after `Retry-After` seconds.',
};

/**
 * Where Notion delivers a project's events. Public (Notion has no user token;
 * the URL's secret key finds the webhook and the HMAC signature authenticates
 * the event) and never rate limited by the API's limits: a 429 to Notion loses
 * events. The body arrives raw (see useJsonBodyParser).
 */
@ApiTags('webhooks')
@Public()
@SkipRateLimit()
@Controller(NOTION_WEBHOOKS_PATH)
export class NotionWebhooksController {
  constructor(
    private readonly intake: WebhookIntakeService,
    private readonly admission: WebhookAdmission,
  ) {}

  @Post(':key')
  @HttpCode(200)
  // Helmet's headers are for browsers and it builds them anew per request; Notion reads none of them
  // (WebhookAdmission keeps nosniff).
  @RouteConfig({ helmet: { skipRoute: true } })
  @ApiOperation({
    summary: "Notion's webhook deliveries for one project",
    description:
      'The URL is secret: it is shown to the owner only (in the create answer and GET /projects/{id}/webhook). ' +
      "Takes Notion's handshake (`{verification_token}`, signed or not, while the webhook is not verified) and " +
      'signed events (stored durably before the 200).',
  })
  @ApiParam({
    name: 'key',
    // No pattern in the schema: a malformed key is answered like an unknown one
    // (404), never 400, so a stranger learns nothing from the shape of the answer.
    description:
      "The webhook URL's secret key: `whk_` and 32 base64url characters (any other value answers 404, like an unknown key)",
    schema: { type: 'string' },
  })
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
  @IntakeProblems()
  async receive(
    // Read by WebhookAdmission before the body; declared for the route and its docs.
    @Param('key') _key: string,
    @Headers(NOTION_SIGNATURE_HEADER) signature: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<WebhookAckDto> {
    const outcome = await this.intake.receive({
      webhook: this.admission.webhookOf(request),
      raw: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      signature,
      ip: request.ip,
      correlationId: String(request.id),
    });
    return { status: outcome.kind === 'handshake' ? 'handshake' : outcome.duplicate ? 'duplicate' : 'accepted' };
  }
}

/**
 * The intake's own error meanings (they differ from the API's: no bearer
 * token, Notion as the caller); its 429 carries Retry-After but none of the
 * API's rate-limit headers.
 */
function IntakeProblems(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(PROBLEMS).map(([status, meaning]) =>
      status === '429'
        ? ApiResponse({ status: 429, ...problemResponse(429, meaning), headers: RETRY_AFTER_HEADER })
        : ApiProblem(Number(status), meaning),
    ),
  );
}
