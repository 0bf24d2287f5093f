import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NOTION_SIGNATURE_HEADER } from '@app/contracts';
import { logFailedRequest } from '@app/observability';
import { WEBHOOK_PATH_PREFIX } from '../http/json-body-parser.js';
import { API_PREFIX, NOTION_WEBHOOKS_PATH } from '../http/routes.js';
import type { FoundWebhook } from './webhook-credentials.cache.js';
import { WebhookIntakeService } from './webhook-intake.service.js';

/** The intake's route as Fastify names it. */
const INTAKE_ROUTE = `/${API_PREFIX}/${NOTION_WEBHOOKS_PATH}/:key`;
const isIntake = (request: FastifyRequest) => request.method === 'POST' && request.routeOptions.url === INTAKE_ROUTE;

/**
 * The intake's work before a webhook body is read, in Fastify hooks (a Nest
 * handler runs only once the body is in):
 *
 * - `preParsing`: `WebhookIntakeService.admit` finds the webhook and refuses
 *   what it can without the body (an unknown URL, an unsigned body larger than
 *   a handshake, a client over its failure limit), so a stranger's large body
 *   is never buffered; the webhook found is kept for the handler, which
 *   then needs no second lookup.
 * - `onResponse`: Fastify refuses a body over the limit (413) before any
 *   handler, so the intake never sees it; counted here
 *   (`deliveries_total{reason="too_large"}`), so a limit set too low for
 *   Notion's real payloads shows up, and counted as the client's failure.
 *   And the request line of every failed answer under the webhook path
 *   (the request logger skips it: see ApiGatewayModule); successes are
 *   counted in `deliveries_total`, not logged per request.
 */
@Injectable()
export class WebhookAdmission implements OnModuleInit {
  private readonly admitted = new WeakMap<FastifyRequest, FoundWebhook>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly intake: WebhookIntakeService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      // Helmet skips this route (see the controller); of its headers the one that
      // still says something to whoever reads our JSON answers is kept, for every answer.
      if (isIntake(request)) reply.header('x-content-type-options', 'nosniff');
      done();
    });
    fastify.addHook('preParsing', async (request, _reply, payload) => {
      if (!isIntake(request)) return payload;
      const signature = request.headers[NOTION_SIGNATURE_HEADER];
      const length = Number(request.headers['content-length']);
      const webhook = await this.intake.admit({
        key: (request.params as { key: string }).key,
        signature: typeof signature === 'string' ? signature : undefined,
        ip: request.ip,
        contentLength: Number.isSafeInteger(length) ? length : undefined,
      });
      this.admitted.set(request, webhook);
      return payload;
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      if (request.url.startsWith(WEBHOOK_PATH_PREFIX)) {
        if (reply.statusCode === 413) this.intake.tooLarge(request.ip);
        logFailedRequest(request.raw, reply.raw, String(request.id), reply.elapsedTime);
      }
      done();
    });
  }

  /** The webhook `admit` found for this request (always there for a request that reached the handler). */
  webhookOf(request: FastifyRequest): FoundWebhook {
    const webhook = this.admitted.get(request);
    if (!webhook) throw new Error('A webhook request reached the intake without being admitted');
    return webhook;
  }
}
