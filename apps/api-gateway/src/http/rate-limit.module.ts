import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './rate-limit.guard.js';

/**
 * Per-user rate limiting. Its guard must run after the JWT guard (so it can key
 * on the user): Nest runs global guards in module order, so import this module
 * after AuthModule. An e2e spec checks that two users have separate budgets.
 */
@Module({
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}
