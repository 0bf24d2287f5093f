import { Module } from '@nestjs/common';

/** Placeholder: filled in by the projects issue. */
@Module({})
export class ProjectsModule {}
