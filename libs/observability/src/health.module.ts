import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_OPTIONS, HealthController, type HealthOptions } from './health.controller.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';

/**
 * `GET /health/live` and `GET /health/ready`, for compose and Kubernetes probes.
 * `controller` is HealthController or a subclass adding an app's own decorators
 * (the gateway's: no bearer token, the OpenAPI description).
 */
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions, controller: Type<HealthController> = HealthController): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [controller],
      providers: [RedisHealthIndicator, { provide: HEALTH_OPTIONS, useValue: options }],
    };
  }
}
