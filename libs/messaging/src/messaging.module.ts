import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { EVENT_BUS_CLIENT, EventBus } from './event-bus.js';
import { JobQueue } from './job-queue.js';
import { PageFetchWindow } from './page-fetch-window.js';
import { PrefixedRedisClient, redisClientOptions } from './prefixed-redis.transport.js';
import { bullConnection } from './redis-connection.js';

/**
 * BullMQ's root connection, every queue named in the contracts, and the
 * per-page fetch window both workers share (global).
 */
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...bullConnection(config.redis),
            defaultJobOptions: {
              attempts: config.jobs.attempts,
              backoff: { type: 'exponential', delay: config.jobs.backoffMs, jitter: 0.5 },
              // Redis runs with noeviction: keep a bounded history.
              removeOnComplete: { age: 3600, count: 1000 },
              removeOnFail: { count: config.jobs.failedKeep },
            },
          }),
        }),
        ...Object.values(QueueName).map((name) => BullModule.registerQueue({ name })),
      ],
      providers: [JobQueue, PageFetchWindow],
      exports: [JobQueue, PageFetchWindow, BullModule],
    };
  }
}

/** The typed publisher for the Redis transport (global). */
@Module({})
export class EventBusModule {
  static forRoot(): DynamicModule {
    return {
      module: EventBusModule,
      global: true,
      providers: [
        {
          provide: EVENT_BUS_CLIENT,
          inject: [AppConfig],
          useFactory: (config: AppConfig) =>
            new PrefixedRedisClient(config.redis.channelPrefix, redisClientOptions(config)),
        },
        EventBus,
      ],
      exports: [EventBus],
    };
  }
}
