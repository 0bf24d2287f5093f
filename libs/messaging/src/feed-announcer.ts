import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { FEED_ADVANCED_CHANNEL, type FeedAdvance, type FeedAdvancedMessage } from '@app/contracts';
import { reportOutagesOnce } from './outages.js';
import { boundedRedisOptions } from './redis-connection.js';

/** How long an announcement may wait for others to share its publish. */
export const FEED_ANNOUNCE_WINDOW_MS = 2;
/** Projects per message at most: a full batch goes at once. */
const MAX_PROJECTS = 200;

/**
 * Tells the gateways that projects' change feeds advanced (issue 15;
 * docs/architecture.md, "Live changes"), so their live streams read the feed
 * now instead of at their next timer. Called by the mirror's writers after
 * each commit that wrote versions; a few milliseconds' worth of commits go in
 * one publish, one entry per project (the oldest delivery's receipt kept).
 *
 * Fire and forget on a connection of its own, opened on the first
 * announcement (apps that never write the mirror open none): a message lost
 * (Redis down, a crash inside the window, a gateway reconnecting) delays the
 * events until the streams' timer re-reads the feed, and loses nothing, since
 * the feed in Postgres is what the streams send.
 */
@Injectable()
export class FeedAnnouncer implements OnApplicationShutdown {
  private readonly logger = new Logger(FeedAnnouncer.name);
  private readonly channel: string;
  private redis?: Redis;
  private pending = new Map<string, number | undefined>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly config: AppConfig) {
    this.channel = config.redis.channelPrefix + FEED_ADVANCED_CHANNEL;
  }

  /**
   * `projectId`'s feed advanced (call after the commit).
   * @param receivedAt epoch ms of the oldest webhook delivery the commit settled, if any
   */
  advanced(projectId: string, receivedAt?: number): void {
    const known = this.pending.get(projectId);
    const oldest = known === undefined ? receivedAt : receivedAt === undefined ? known : Math.min(known, receivedAt);
    this.pending.set(projectId, oldest);
    if (this.pending.size >= MAX_PROJECTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FEED_ANNOUNCE_WINDOW_MS);
  }

  /** Publishes what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const projects: FeedAdvance[] = [...this.pending].map(([projectId, receivedAt]) =>
      receivedAt === undefined ? { projectId } : { projectId, receivedAt },
    );
    this.pending = new Map();
    const message: FeedAdvancedMessage = { projects };
    this.connection()
      .publish(this.channel, JSON.stringify(message))
      .catch((err: Error) => this.logger.debug(`Feed announcement dropped: ${err.message}`));
  }

  onApplicationShutdown(): void {
    this.flush();
    // disconnect() would drop the publish just written; quit() sends it first.
    this.redis?.quit().catch(() => this.redis?.disconnect());
  }

  private connection(): Redis {
    if (!this.redis) {
      // Bounded: while Redis is down a publish waits at most the command timeout, then is dropped.
      this.redis = new Redis(boundedRedisOptions(this.config.redis.url));
      reportOutagesOnce(this.redis, this.logger);
    }
    return this.redis;
  }
}
