import { Module } from '@nestjs/common';
import { ProjectsModule } from '@app/projects';
import { ProjectsController } from './projects.controller.js';

@Module({
  imports: [ProjectsModule],
  controllers: [ProjectsController],
})
export class ProjectsApiModule {}
