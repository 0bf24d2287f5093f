import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/messaging';
import { HealthModule, LoggingModule } from '@app/observability';
import { NotionSyncModule } from './notion-sync/notion-sync.module.js';

@Module({})
export class JobWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: JobWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('job-worker'),
        DatabaseModule.forRoot('job-worker'),
        QueueModule.forRoot(),
        HealthModule.forRoot({ redisRequired: true }),
        NotionSyncModule,
      ],
    };
  }
}
