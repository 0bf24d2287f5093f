import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@app/auth';
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

// Probes carry no token and must never be rate limited.
@Public()
@SkipRateLimit()
@UseFilters(HealthResponseFilter)
@ApiTags('health')
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
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres', { timeout: 1500 }),
      () => this.redis.check('redis', this.options.redisRequired),
    ]);
  }
}
