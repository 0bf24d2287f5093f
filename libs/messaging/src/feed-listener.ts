import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '@app/config';
import { FEED_ADVANCED_CHANNEL, type FeedAdvance } from '@app/contracts';
import { reportOutagesOnce } from './outages.js';
import { reconnectForever, redisConnectionOptions } from './redis-connection.js';

/**
 * A gateway's one subscriber to the writers' announcements (`FeedAnnouncer`):
 * calls `onAdvance` for every project a message names. Reconnects forever and
 * subscribes again (ioredis does both); what is published meanwhile is lost,
 * so `resubscribed` is called after each reconnect (the streams read their
 * feeds), and the streams' timer covers the rest. A malformed message is ignored.
 */
export class FeedListener {
  private readonly logger = new Logger(FeedListener.name);
  private readonly redis: Redis;
  private readonly channel: string;

  constructor(
    config: AppConfig,
    onAdvance: (advance: FeedAdvance) => void,
    options: { readonly resubscribed?: () => void } = {},
  ) {
    this.channel = config.redis.channelPrefix + FEED_ADVANCED_CHANNEL;
    this.redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: reconnectForever,
    });
    reportOutagesOnce(this.redis, this.logger);
    // ioredis subscribes again on each reconnect; what was published meanwhile is lost.
    let connections = 0;
    this.redis.on('ready', () => {
      if (connections++ > 0) options.resubscribed?.();
    });
    this.redis.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      for (const advance of parseMessage(text)) onAdvance(advance);
    });
  }

  /** Subscribes; resolves once subscribed, or rejects when Redis does not answer (the timer still works). */
  async start(): Promise<void> {
    await this.redis.subscribe(this.channel);
  }

  stop(): void {
    this.redis.disconnect();
  }
}

/** The projects a message names, checked by shape (anything else on the channel is ignored). */
export function parseMessage(text: string): FeedAdvance[] {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return [];
  }
  const projects = (message as { projects?: unknown } | null)?.projects;
  if (!Array.isArray(projects)) return [];
  const advances: FeedAdvance[] = [];
  for (const entry of projects as unknown[]) {
    const { projectId, receivedAt } = (entry ?? {}) as Record<string, unknown>;
    if (typeof projectId !== 'string') continue;
    advances.push(typeof receivedAt === 'number' ? { projectId, receivedAt } : { projectId });
  }
  return advances;
}
