import { isIPv6 } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';

const WINDOW_MS = 60_000;
/** Clients tracked at most; past it the oldest windows go first (memory stays bounded under any flood). */
const MAX_CLIENTS = 100_000;

/**
 * Counts failed webhook requests (unknown URL, bad signature, malformed) per
 * client, in fixed one-minute windows, in this process: the intake must never
 * depend on Redis, and a limit per process is enough to make guessing or
 * flooding slow. A client is its IP address, or its /64 for IPv6 (one host
 * holds a whole /64). Correct events are never counted and never limited.
 */
@Injectable()
export class IntakeFailureLimiter {
  private readonly limit: number;
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(config: AppConfig) {
    this.limit = config.gateway.webhook.failureLimitPerMinute;
  }

  /** Seconds until the client may fail again, when it is over its limit; else 0. */
  blockedFor(ip: string, now = Date.now()): number {
    const window = this.windows.get(clientOf(ip));
    if (!window || window.resetAt <= now || window.count < this.limit) return 0;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  /** Records a failure; returns what `blockedFor` says afterwards. */
  fail(ip: string, now = Date.now()): number {
    const client = clientOf(ip);
    let window = this.windows.get(client);
    if (!window || window.resetAt <= now) {
      this.windows.delete(client);
      if (this.windows.size >= MAX_CLIENTS) this.evict(now);
      window = { count: 0, resetAt: now + WINDOW_MS };
      this.windows.set(client, window);
    }
    window.count++;
    return this.blockedFor(ip, now);
  }

  /** Drops expired windows, or else the oldest tenth (Map keeps insertion order). */
  private evict(now: number): void {
    for (const [client, window] of this.windows) if (window.resetAt <= now) this.windows.delete(client);
    if (this.windows.size < MAX_CLIENTS) return;
    let drop = Math.ceil(MAX_CLIENTS / 10);
    for (const client of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(client);
    }
  }
}

/** The IP, or for IPv6 its first 64 bits. */
function clientOf(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
