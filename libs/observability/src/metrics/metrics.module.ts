import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { QueueDepthReporter } from './queue-depth.reporter.js';

export interface MetricsOptions {
  /** Serve `GET /metrics` on this app's HTTP server (the workers' health port). */
  readonly http: boolean;
  /** Report BullMQ queue depths (`queue_jobs`); needs `QueueModule.forRoot()`. */
  readonly queueDepth?: boolean;
}

/**
 * Provides the app's `Metrics` (global): one prom-client registry per app,
 * labelled with `appName`. With `METRICS_ENABLED=false` nothing is served and
 * no process metrics are collected; the counters still count, unseen.
 */
@Module({})
export class MetricsModule {
  static forRoot(appName: string, options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: options.http ? [MetricsController] : [],
      providers: [
        {
          provide: Metrics,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => new Metrics(appName, { defaultMetrics: config.metrics.enabled }),
        },
        ...(options.queueDepth ? [QueueDepthReporter] : []),
      ],
      exports: [Metrics],
    };
  }
}
