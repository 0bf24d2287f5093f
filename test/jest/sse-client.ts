import { request, type IncomingMessage } from 'node:http';

/** One Server-Sent Event as received. */
export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
  readonly retry?: number;
}

/**
 * A Server-Sent Events client for specs, on node:http so a spec controls the
 * socket: `pause()` stops reading (a slow client), `close()` goes away.
 * Parses the stream as the SSE standard does (fields per line, events at a
 * blank line, comments kept apart).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** A non-200 answer's body (problem+json), parsed. */
  problem?: Record<string, unknown>;
  private ended = false;
  private readonly endWaiters: Array<() => void> = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    private readonly response: IncomingMessage,
  ) {}

  /** Opens `url` (GET); resolves once the answer's head arrived (and, for a non-200, its body). */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
        const client = new SseClient(res.statusCode ?? 0, res.headers, res);
        if (client.status !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            client.problem = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
            resolve(client);
          });
          return;
        }
        client.listen();
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The `change` events' ids, in arrival order. */
  ids(): string[] {
    return this.events.filter((e) => e.event === 'change').map((e) => e.id!);
  }

  /** The `change` events' rows. */
  rows<T = Record<string, unknown>>(): T[] {
    return this.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as T);
  }

  isEnded(): boolean {
    return this.ended;
  }

  /** Resolves when `check()` holds (checked on every event), or rejects after `timeoutMs`. */
  waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves when the server ended the stream. */
  end(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((resolve) => this.endWaiters.push(resolve));
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.response.destroy();
  }

  private listen(): void {
    let buffer = '';
    let fields: { id?: string; event?: string; data: string[]; retry?: number } = { data: [] };
    this.response.setEncoding('utf8');
    this.response.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (fields.data.length || fields.event || fields.retry !== undefined) {
            this.events.push({
              ...(fields.id !== undefined && { id: fields.id }),
              // A block with only `retry:` dispatches no event in a browser; kept here to check the hint.
              event: fields.event ?? (fields.data.length ? 'message' : 'retry'),
              data: fields.data.join('\n'),
              ...(fields.retry !== undefined && { retry: fields.retry }),
            });
          }
          fields = { data: [] };
        } else if (line.startsWith(':')) {
          this.comments++;
        } else {
          const colon = line.indexOf(':');
          const name = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (name === 'id') fields.id = value;
          else if (name === 'event') fields.event = value;
          else if (name === 'data') fields.data.push(value);
          else if (name === 'retry') fields.retry = Number(value);
        }
      }
      for (const waiter of [...this.waiters]) waiter();
    });
    const finish = () => {
      if (this.ended) return;
      this.ended = true;
      for (const waiter of [...this.waiters]) waiter();
      for (const resolve of this.endWaiters.splice(0)) resolve();
    };
    this.response.on('end', finish);
    this.response.on('close', finish);
    this.response.on('error', finish);
  }
}
