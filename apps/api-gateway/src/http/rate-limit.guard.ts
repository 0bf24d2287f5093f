import { HttpException, HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@app/config';
import { SKIP_RATE_LIMIT_KEY } from '@app/observability';

interface Window {
  count: number;
  resetAt: number;
}

export class TooManyRequestsError extends HttpException {
  constructor() {
    super('Too many requests: slow down and retry after the time in Retry-After', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * A fixed-window rate limit per user (the JWT subject), or per IP when the
 * request is anonymous: `THROTTLE_LIMIT` requests per `THROTTLE_TTL_SECONDS`.
 * Counts live in this process, so each gateway replica limits on its own.
 * It runs after the JWT guard (see RateLimitModule), so `request.user` is set.
 *
 * Not @nestjs/throttler: that package is CommonJS and `require`s the ESM-only
 * @nestjs/common 12. Node 20.19 allows that, but Jest's module runtime does not
 * (before Node 24.9), which would rule out every in-process gateway test.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, Window>();
  private readonly limit: number;
  private readonly windowMs: number;
  private nextSweep = 0;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.limit = config.gateway.throttle.limit;
    this.windowMs = config.gateway.throttle.ttlSeconds * 1000;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const skip = this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: { id?: string } }>();
    const reply = http.getResponse<FastifyReply>();
    const now = Date.now();
    this.sweep(now);
    const key = request.user?.id ? `user:${request.user.id}` : `ip:${request.ip}`;
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
    void reply.header('x-ratelimit-limit', this.limit);
    void reply.header('x-ratelimit-remaining', Math.max(0, this.limit - window.count));
    void reply.header('x-ratelimit-reset', resetSeconds);
    if (window.count > this.limit) {
      void reply.header('retry-after', resetSeconds);
      throw new TooManyRequestsError();
    }
    return true;
  }

  /** Forgets expired windows now and then, so idle clients cost no memory. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
