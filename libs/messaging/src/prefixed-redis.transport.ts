import type { Redis } from 'ioredis';
import {
  ClientRedis,
  ServerRedis,
  type MessageHandler,
  type MsPattern,
  type RedisOptions,
} from '@nestjs/microservices';
import type { AppConfig } from '@app/config';
import { reportOutagesOnce } from './outages.js';
import { redisConnectionOptions } from './redis-connection.js';

type RedisTransportOptions = NonNullable<RedisOptions['options']>;

/**
 * Redis pub/sub channels are global to a server: database numbers and key
 * prefixes do not separate them. These two classes put `REDIS_CHANNEL_PREFIX`
 * in front of every channel, so deployments and test runs sharing a Redis
 * never hear each other's events.
 */
export class PrefixedRedisServer extends ServerRedis {
  constructor(
    private readonly channelPrefix: string,
    options: RedisTransportOptions,
  ) {
    super(options);
  }

  // Handlers are stored (and so subscribed and looked up) under the prefixed name.
  override addHandler(
    pattern: MsPattern,
    callback: MessageHandler,
    isEventHandler?: boolean,
    extras?: Record<string, unknown>,
  ): void {
    super.addHandler(this.channelPrefix + this.normalizePattern(pattern), callback, isEventHandler, extras);
  }

  // Nest logs every failed reconnect at error level with a stack, once a second.
  override registerErrorListener(client: Redis): void {
    reportOutagesOnce(client, { warn: (m) => this.logger.warn?.(m), log: (m) => this.logger.log(m) });
  }
}

export class PrefixedRedisClient extends ClientRedis {
  constructor(
    private readonly channelPrefix: string,
    options: RedisTransportOptions,
  ) {
    super(options);
  }

  protected override normalizePattern(pattern: MsPattern): string {
    return this.channelPrefix + super.normalizePattern(pattern);
  }

  override registerErrorListener(client: Redis): void {
    reportOutagesOnce(client, this.logger);
  }
}

/**
 * Options for the subscribing end (the event-worker). Nest's Redis transport
 * stops reconnecting after `retryAttempts` (and by default never retries), so
 * retry forever: a Redis restart must not leave a worker deaf.
 */
export function redisServerOptions(config: AppConfig): RedisTransportOptions {
  return {
    ...redisConnectionOptions(config.redis.url),
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: 1000,
  };
}

/**
 * Options for the publishing end (the gateway). Emits are fire-and-forget after
 * the inbox commit: while Redis is down they must fail at once rather than pile
 * up in memory, because the relay re-dispatches from Postgres.
 */
export function redisClientOptions(config: AppConfig): RedisTransportOptions {
  return { ...redisServerOptions(config), enableOfflineQueue: false };
}
