export { EVENT_BUS_CLIENT, EventBus } from './event-bus.js';
export { FeedAnnouncer } from './feed-announcer.js';
export { FeedListener } from './feed-listener.js';
export { JobQueue } from './job-queue.js';
export { EventBusModule, QueueModule } from './messaging.module.js';
export { reportOutagesOnce } from './outages.js';
export { PageFetchWindow, type FetchKind } from './page-fetch-window.js';
export {
  PrefixedRedisClient,
  PrefixedRedisServer,
  redisClientOptions,
  redisServerOptions,
} from './prefixed-redis.transport.js';
export { boundedRedisOptions, bullConnection, redisConnectionOptions, type RedisEndpoint } from './redis-connection.js';
