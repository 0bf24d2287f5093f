import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContentReader } from './content/content.reader.js';
import { FileLinkCodec } from './files/file-link.codec.js';
import { FileLinks } from './files/file-links.js';
import { MirrorReader } from './mirror.reader.js';
import { NotionPageEntity } from './notion-page.entity.js';
import { MirrorQuery } from './query/mirror.query.js';
import { SchemaReader } from './read/schema.reader.js';

/**
 * The read side of the mirrored pages, for the gateway's read API. The table
 * (`notion_pages`) belongs to libs/sync, its only writer (the sync engine's
 * `MirrorWriter`, retention's `MirrorRetention`); this lib maps and reads it.
 * Needs `DatabaseModule.forRoot()`.
 */
@Module({
  imports: [TypeOrmModule.forFeature([NotionPageEntity])],
  providers: [MirrorReader, MirrorQuery, SchemaReader, ContentReader, FileLinkCodec, FileLinks],
  exports: [MirrorReader, MirrorQuery, SchemaReader, ContentReader, FileLinks],
})
export class MirrorModule {}
