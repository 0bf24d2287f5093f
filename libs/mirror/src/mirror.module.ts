import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProjectsModule } from '@app/projects';
import { MirrorReader } from './mirror.reader.js';
import { MirrorWriter } from './mirror.writer.js';
import { NotionPageEntity } from './notion-page.entity.js';

/**
 * The mirrored pages: written by the job-worker, read by the gateway. Needs
 * `DatabaseModule.forRoot()`. The page count it keeps on each project is
 * written through `ProjectSyncStore` (libs/projects owns the projects table).
 */
@Module({
  imports: [TypeOrmModule.forFeature([NotionPageEntity]), ProjectsModule],
  providers: [MirrorReader, MirrorWriter],
  exports: [MirrorReader, MirrorWriter],
})
export class MirrorModule {}
