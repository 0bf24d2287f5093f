import { createHash } from 'node:crypto';
import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  normalizeIp,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { SKIP_RATE_LIMIT_KEY } from '@app/observability';

/** The throttlers, by name. `default` gets the unsuffixed `x-ratelimit-*` headers. */
export const Throttler = {
  /** Per IP, before authentication (`THROTTLE_IP_LIMIT`). */
  Ip: 'ip',
  /** Per user, after it (per IP when anonymous; `THROTTLE_LIMIT`). */
  User: 'default',
} as const;

/**
 * The throttler's options from config: one fixed window of `THROTTLE_TTL_SECONDS`
 * for both limits, counted in Redis (`RedisThrottlerStorage`). A client's counter
 * is shared by every route (the library's default key is per route).
 */
export function throttlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  const { limit, ipLimit, ttlSeconds } = config.gateway.throttle;
  const ttl = ttlSeconds * 1000;
  return {
    storage,
    // Blocked until the window ends (no longer): the store keeps today's fixed windows.
    throttlers: [
      { name: Throttler.Ip, limit: ipLimit, ttl, blockDuration: 0, setHeaders: false, getTracker: ipTracker },
      { name: Throttler.User, limit, ttl, blockDuration: 0, getTracker: userTracker },
    ],
    // Bounded key length whatever a subject holds; the store adds its prefix.
    generateKey: (_context, tracker, name) =>
      `${name}:${createHash('sha256').update(tracker).digest('hex').slice(0, 32)}`,
  };
}

type TrackedRequest = { ip: string; user?: { id?: string } };

/** The client's address (IPv6 by /64, as the library does): what `TRUST_PROXY` decides. */
const ipTracker = (request: Record<string, unknown>) => `ip:${normalizeIp((request as TrackedRequest).ip)}`;
const userTracker = (request: Record<string, unknown>) => {
  const id = (request as TrackedRequest).user?.id;
  return id ? `user:${id}` : ipTracker(request);
};

/** Sets `Retry-After` and throws the 429 the problem-details filter renders. */
export function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number, detail: string): never {
  void reply.header('retry-after', retryAfterSeconds);
  throw new ThrottlerException(detail);
}

/**
 * `@nestjs/throttler`'s guard for one of the throttlers. Nest runs global guards
 * in module order, and authentication sits between the two limits, so each is
 * a guard of its own (see rate-limit.module.ts). Routes opt out with
 * `@SkipRateLimit()`: health probes, and the Notion webhook intake (a 429 loses
 * Notion's events; skipped routes never reach Redis).
 */
abstract class OneThrottlerGuard extends ThrottlerGuard {
  protected abstract readonly throttler: string;

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((t) => t.name === this.throttler);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return (
      context.getType() !== 'http' ||
      this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [context.getHandler(), context.getClass()]) ===
        true
    );
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    tooManyRequests(
      context.switchToHttp().getResponse<FastifyReply>(),
      detail.timeToBlockExpire,
      'Too many requests: slow down and retry after the time in Retry-After',
    );
  }
}

@Injectable()
export class IpRateLimitGuard extends OneThrottlerGuard {
  protected readonly throttler = Throttler.Ip;
}

@Injectable()
export class RateLimitGuard extends OneThrottlerGuard {
  protected readonly throttler = Throttler.User;
}
