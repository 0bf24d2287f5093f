import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { StreamTickets } from './stream-ticket.js';

/**
 * Importing this module protects every route of the app: the JWT strategy
 * reads `AppConfig.auth` (from `ConfigModule.forRoot`), and `JwtAuthGuard` is
 * installed as a global guard. Mark open routes with `@Public()`. Global, so
 * that the route that issues stream tickets signs them with the guard's own
 * `StreamTickets`.
 */
@Global()
@Module({
  imports: [PassportModule],
  providers: [JwtStrategy, StreamTickets, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [StreamTickets],
})
export class AuthModule {}
