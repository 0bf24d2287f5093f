import { Controller, Get, Headers, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { METRICS_AUTH_CHALLENGE, metricsAccessAllowed } from './metrics-access.js';
import { Metrics } from './metrics.js';

/**
 * `GET /metrics` on a worker's health port, for Prometheus. Never mounted on
 * the gateway's public app: the gateway serves it on its admin port. With
 * `METRICS_TOKEN` set, only a scrape bearing it is answered.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!metricsAccessAllowed(authorization, this.config.metrics.token)) {
      void reply.code(401).header('www-authenticate', METRICS_AUTH_CHALLENGE).header('content-type', 'text/plain');
      return 'Unauthorized\n';
    }
    const { contentType, body } = await this.metrics.render();
    void reply.header('content-type', contentType);
    return body;
  }
}
