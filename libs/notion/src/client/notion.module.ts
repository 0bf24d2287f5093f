import { Module } from '@nestjs/common';
import { NotionClientFactory } from './notion-client.factory.js';
import { NotionRateLimiter } from './notion-rate-limiter.js';

/**
 * Notion API access: the client factory and the rate limiter it paces every
 * request with. Needs `ConfigModule.forRoot()` and `MetricsModule.forRoot()`
 * (it counts every request in `notion_requests_total`) in the app; the limiter opens
 * its own Redis connection on first use and closes it at shutdown.
 */
@Module({
  providers: [NotionRateLimiter, NotionClientFactory],
  exports: [NotionClientFactory, NotionRateLimiter],
})
export class NotionModule {}
