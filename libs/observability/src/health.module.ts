import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_OPTIONS, HealthController, type HealthOptions } from './health.controller.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';

/** `GET /health/live` and `GET /health/ready`, for compose and Kubernetes probes. */
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [RedisHealthIndicator, { provide: HEALTH_OPTIONS, useValue: options }],
    };
  }
}
