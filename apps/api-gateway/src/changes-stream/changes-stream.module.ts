import { Module } from '@nestjs/common';
import { MirrorModule } from '@app/mirror';
import { ProjectsModule } from '@app/projects';
import { PagesApiModule } from '../pages/pages-api.module.js';
import { ChangesStreamController } from './changes-stream.controller.js';
import { ChangesStreams } from './changes-streams.js';
import { StreamSlots } from './stream-slots.js';

/** The live change streams and their tickets (docs/architecture.md, "Live changes"). */
@Module({
  imports: [ProjectsModule, MirrorModule, PagesApiModule],
  controllers: [ChangesStreamController],
  providers: [ChangesStreams, StreamSlots],
})
export class ChangesStreamModule {}
