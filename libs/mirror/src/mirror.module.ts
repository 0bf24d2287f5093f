import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MirrorReader } from './mirror.reader.js';
import { MirrorWriter } from './mirror.writer.js';
import { NotionPageEntity } from './notion-page.entity.js';

/** The mirrored pages: written by the job-worker, read by the gateway. Needs `DatabaseModule.forRoot()`. */
@Module({
  imports: [TypeOrmModule.forFeature([NotionPageEntity])],
  providers: [MirrorReader, MirrorWriter],
  exports: [MirrorReader, MirrorWriter],
})
export class MirrorModule {}
