import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { boundedRedisOptions, reportOutagesOnce } from '@app/messaging';

/** A slot is held while renewed: one missed renewal more than this many heartbeats frees it. */
const STALE_HEARTBEATS = 3;

/** Redis's clock in ms: every gateway's slots are scored on one clock, so a skewed gateway evicts nothing live. */
const NOW = `local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/**
 * Takes a slot if the user holds fewer than the limit: drops the user's stale
 * slots (a gateway that died renews nothing), counts, adds. One script, so two
 * gateways opening at once cannot both take the last slot.
 * KEYS[1] the user's set; ARGV: stale after ms, limit, slot id, key TTL s.
 */
const TAKE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * Renews a slot of a stream still open, adding it back if Redis lost it (a
 * restart, an outage, a stream opened while Redis was down): the count
 * reflects the streams that are open. KEYS[1] the user's set; ARGV: slot id, key TTL s.
 */
const RENEW = `${NOW}
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

interface SlotCommands {
  takeStreamSlot(key: string, staleMs: number, limit: number, slot: string, ttl: number): Promise<number>;
  renewStreamSlot(key: string, slot: string, ttl: number): Promise<number>;
}

/** An open stream's slot. */
export interface StreamSlot {
  readonly userId: string;
  readonly id: string;
}

/**
 * The per-user limit of open streams across every gateway
 * (`STREAM_LIMIT_PER_USER`; docs/architecture.md, "Live changes"): a Redis
 * sorted set per user of slot ids scored by their last renewal, renewed with
 * the heartbeats (one pipeline for all of a gateway's streams), so a gateway
 * that dies leaves no count behind for long. When Redis cannot be asked the
 * stream opens anyway (logged): the limit is about fairness between a user's
 * clients, and the stream's own reads go to Postgres.
 */
@Injectable()
export class StreamSlots implements OnApplicationShutdown {
  private readonly logger = new Logger(StreamSlots.name);
  private readonly redis: Redis & SlotCommands;
  private readonly staleMs: number;
  private readonly ttlSeconds: number;

  constructor(private readonly config: AppConfig) {
    const redis = new Redis(boundedRedisOptions(config.redis.url));
    redis.defineCommand('takeStreamSlot', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('renewStreamSlot', { numberOfKeys: 1, lua: RENEW });
    reportOutagesOnce(redis, this.logger);
    this.redis = redis as Redis & SlotCommands;
    this.staleMs = config.stream.heartbeatSeconds * 1000 * STALE_HEARTBEATS;
    this.ttlSeconds = Math.ceil(this.staleMs / 1000) + 1;
  }

  /** The user's new slot, or undefined when the user holds the limit. */
  async take(userId: string, id: string): Promise<StreamSlot | undefined> {
    try {
      const taken = await this.redis.takeStreamSlot(
        this.keyFor(userId),
        this.staleMs,
        this.config.stream.limitPerUser,
        id,
        this.ttlSeconds,
      );
      return taken === 1 ? { userId, id } : undefined;
    } catch (err) {
      this.logger.warn({
        msg: 'Stream limit unavailable; opening the stream unchecked',
        reason: (err as Error).message,
      });
      return { userId, id };
    }
  }

  /** Renews the slots of the streams still open (with the heartbeats). */
  async renew(slots: readonly StreamSlot[]): Promise<void> {
    if (slots.length === 0) return;
    // One round trip; a closed stream is released on this same connection and never renewed after.
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      renewStreamSlot(key: string, slot: string, ttl: number): unknown;
    };
    for (const slot of slots) pipeline.renewStreamSlot(this.keyFor(slot.userId), slot.id, this.ttlSeconds);
    await pipeline.exec().catch((err: Error) => this.logger.debug(`Stream slots not renewed: ${err.message}`));
  }

  /** Frees a slot (never rejects: a slot not freed goes stale). */
  async release(slot: StreamSlot): Promise<void> {
    await this.redis.zrem(this.keyFor(slot.userId), slot.id).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  private keyFor(userId: string): string {
    // The user id is the token's `sub` (up to 255 characters, any but control characters): fine in a key.
    return `${this.config.redis.keyPrefix}:stream-slots:${userId}`;
  }
}
