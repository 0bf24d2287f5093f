import { HttpException, HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@app/config';
import { SKIP_RATE_LIMIT_KEY } from '@app/observability';

export class TooManyRequestsError extends HttpException {
  constructor() {
    super('Too many requests: slow down and retry after the time in Retry-After', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Fixed-window counters in this process, forgotten once their window passed. */
class FixedWindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;

  constructor(private readonly windowMs: number) {}

  hit(key: string, now = Date.now()): { count: number; resetSeconds: number } {
    if (now >= this.nextSweep) {
      this.nextSweep = now + this.windowMs;
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    }
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return { count: window.count, resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }
}

/**
 * Fixed-window rate limits, counted in this process (each gateway replica
 * limits on its own). Two guards share the logic:
 * - `IpRateLimitGuard` runs before authentication, per IP, with the generous
 *   `THROTTLE_IP_LIMIT`, so floods of bad or missing tokens are limited too;
 * - `RateLimitGuard` runs after it, per user (the JWT subject; per IP when
 *   anonymous), with `THROTTLE_LIMIT`, and sets the `x-ratelimit-*` headers.
 * Routes opt out with `@SkipRateLimit()` (health probes, the Notion webhook).
 *
 * Not @nestjs/throttler: that package is CommonJS and `require`s the ESM-only
 * @nestjs/common 12. Node 20.19 allows that, but Jest's module runtime does not
 * (before Node 24.9), which would rule out every in-process gateway test.
 */
abstract class WindowGuard implements CanActivate {
  private readonly counter: FixedWindowCounter;

  constructor(
    private readonly reflector: Reflector,
    private readonly limit: number,
    windowSeconds: number,
    private readonly reportHeaders: boolean,
  ) {
    this.counter = new FixedWindowCounter(windowSeconds * 1000);
  }

  protected abstract key(request: FastifyRequest & { user?: { id?: string } }): string;

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const skip = this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) return true;
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { count, resetSeconds } = this.counter.hit(this.key(http.getRequest()));
    if (this.reportHeaders) {
      void reply.header('x-ratelimit-limit', this.limit);
      void reply.header('x-ratelimit-remaining', Math.max(0, this.limit - count));
      void reply.header('x-ratelimit-reset', resetSeconds);
    }
    if (count > this.limit) {
      void reply.header('retry-after', resetSeconds);
      throw new TooManyRequestsError();
    }
    return true;
  }
}

@Injectable()
export class IpRateLimitGuard extends WindowGuard {
  constructor(config: AppConfig, reflector: Reflector) {
    super(reflector, config.gateway.throttle.ipLimit, config.gateway.throttle.ttlSeconds, false);
  }

  protected key(request: FastifyRequest): string {
    return `ip:${request.ip}`;
  }
}

@Injectable()
export class RateLimitGuard extends WindowGuard {
  constructor(config: AppConfig, reflector: Reflector) {
    super(reflector, config.gateway.throttle.limit, config.gateway.throttle.ttlSeconds, true);
  }

  protected key(request: FastifyRequest & { user?: { id?: string } }): string {
    return request.user?.id ? `user:${request.user.id}` : `ip:${request.ip}`;
  }
}
