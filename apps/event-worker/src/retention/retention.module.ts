import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { InboxModule } from '@app/inbox';
import { MirrorModule } from '@app/mirror';
import { ProjectsModule } from '@app/projects';
import { RetentionService } from './retention.service.js';

/** Prunes settled inbox rows, resolved dead letters and old tombstones. */
@Module({
  imports: [DeadLettersModule, InboxModule, MirrorModule, ProjectsModule],
  providers: [RetentionService],
})
export class RetentionModule {}
