import { Module } from '@nestjs/common';
import { MirrorModule } from '@app/mirror';
import { FileRefreshModule } from '@app/sync';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';

@Module({
  imports: [MirrorModule, FileRefreshModule],
  controllers: [FilesController],
  providers: [FilesService],
})
export class FilesApiModule {}
