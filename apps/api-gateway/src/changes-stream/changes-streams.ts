import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { DomainError, ErrorCode, type FeedAdvance } from '@app/contracts';
import { FeedListener } from '@app/messaging';
import { MirrorReader } from '@app/mirror';
import { Metrics } from '@app/observability';
import { ProjectsService } from '@app/projects';
import { PageResponseDto } from '../pages/dto/page-response.dto.js';
import { FeedHub, type FeedPage, type FeedStream } from './feed-hub.js';
import { changeFrame, shutdownAnswer, SSE_HEADERS, SseStream, type FrameRow, type StreamEnd } from './sse-stream.js';
import { StreamSlots, type StreamSlot } from './stream-slots.js';

/** Rows per read of the feed (a replay of a large project takes several). */
const READ_PAGE = 500;
/** A stream whose socket has not drained for this many heartbeats is cut. */
const STALLED_HEARTBEATS = 2;

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
  readonly key: string;
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
export class ChangesStreams implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChangesStreams.name);
  private readonly hub: FeedHub<FrameRow>;
  private readonly listener: FeedListener;
  private readonly streams = new Set<OpenStream>();
  /** Per project, the hub feeds of its streams here. */
  private readonly feeds = new Map<string, Set<string>>();
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
    this.hub = new FeedHub<FrameRow>((key, after) => this.read(key, after), {
      failed: (key, err) => this.readFailed(key, err),
    });
    this.listener = new FeedListener(config, (advance) => this.advanced(advance), {
      // Announcements were lost while the subscription was down: read every feed.
      resubscribed: () => this.wakeAll(),
    });
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
    // HEAD: the head a GET would have, without a stream (Node sends a HEAD's headers only at its end).
    if (reply.request.method === 'HEAD') return void reply.status(200).headers(SSE_HEADERS).send();
    if (this.closing) return this.refuseClosing(reply);
    const slot = await this.slots.take(userId, randomUUID());
    if (!slot) throw new StreamLimitError(this.config.stream.limitPerUser, this.config.stream.heartbeatSeconds);
    // Shutdown began, or the client left, while the slot was taken: there is no stream to start.
    if (this.closing || gone(reply)) {
      await this.slots.release(slot);
      return this.closing ? this.refuseClosing(reply) : undefined;
    }
    const key = feedKey(projectId, select);
    const open: OpenStream = {
      projectId,
      key,
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
    const keys = this.feeds.get(projectId) ?? new Set<string>();
    this.feeds.set(projectId, keys.add(key));
    const headers = reply.getHeaders();
    reply.hijack();
    open.sse.start(headers);
    open.feed = this.hub.open(key, after, open.sse);
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

  /** A stream asked for while shutting down: 200, an end and a retry hint, so an EventSource reconnects (elsewhere). */
  private refuseClosing(reply: FastifyReply): void {
    void reply.status(200).headers(SSE_HEADERS).send(shutdownAnswer(this.config.stream.retryMs));
  }

  private ended(stream: OpenStream, reason: StreamEnd): void {
    if (!this.streams.delete(stream)) return;
    stream.feed?.close();
    if (this.hub.size(stream.key) === 0) {
      const keys = this.feeds.get(stream.projectId);
      keys?.delete(stream.key);
      if (keys?.size === 0) {
        this.feeds.delete(stream.projectId);
        this.unread.delete(stream.projectId);
      }
    }
    this.metrics.streamsOpen.dec();
    this.metrics.streamsEnded.inc({ reason });
    if (!this.closing) void this.slots.release(stream.slot);
  }

  private advanced({ projectId, receivedAt }: FeedAdvance): void {
    const keys = this.feeds.get(projectId);
    // Nobody here streams this project.
    if (!keys) return;
    if (receivedAt !== undefined) {
      const known = this.unread.get(projectId);
      if (known === undefined || receivedAt < known) this.unread.set(projectId, receivedAt);
    }
    for (const key of keys) this.hub.wake(key);
  }

  private wakeAll(): void {
    for (const keys of this.feeds.values()) for (const key of keys) this.hub.wake(key);
  }

  /**
   * The timer: a lost announcement delays events by at most this period.
   * One query says which streamed projects moved past their feeds' positions
   * (only those feeds are read) and one which still exist: a deleted
   * project's streams end (`event: end`, reason `deleted`; the client's
   * reconnect then gets 404).
   */
  private async refresh(): Promise<void> {
    const projectIds = [...this.feeds.keys()];
    if (projectIds.length === 0) return;
    try {
      const [heads, existing] = await Promise.all([this.mirror.heads(projectIds), this.projects.existing(projectIds)]);
      for (const [projectId, keys] of this.feeds) {
        const head = heads.get(projectId);
        for (const key of keys) {
          const position = this.hub.head(key);
          if (head !== undefined && (position === undefined || BigInt(head) > position)) this.hub.wake(key);
        }
      }
      for (const stream of [...this.streams]) {
        if (!existing.has(stream.projectId)) stream.sse.end('deleted');
      }
    } catch (err) {
      // Read every feed then, as announcements would.
      this.logger.warn(`Stream refresh could not ask for the feeds' heads: ${(err as Error).message}`);
      this.wakeAll();
    }
  }

  private heartbeat(): void {
    const stalledMs = this.config.stream.heartbeatSeconds * 1000 * STALLED_HEARTBEATS;
    for (const stream of [...this.streams]) stream.sse.heartbeat(stalledMs);
    void this.slots.renew([...this.streams].map((s) => s.slot));
  }

  /** One read of a feed: rows written out once, for every stream of the feed. */
  private async read(key: string, after: string): Promise<FeedPage<FrameRow>> {
    const projectId = projectOf(key);
    const page = await this.mirror.changes(projectId, after, READ_PAGE, selectOf(key));
    // A delivery's receipt is settled by the first read after it (an announced write that made no
    // new version leaves nothing to send: it must not count against the next change, hours later).
    const receivedAt = this.unread.get(projectId);
    if (receivedAt !== undefined) {
      this.unread.delete(projectId);
      if (page.items.length > 0) this.metrics.webhookToEventLag.observe(Math.max(0, (Date.now() - receivedAt) / 1000));
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

  /** A domain error (a property of the selection renamed away, the project gone) will not heal: end the streams. */
  private readFailed(key: string, err: unknown): 'fatal' | 'retry' {
    const fatal = err instanceof DomainError;
    this.logger.warn({
      msg: fatal ? 'Change stream feed cannot be read: ending its streams' : 'Change stream feed read failed',
      projectId: projectOf(key),
      reason: (err as Error)?.message,
    });
    return fatal ? 'fatal' : 'retry';
  }
}

/** The client left before its stream started (its socket closed while the checks ran). */
function gone(reply: FastifyReply): boolean {
  const socket = reply.raw.socket;
  return reply.raw.destroyed || !socket || socket.destroyed || !socket.writable;
}

/** A hub feed: the project, and the properties its streams asked for (none: all), in one order. */
function feedKey(projectId: string, select: readonly string[] | undefined): string {
  return select?.length ? `${projectId} ${JSON.stringify([...new Set(select)].sort())}` : projectId;
}

const projectOf = (key: string): string => key.split(' ', 1)[0]!;

function selectOf(key: string): string[] | undefined {
  const space = key.indexOf(' ');
  return space === -1 ? undefined : (JSON.parse(key.slice(space + 1)) as string[]);
}
