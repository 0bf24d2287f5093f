import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { ProjectEntity } from './project.entity.js';
import { ProjectsRepository } from './projects.repository.js';
import { ProjectsService } from './projects.service.js';
import { SecretBox } from './secret-box.js';

/**
 * The projects domain. Needs `DatabaseModule.forRoot()`, `ConfigModule.forRoot()` and a provider of
 * `ProjectHooks` (libs/sync's global `SyncStateModule`) in the app.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ProjectEntity])],
  providers: [ProjectsRepository, ProjectsService, SecretBox, KeysetCursorCodec],
  exports: [ProjectsService, SecretBox, KeysetCursorCodec],
})
export class ProjectsModule {}
