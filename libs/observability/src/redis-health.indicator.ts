import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { redisConnectionOptions } from '@app/messaging';

/** Pings Redis on a small connection of its own, with a bounded wait. */
@Injectable()
export class RedisHealthIndicator implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    config: AppConfig,
    private readonly health: HealthIndicatorService,
  ) {
    this.redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      // connectTimeout does not cover a Redis that stops answering on an open
      // connection: without this, PING (and so /health/ready) would hang.
      commandTimeout: 1000,
      retryStrategy: () => 1000,
    });
    // Errors surface through ping(); this only stops ioredis from logging them.
    this.redis.on('error', () => undefined);
  }

  /** @param required when false, a down Redis is reported as degraded, not down. */
  async check(key: string, required: boolean) {
    const indicator = this.health.check(key);
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      await this.redis.ping();
      return indicator.up();
    } catch (err) {
      const message = (err as Error).message;
      return required ? indicator.down({ message }) : indicator.degraded({ message });
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
