import type { ServerResponse } from 'node:http';
import type { FeedRow, FeedSink } from './feed-hub.js';

/** A change-feed row with its event already written out (once per read, shared by every stream). */
export interface FrameRow extends FeedRow {
  readonly frame: string;
}

/** Why a stream ended. */
export type StreamEnd = 'client' | 'slow' | 'error' | 'shutdown' | 'deleted';

/** The Server-Sent Events frame of one change (`id:` its version, so a reconnect resumes after it). */
export function changeFrame(version: string, row: unknown): string {
  return `id: ${version}\nevent: change\ndata: ${JSON.stringify(row)}\n\n`;
}

/** The headers of a change stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and others buffer responses unless told not to.
  'x-accel-buffering': 'no',
} as const;

/** The whole answer of a stream refused because the gateway shuts down: an end, and when to come back (elsewhere). */
export function shutdownAnswer(retryMs: number): string {
  return `retry: ${retryMs}\n\n${endFrame('shutdown', retryMs)}`;
}

function endFrame(reason: StreamEnd, retryMs: number): string {
  return `event: end\ndata: ${JSON.stringify({ reason })}\nretry: ${retryMs}\n\n`;
}

/** Each read's rows, encoded once for all the streams that take them whole. */
const encoded = new WeakMap<readonly FrameRow[], Buffer>();

function encode(rows: readonly FrameRow[]): Buffer {
  let bytes = encoded.get(rows);
  if (!bytes) {
    bytes = Buffer.from(rows.map((row) => row.frame).join(''));
    encoded.set(rows, bytes);
  }
  return bytes;
}

/**
 * One client's change stream on the raw socket: Nest's `@Sse` numbers events
 * itself and hides back-pressure, so the stream writes Server-Sent Events by
 * hand. A write that fills the socket's buffer is taken whole; until the
 * socket drains, the events sent after it are counted, and past
 * `bufferEvents` the stream answers false (the hub drops it, and it is cut:
 * its client resumes from its last id). The replay waits for the drain
 * (`ready`) between its reads, so a large replay is paced by its reader, not
 * cut.
 */
export class SseStream implements FeedSink<FrameRow> {
  /** Events sent since the socket's buffer filled. */
  private backlog = 0;
  /** The socket's buffer is full since `at`: resolved at the drain. */
  private full?: { readonly drained: Promise<void>; readonly resolve: () => void; readonly at: number };
  private ended = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly options: {
      readonly bufferEvents: number;
      readonly retryMs: number;
      readonly onEvents: (count: number) => void;
      readonly onEnd: (reason: StreamEnd) => void;
    },
  ) {
    raw.on('drain', () => this.drained());
    // The client went away (or the socket failed): the hub must forget the stream.
    raw.on('close', () => {
      this.drained();
      this.finish('client');
    });
  }

  /** Sends the head: 200, the SSE headers (`headers` are the reply's, CORS among them) and the retry hint. */
  start(headers: Record<string, string | number | string[] | undefined>): void {
    this.raw.writeHead(200, { ...headers, ...SSE_HEADERS, connection: 'keep-alive' });
    this.raw.write(`retry: ${this.options.retryMs}\n\n`);
  }

  send(rows: readonly FrameRow[]): boolean {
    if (this.ended) return false;
    if (this.full) {
      this.backlog += rows.length;
      if (this.backlog > this.options.bufferEvents) return false;
    }
    if (!this.raw.write(encode(rows)) && !this.full) {
      let resolve!: () => void;
      const drained = new Promise<void>((done) => (resolve = done));
      this.full = { drained, resolve, at: Date.now() };
    }
    this.options.onEvents(rows.length);
    return true;
  }

  /** Resolves once the socket can take more (at once when it can now). */
  ready(): Promise<void> {
    return this.full?.drained ?? Promise.resolve();
  }

  /** The replay is done: the stream is live from `version`. */
  live(version: string): void {
    if (!this.ended) this.raw.write(`event: live\ndata: ${JSON.stringify({ version })}\n\n`);
  }

  /**
   * A comment line, so that proxies and clients see the connection alive. A
   * stream whose socket has not drained for `stalledMs` is cut (a client that
   * stopped reading during its replay, or with nothing new to fall behind on).
   */
  heartbeat(stalledMs: number, now = Date.now()): void {
    if (this.ended) return;
    if (!this.full) this.raw.write(': heartbeat\n\n');
    else if (now - this.full.at >= stalledMs) this.end('slow');
  }

  /** The hub dropped the stream. */
  closed(reason: 'slow' | 'error'): void {
    this.end(reason);
  }

  /** Ends the stream from our side, telling the client why and when to come back. */
  end(reason: Exclude<StreamEnd, 'client'>): void {
    if (this.ended) return;
    if (reason === 'slow' || this.full) {
      // Its socket is full: a last frame would wait behind the backlog (and hold a shutdown up). Cut it.
      this.raw.destroy();
    } else {
      this.raw.end(endFrame(reason, this.options.retryMs));
    }
    this.finish(reason);
  }

  private drained(): void {
    this.backlog = 0;
    this.full?.resolve();
    this.full = undefined;
  }

  private finish(reason: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.options.onEnd(reason);
  }
}
