import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { WEBHOOK_PATH_PREFIX } from '../http/json-body-parser.js';
import { WebhookIntakeService } from './webhook-intake.service.js';

/**
 * Fastify refuses a body over the limit (413) before any route runs, so the
 * intake never sees it: this hook counts those refusals on the webhook path
 * (`deliveries_total{reason="too_large"}`), so a limit set too low for Notion's
 * real payloads shows up, and counts them as the client's failures.
 */
@Injectable()
export class WebhookBodyLimitWatcher implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly intake: WebhookIntakeService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      if (reply.statusCode === 413 && request.url.startsWith(WEBHOOK_PATH_PREFIX)) this.intake.tooLarge(request.ip);
      done();
    });
  }
}
