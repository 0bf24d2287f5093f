import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ExtensionsModule } from '@app/extensions';
import { INSTALLED_EXTENSIONS } from '@app/installed-extensions';
import { QueueModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { NotionEventsModule } from './notion-events/notion-events.module.js';
import { ProjectSyncModule } from './project-sync/project-sync.module.js';
import { RetentionModule } from './retention/retention.module.js';

@Module({})
export class EventWorkerModule {
  /** @param extensions modules with `@OnNotionEvent()` handlers (tests pass their own). */
  static forRoot(config: AppConfig, extensions: readonly Type[] = INSTALLED_EXTENSIONS): DynamicModule {
    return {
      module: EventWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('event-worker'),
        // GET /metrics on the health port, with the queues' depths.
        MetricsModule.forRoot('event-worker', { http: config.metrics.enabled, queueDepth: true }),
        DatabaseModule.forRoot('event-worker'),
        QueueModule.forRoot(),
        HealthModule.forRoot({ redisRequired: true }),
        ExtensionsModule.forRoot(extensions),
        NotionEventsModule,
        ProjectSyncModule,
        RetentionModule,
      ],
    };
  }
}
