import { Module } from '@nestjs/common';
import { ProjectsModule } from '@app/projects';
import { ProjectsController } from './projects.controller.js';
import { SyncRequests } from './sync-requests.js';

@Module({
  imports: [ProjectsModule],
  controllers: [ProjectsController],
  providers: [SyncRequests],
})
export class ProjectsApiModule {}
