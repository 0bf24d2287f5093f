import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { DomainError, ErrorCode, type FeedAdvance } from '@app/contracts';
import { FeedListener } from '@app/messaging';
import { MirrorReader } from '@app/mirror';
import { ProjectsService } from '@app/projects';
import { Metrics } from '@app/observability';
import { PageResponseDto } from '../pages/dto/page-response.dto.js';
import { FeedHub, type FeedPage, type FeedStream } from './feed-hub.js';
import { changeFrame, SseStream, type FrameRow, type StreamEnd } from './sse-stream.js';
import { StreamSlots, type StreamSlot } from './stream-slots.js';

/** Rows per read of the feed (a replay of a large project takes several). */
const READ_PAGE = 500;

/** The user holds `STREAM_LIMIT_PER_USER` streams already (429). */
export class StreamLimitError extends DomainError {
  readonly code = ErrorCode.StreamLimit;
  constructor(
    limit: number,
    /** A closed stream's slot is free at once; one whose gateway died, after a few heartbeats. */
    readonly retryAfterSeconds: number,
  ) {
    super(`At most ${limit} change streams may be open at once for a user: close one first`);
  }
}

interface OpenStream {
  readonly projectId: string;
  readonly sse: SseStream;
  readonly slot: StreamSlot;
  feed?: FeedStream;
}

/**
 * The gateway's live change streams (docs/architecture.md, "Live changes"):
 * one `FeedHub` fed by the writers' announcements (`FeedListener`) and by a
 * timer, each stream an `SseStream` on its raw socket, a slot per stream in
 * the per-user limit, heartbeats, and the end of every stream before the
 * server closes.
 *
 * A hub feed is one project and one `filter_properties` choice (rows are
 * written out once per read for every stream that shares both).
 */
@Injectable()
export class ChangesStreams implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ChangesStreams.name);
  private readonly hub: FeedHub<FrameRow>;
  private readonly listener: FeedListener;
  private readonly streams = new Set<OpenStream>();
  /** Per project: the oldest receipt of a delivery announced and not read yet (for the lag metric). */
  private readonly unread = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly mirror: MirrorReader,
    private readonly projects: ProjectsService,
    private readonly slots: StreamSlots,
    private readonly metrics: Metrics,
  ) {
    this.hub = new FeedHub<FrameRow>((key, after) => this.read(key, after));
    this.listener = new FeedListener(config, (advance) => this.advanced(advance));
  }

  onApplicationBootstrap(): void {
    // Not awaited: a Redis that is down now is retried, and the timer serves meanwhile.
    this.listener.start().catch((err: Error) => this.logger.warn(`Feed announcements not heard yet: ${err.message}`));
    const { refreshSeconds, heartbeatSeconds } = this.config.stream;
    this.timers = [
      setInterval(() => void this.refresh(), refreshSeconds * 1000),
      setInterval(() => this.heartbeat(), heartbeatSeconds * 1000),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /**
   * Opens a stream of `projectId`'s feed after `after` on `reply` (the owner
   * and the position are checked already). Rejects with `StreamLimitError`
   * before any byte is sent when the user holds the limit.
   */
  async open(
    userId: string,
    projectId: string,
    after: string,
    select: readonly string[] | undefined,
    reply: FastifyReply,
  ): Promise<void> {
    if (this.closing) throw new ServiceUnavailableException('This gateway is shutting down: reconnect');
    const slot = await this.slots.take(userId, randomUUID());
    if (!slot) throw new StreamLimitError(this.config.stream.limitPerUser, this.config.stream.heartbeatSeconds);
    const open: OpenStream = {
      projectId,
      slot,
      sse: new SseStream(reply.raw, {
        bufferEvents: this.config.stream.bufferEvents,
        retryMs: this.config.stream.retryMs,
        onEvents: (count) => this.metrics.streamEvents.inc(count),
        onEnd: (reason) => this.ended(open, reason),
      }),
    };
    this.streams.add(open);
    this.metrics.streamsOpen.inc();
    const headers = reply.getHeaders();
    reply.hijack();
    open.sse.start(headers);
    open.feed = this.hub.open(feedKey(projectId, select), after, open.sse);
  }

  /** Ends every stream (with a retry hint: their clients reconnect to another gateway), before the server closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    this.listener.stop();
    const slots = [...this.streams].map((s) => s.slot);
    for (const stream of [...this.streams]) stream.sse.end('shutdown');
    await Promise.all(slots.map((slot) => this.slots.release(slot)));
  }

  onApplicationShutdown(): void {
    this.listener.stop();
  }

  private ended(stream: OpenStream, reason: StreamEnd): void {
    if (!this.streams.delete(stream)) return;
    stream.feed?.close();
    this.metrics.streamsOpen.dec();
    this.metrics.streamsEnded.inc({ reason });
    if (!this.closing) void this.slots.release(stream.slot);
  }

  private advanced({ projectId, receivedAt }: FeedAdvance): void {
    if (receivedAt !== undefined) {
      const known = this.unread.get(projectId);
      if (known === undefined || receivedAt < known) this.unread.set(projectId, receivedAt);
    }
    for (const key of this.hub.projectIds()) {
      if (projectOf(key) === projectId) this.hub.wake(key);
    }
    // Nobody here streams this project: its lag is not ours to measure.
    if (!this.hub.projectIds().some((key) => projectOf(key) === projectId)) this.unread.delete(projectId);
  }

  /**
   * The timer: a lost announcement delays events by at most this period. It
   * also ends the streams of deleted projects (an `end` event, reason
   * `deleted`: the client's reconnect then gets 404), in one query.
   */
  private async refresh(): Promise<void> {
    for (const key of this.hub.projectIds()) this.hub.wake(key);
    const projectIds = [...new Set([...this.streams].map((s) => s.projectId))];
    try {
      const existing = await this.projects.existing(projectIds);
      for (const stream of [...this.streams]) {
        if (!existing.has(stream.projectId)) stream.sse.end('deleted');
      }
    } catch (err) {
      this.logger.debug(`Deleted projects' streams not checked: ${(err as Error).message}`);
    }
  }

  private heartbeat(): void {
    for (const stream of this.streams) stream.sse.heartbeat();
    void this.slots.renew([...this.streams].map((s) => s.slot));
  }

  /** One read of a feed: rows written out once, for every stream of the feed. */
  private async read(key: string, after: string): Promise<FeedPage<FrameRow>> {
    const projectId = projectOf(key);
    const select = selectOf(key);
    const page = await this.mirror.changes(projectId, after, READ_PAGE, select);
    if (page.items.length > 0) {
      const receivedAt = this.unread.get(projectId);
      if (receivedAt !== undefined) {
        this.unread.delete(projectId);
        this.metrics.webhookToEventLag.observe(Math.max(0, (Date.now() - receivedAt) / 1000));
      }
    }
    return {
      items: page.items.map((view) => ({
        version: view.version,
        frame: changeFrame(view.version, PageResponseDto.from(view)),
      })),
      nextAfter: page.nextAfter,
      hasMore: page.hasMore,
    };
  }
}

/** A hub feed: the project, and the properties its streams asked for (none: all). */
function feedKey(projectId: string, select: readonly string[] | undefined): string {
  return select?.length ? `${projectId} ${JSON.stringify(select)}` : projectId;
}

const projectOf = (key: string): string => key.split(' ', 1)[0]!;

function selectOf(key: string): string[] | undefined {
  const space = key.indexOf(' ');
  return space === -1 ? undefined : (JSON.parse(key.slice(space + 1)) as string[]);
}
