import { Module } from '@nestjs/common';

/** Placeholder: filled in by the auth issue. */
@Module({})
export class AuthModule {}
