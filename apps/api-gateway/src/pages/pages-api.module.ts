import { Module } from '@nestjs/common';
import { MirrorModule } from '@app/mirror';
import { ProjectsModule } from '@app/projects';
import { PagesController } from './pages.controller.js';
import { PagesService } from './pages.service.js';

@Module({
  imports: [ProjectsModule, MirrorModule],
  controllers: [PagesController],
  providers: [PagesService],
  // The change stream checks its start position the way /changes does.
  exports: [PagesService],
})
export class PagesApiModule {}
