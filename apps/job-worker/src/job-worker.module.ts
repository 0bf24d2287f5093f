import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ExtensionsModule } from '@app/extensions';
import { INSTALLED_EXTENSIONS } from '@app/installed-extensions';
import { QueueModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { NotionSyncModule } from './notion-sync/notion-sync.module.js';

@Module({})
export class JobWorkerModule {
  /** @param extensions modules with `@OnNotionEvent()` handlers (tests pass their own). */
  static forRoot(config: AppConfig, extensions: readonly Type[] = INSTALLED_EXTENSIONS): DynamicModule {
    return {
      module: JobWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('job-worker'),
        // GET /metrics on the health port, with the queues' depths.
        MetricsModule.forRoot('job-worker', { http: config.metrics.enabled, queueDepth: true }),
        DatabaseModule.forRoot('job-worker'),
        QueueModule.forRoot(),
        HealthModule.forRoot({ redisRequired: true }),
        ExtensionsModule.forRoot(extensions),
        NotionSyncModule,
      ],
    };
  }
}
