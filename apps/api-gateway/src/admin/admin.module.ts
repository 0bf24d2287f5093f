import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { QueueModule } from '@app/messaging';
import { AdminServer } from './admin-server.js';

/**
 * The gateway's admin server (see AdminServer). BullMQ queues are opened only
 * for Bull Board, so a gateway without admin credentials holds no queue
 * connections.
 */
@Module({})
export class AdminModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdminModule,
      imports: config.admin.credentials ? [QueueModule.forRoot()] : [],
      providers: [AdminServer],
      exports: [AdminServer],
    };
  }
}
