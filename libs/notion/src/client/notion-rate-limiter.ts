import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { redisConnectionOptions } from '@app/messaging';
import { NotionLimiterUnavailableError } from './notion-errors.js';

/**
 * One token bucket per integration token, in a Redis hash, updated atomically.
 * Redis `TIME` is the clock (the replicas' clocks differ), in microseconds.
 * The bucket refills at ARGV[2] per second up to ARGV[1]; with ARGV[3] = 0 the
 * script takes a token (returns 0) or returns the milliseconds until one is
 * due; with ARGV[3] > 0 it holds every grant back for that many milliseconds
 * (Notion answered 429 with `Retry-After`), never adding tokens. A key left
 * alone long enough to refill completely expires: a missing key is a full bucket.
 */
const TAKE_OR_PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local capacity = tonumber(ARGV[1])
local perUs = tonumber(ARGV[2]) / 1000000
local pauseMs = tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'until')
local tokens = math.min(tonumber(s[1]) or capacity, capacity)
local ts = tonumber(s[2]) or now
local pausedUntil = tonumber(s[3]) or 0
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * perUs)
  ts = now
end
local waitUs = 0
if pauseMs > 0 then
  pausedUntil = math.max(pausedUntil, now + pauseMs * 1000)
elseif now < pausedUntil then
  waitUs = pausedUntil - now
elseif tokens >= 1 then
  tokens = tokens - 1
else
  waitUs = (1 - tokens) / perUs
end
local f = '%.17g'
redis.call('HSET', KEYS[1], 'tokens', string.format(f, tokens), 'ts', string.format(f, ts),
  'until', string.format(f, pausedUntil))
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(capacity / perUs, pausedUntil - now) / 1000) + 1000)
return math.ceil(waitUs / 1000)
`;

interface LimiterCommands {
  notionRateTakeOrPause(key: string, capacity: number, perSecond: number, pauseMs: number): Promise<number>;
}

/** The longest a 429's `Retry-After` may hold back every replica's requests. */
const MAX_PAUSE_MS = 60_000;
/** An outage warning is repeated at most this often. */
const WARN_EVERY_MS = 60_000;

/** First 32 hex digits of the token's SHA-256: names its bucket and cached client, never the token itself. */
export function notionTokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/** A caller of `acquire`, waiting in its process's line for one token. */
interface Waiter {
  grant(): void;
  fail(err: unknown): void;
}

/** The callers waiting for one token in this process, served in order by one loop. */
interface Line {
  readonly waiters: Waiter[];
  timer?: NodeJS.Timeout;
  wake?: () => void;
}

/**
 * Paces requests per integration token across every process that shares the
 * Redis: at most `notion.burst` + `notion.ratePerSecond` × T requests start in
 * any interval of T seconds (a token bucket grants at most what it held at the
 * start plus what refilled since). Fails closed: when Redis cannot be asked,
 * `acquire` rejects rather than letting the request through unpaced.
 *
 * Within a process, callers for one token queue in order and one loop asks
 * Redis for them, so Redis sees one poller per token per replica however many
 * requests wait.
 */
@Injectable()
export class NotionRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(NotionRateLimiter.name);
  private readonly redis: Redis & LimiterCommands;
  private readonly lines = new Map<string, Line>();
  private warnedAt: number | undefined;

  constructor(private readonly config: AppConfig) {
    const redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      // A bounded wait for each decision: queued while reconnecting, then failed.
      maxRetriesPerRequest: 3,
      connectTimeout: 2000,
      commandTimeout: 2000,
      // How long disconnect() waits for a socket that never closes cleanly (a
      // refused one): ioredis's 2 s default keeps a stopping process alive.
      disconnectTimeout: 200,
    });
    redis.defineCommand('notionRateTakeOrPause', { numberOfKeys: 1, lua: TAKE_OR_PAUSE });
    redis.on('error', (err: Error) => this.reportOutage(err));
    redis.on('ready', () => {
      if (this.warnedAt === undefined) return;
      this.warnedAt = undefined;
      this.logger.log('Redis reconnected');
    });
    this.redis = redis as Redis & LimiterCommands;
  }

  /** The Redis key of a token's bucket (holds a hash of the token, never the token). */
  keyFor(token: string): string {
    return `${this.config.redis.keyPrefix}:notion-rate:${notionTokenId(token)}`;
  }

  /**
   * Resolves once a request with `token` may start. Rejects with
   * `NotionLimiterUnavailableError` when Redis cannot be asked, and with
   * `signal.reason` when the signal aborts first.
   */
  acquire(token: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = this.keyFor(token);
    const existing = this.lines.get(key);
    const line: Line = existing ?? { waiters: [] };
    if (!existing) this.lines.set(key, line);
    const granted = new Promise<void>((resolve, reject) => {
      const leave = () => {
        const at = line.waiters.indexOf(waiter);
        if (at >= 0) line.waiters.splice(at, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        },
        fail: (err) => {
          signal?.removeEventListener('abort', leave);
          reject(err);
        },
      };
      line.waiters.push(waiter);
      signal?.addEventListener('abort', leave, { once: true });
    });
    if (!existing) void this.serve(key, line);
    return granted;
  }

  /**
   * Holds back every request with `token`, in every replica, for `ms`
   * (capped at a minute): Notion said 429 with `Retry-After`.
   */
  async pause(token: string, ms: number): Promise<void> {
    const pauseMs = Math.min(Math.ceil(ms), MAX_PAUSE_MS);
    if (pauseMs > 0) await this.call(this.keyFor(token), pauseMs);
  }

  /** Closes the connection; callers still waiting are rejected (their loops wake and fail). */
  onApplicationShutdown(): void {
    this.redis.disconnect();
    for (const line of this.lines.values()) {
      clearTimeout(line.timer);
      line.wake?.();
    }
  }

  /**
   * Takes tokens for the line's callers in order until it is empty: the script
   * grants one or says how long until the next; sleep that long (plus a little
   * jitter, to spread the replicas woken for the same token) and ask again. A
   * token taken for a caller who gave up meanwhile goes unused (never over the limit).
   */
  private async serve(key: string, line: Line): Promise<void> {
    try {
      while (line.waiters.length > 0) {
        const waitMs = await this.call(key, 0);
        if (waitMs <= 0) {
          line.waiters.shift()?.grant();
          continue;
        }
        await new Promise<void>((resolve) => {
          line.wake = resolve;
          line.timer = setTimeout(resolve, waitMs + Math.floor(Math.random() * Math.min(25, waitMs)));
        });
      }
    } catch (err) {
      for (const waiter of line.waiters.splice(0)) waiter.fail(err);
    } finally {
      if (this.lines.get(key) === line) this.lines.delete(key);
    }
  }

  private async call(key: string, pauseMs: number): Promise<number> {
    const { burst, ratePerSecond } = this.config.notion;
    try {
      return await this.redis.notionRateTakeOrPause(key, burst, ratePerSecond, pauseMs);
    } catch (err) {
      throw new NotionLimiterUnavailableError(err);
    }
  }

  /** ioredis reports every failed reconnect: warn once when an outage starts, then once a minute. */
  private reportOutage(err: Error): void {
    const now = Date.now();
    if (this.warnedAt !== undefined && now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger.warn(`Redis unavailable for the Notion rate limiter (${err.message}); reconnecting`);
  }
}
