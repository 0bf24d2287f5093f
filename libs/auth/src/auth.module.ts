import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';

/**
 * Importing this module protects every route of the app: the JWT strategy
 * reads `AppConfig.auth` (from `ConfigModule.forRoot`), and `JwtAuthGuard` is
 * installed as a global guard. Mark open routes with `@Public()`.
 */
@Module({
  imports: [PassportModule],
  providers: [JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
})
export class AuthModule {}
