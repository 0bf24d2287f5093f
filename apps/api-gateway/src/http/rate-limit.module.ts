import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IpRateLimitGuard, RateLimitGuard } from './rate-limit.guard.js';

/*
 * Nest runs global guards in module order. Import IpRateLimitModule before
 * AuthModule (so bad-token floods are counted) and RateLimitModule after it
 * (so it can key on the user). An e2e spec checks both.
 */

@Module({ providers: [{ provide: APP_GUARD, useClass: IpRateLimitGuard }] })
export class IpRateLimitModule {}

@Module({ providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }] })
export class RateLimitModule {}
