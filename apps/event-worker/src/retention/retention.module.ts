import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { InboxModule } from '@app/inbox';
import { SyncStateModule } from '@app/sync';
import { RetentionService } from './retention.service.js';

/** Prunes settled inbox rows, resolved dead letters and old tombstones. */
@Module({
  imports: [DeadLettersModule, InboxModule, SyncStateModule],
  providers: [RetentionService],
})
export class RetentionModule {}
