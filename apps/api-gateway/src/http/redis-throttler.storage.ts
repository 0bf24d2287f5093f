import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { redisConnectionOptions } from '@app/messaging';

/**
 * One fixed window per key, and a block marker once it went over the limit,
 * updated atomically so every gateway replica counts against the same budget.
 * KEYS[1] counts the window's hits and expires with it; KEYS[2] marks a blocked
 * client for max(blockDuration, rest of the window). ARGV: window ms, limit,
 * block ms. Returns {hits, window ms left, blocked (0/1), block ms left}.
 * Both keys always carry a TTL (a key that lost one gets the window again).
 */
const HIT = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local left = redis.call('PTTL', KEYS[1])
  return { limit + 1, left > 0 and left or blockLeft, 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  left = window
end
if hits > limit then
  blockLeft = math.max(block, left)
  redis.call('SET', KEYS[2], '1', 'PX', blockLeft)
  return { hits, left, 1, blockLeft }
end
return { hits, left, 0, 0 }
`;

interface ThrottleCommands {
  throttleHit(
    hitsKey: string,
    blockKey: string,
    windowMs: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number, number]>;
}

/** A Redis that does not answer within this is treated as down (the request goes through). */
const COMMAND_TIMEOUT_MS = 500;
/**
 * After a failure, requests go through without asking Redis for this long, so
 * a Redis that hangs (a partition) costs one request a second the timeout,
 * not every request.
 */
const BACK_OFF_MS = 1000;
/** While Redis stays down, the warning is repeated at most this often. */
const WARN_EVERY_MS = 60_000;

/** Not exported by the package's index. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * `@nestjs/throttler`'s storage in Redis, under `<REDIS_KEY_PREFIX>:throttle:`,
 * so the limits hold across gateway replicas (the library's own storage counts
 * per process: N replicas allowed N times the limit). `@nest-lab/throttler-storage-redis`
 * would do this, but its 1.2 declares Nest 11 at most as its peer and does not
 * install beside Nest 12.
 *
 * Fails open: when Redis cannot be asked (down, or slower than 500 ms), the
 * request is let through unlimited, and so is every request of the next
 * second, with a warning once a minute while it lasts. Rate limits protect the
 * service from a client; they must not take the API down with Redis (the
 * webhook intake never asks: it is never throttled).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: Redis & ThrottleCommands;
  private warnedAt: number | undefined;
  private backOffUntil = 0;

  constructor(private readonly config: AppConfig) {
    const redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      // Fail at once while disconnected rather than hold requests in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // A command unanswered on an open connection (a partition) would leave
      // ioredis on a dead socket until TCP gives up, minutes later: drop it
      // and reconnect instead.
      socketTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: () => 1000,
      disconnectTimeout: 200,
    });
    redis.defineCommand('throttleHit', { numberOfKeys: 2, lua: HIT });
    // Outages surface (and are reported) through increment(); this only keeps ioredis quiet.
    redis.on('error', () => undefined);
    this.redis = redis as Redis & ThrottleCommands;
  }

  /** Connects before the gateway listens, so its first requests are counted; never waits long, never fails boot. */
  async onModuleInit(): Promise<void> {
    if (this.redis.status !== 'wait') return;
    await this.redis.connect().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /** @param ttl and @param blockDuration in milliseconds, as the throttler passes them. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const unlimited = { totalHits: 0, timeToExpire: seconds(ttl), isBlocked: false, timeToBlockExpire: 0 };
    if (Date.now() < this.backOffUntil) return unlimited;
    // The hash tag keeps both keys of a client in one Redis Cluster slot.
    const base = `${this.config.redis.keyPrefix}:throttle:{${key}}`;
    try {
      const [totalHits, leftMs, blocked, blockLeftMs] = await this.redis.throttleHit(
        `${base}:hits`,
        `${base}:block`,
        Math.max(1, Math.ceil(ttl)),
        limit,
        Math.max(0, Math.ceil(blockDuration)),
      );
      this.recovered();
      return {
        totalHits,
        timeToExpire: seconds(leftMs),
        isBlocked: blocked === 1,
        timeToBlockExpire: blocked === 1 ? seconds(blockLeftMs) : 0,
      };
    } catch (err) {
      this.backOffUntil = Date.now() + BACK_OFF_MS;
      this.warn(err as Error);
      return unlimited;
    }
  }

  private warn(err: Error): void {
    const now = Date.now();
    if (this.warnedAt !== undefined && now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger.warn(`Rate limits are not enforced: Redis unavailable (${err.message})`);
  }

  private recovered(): void {
    if (this.warnedAt === undefined) return;
    this.warnedAt = undefined;
    this.logger.log('Rate limits are enforced again: Redis is back');
  }
}
