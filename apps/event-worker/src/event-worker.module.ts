import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/messaging';
import { HealthModule, LoggingModule } from '@app/observability';
import { NotionEventsModule } from './notion-events/notion-events.module.js';

@Module({})
export class EventWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: EventWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('event-worker'),
        DatabaseModule.forRoot('event-worker'),
        QueueModule.forRoot(),
        HealthModule.forRoot({ redisRequired: true }),
        NotionEventsModule,
      ],
    };
  }
}
