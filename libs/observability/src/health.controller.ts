import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { HealthResponseFilter } from './health-response.filter.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';
import { SkipRateLimit } from './skip-rate-limit.decorator.js';

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');
export interface HealthOptions {
  /**
   * Whether a down Redis takes the app out of rotation. The gateway says no:
   * its webhook intake must keep accepting (into Postgres) while Redis is down.
   */
  readonly redisRequired: boolean;
}

/**
 * `/health/live` and `/health/ready`. Every app serves them, so nothing here
 * imports @nestjs/swagger or @app/auth, nor lets terminus require swagger: in
 * the workers those imports loaded all of @nestjs/swagger and the JWT stack
 * (passport, jwks-rsa, jose), about 5 MiB of idle RSS each, for docs and a
 * guard they do not have. The gateway serves a subclass that adds both
 * (HealthModule.forRoot's `controller`).
 */
// Probes must never be rate limited.
@SkipRateLimit()
@UseFilters(HealthResponseFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  /** The process is up and its event loop turns. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready for traffic: Postgres answers (and Redis, where required). */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres', { timeout: 1500 }),
      () => this.redis.check('redis', this.options.redisRequired),
    ]);
  }
}
