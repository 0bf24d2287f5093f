import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { ProjectEntity } from './project.entity.js';
import { ProjectSyncStore } from './project-sync.store.js';
import { ProjectsRepository } from './projects.repository.js';
import { ProjectsService } from './projects.service.js';
import { SecretBox } from './secret-box.js';

/** The projects domain. Needs `DatabaseModule.forRoot()` and `ConfigModule.forRoot()` in the app. */
@Module({
  imports: [TypeOrmModule.forFeature([ProjectEntity])],
  providers: [ProjectsRepository, ProjectsService, ProjectSyncStore, SecretBox, KeysetCursorCodec],
  exports: [ProjectsService, ProjectSyncStore, SecretBox, KeysetCursorCodec],
})
export class ProjectsModule {}
