import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MirrorReader } from './mirror.reader.js';
import { MirrorRetention } from './mirror.retention.js';
import { MirrorWriter } from './mirror.writer.js';
import { NotionPageEntity } from './notion-page.entity.js';

/**
 * The mirrored pages: written by the job-worker, read by the gateway, old
 * tombstones purged by the event-worker. Needs `DatabaseModule.forRoot()`.
 */
@Module({
  imports: [TypeOrmModule.forFeature([NotionPageEntity])],
  providers: [MirrorReader, MirrorWriter, MirrorRetention],
  exports: [MirrorReader, MirrorWriter, MirrorRetention],
})
export class MirrorModule {}
