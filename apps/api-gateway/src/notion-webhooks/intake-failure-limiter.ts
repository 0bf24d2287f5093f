import { Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { AppConfig } from '@app/config';
import { FailureWindows } from '../http/failure-windows.js';

const WINDOW_MS = 60_000;
/** Clients tracked at most; past it the oldest windows go first (memory stays bounded under any flood). */
const MAX_CLIENTS = 100_000;

/**
 * Counts failed webhook requests (unknown URL, bad signature, malformed) per
 * client, in one-minute windows, in this process: the intake must never
 * depend on Redis, and a limit per process is enough to make guessing or
 * flooding slow. A client is its IP address, or its /64 for IPv6 (one host
 * holds a whole /64), as the API's rate limits count it. Correct events are
 * never counted and never limited.
 */
@Injectable()
export class IntakeFailureLimiter {
  private readonly windows: FailureWindows;

  constructor(config: AppConfig) {
    this.windows = new FailureWindows(config.gateway.webhook.failureLimitPerMinute, WINDOW_MS, {
      maxClients: MAX_CLIENTS,
    });
  }

  /** Seconds until the client may fail again, when it is over its limit; else 0. */
  blockedFor(ip: string): number {
    return this.windows.retryAfterSeconds(normalizeIp(ip));
  }

  /** Records a failure; returns what `blockedFor` says afterwards. */
  fail(ip: string): number {
    this.windows.recordFailure(normalizeIp(ip));
    return this.blockedFor(ip);
  }
}
