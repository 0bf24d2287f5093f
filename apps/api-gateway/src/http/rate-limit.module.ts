import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '@app/config';
import { IpRateLimitGuard, RateLimitGuard, throttlerOptions } from './rate-limit.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { SyncRequestLimiter } from './sync-request-limiter.js';

/*
 * Nest runs global guards in module order. Import IpRateLimitModule before
 * AuthModule (so bad-token floods are counted) and RateLimitModule after it
 * (so it can key on the user). An e2e spec checks both.
 */

/**
 * The throttler's options and its Redis storage (ThrottlerModule is global).
 * The storage is built here, not as a provider of its own, so Nest runs its
 * connect and disconnect hooks once, as the module's `ThrottlerStorage`.
 */
const ThrottlerRootModule = ThrottlerModule.forRootAsync({
  inject: [AppConfig],
  useFactory: (config: AppConfig) => throttlerOptions(config, new RedisThrottlerStorage(config)),
});

@Module({
  imports: [ThrottlerRootModule],
  providers: [{ provide: APP_GUARD, useClass: IpRateLimitGuard }],
})
export class IpRateLimitModule {}

/** The per-user guard, and the per-project limit of manual syncs for the projects API. */
@Global()
@Module({
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, SyncRequestLimiter],
  exports: [SyncRequestLimiter],
})
export class RateLimitModule {}
