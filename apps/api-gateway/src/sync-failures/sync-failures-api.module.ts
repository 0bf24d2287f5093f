import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { ProjectsModule } from '@app/projects';
import { SyncFailuresController } from './sync-failures.controller.js';

@Module({
  imports: [DeadLettersModule, ProjectsModule],
  controllers: [SyncFailuresController],
})
export class SyncFailuresApiModule {}
