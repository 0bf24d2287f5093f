import { connect, createServer, type Server, type Socket } from 'node:net';

export type CutMode = 'partition' | 'blackhole' | 'refuse';

interface Pair {
  readonly client: Socket;
  upstream?: Socket;
  /** Set by a partition: bytes are dropped from then on, in both directions. */
  dropped: boolean;
}

/**
 * A TCP proxy on loopback that a fault test can cut, so it can take Postgres
 * (or Redis, or anything) away from an app without touching the machine's
 * shared server.
 *
 * - `cut('partition')`: existing connections stay open but every byte is
 *   dropped from now on, and new connections are accepted but never answered.
 *   The nastiest case: the client sees nothing, not even a close, and only its
 *   own timeouts help. Connections partitioned stay dead after `restore()`.
 * - `cut('blackhole')`: existing connections are closed; new ones hang.
 * - `cut('refuse')`: existing and new connections are reset at once.
 * - `restore()`: new connections are forwarded again.
 */
export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<Pair>();
  private mode: 'forward' | CutMode = 'forward';

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Starts listening on an ephemeral port of 127.0.0.1; returns that port. */
  async start(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', resolve);
    });
    return this.port;
  }

  get port(): number {
    return (this.server!.address() as { port: number }).port;
  }

  cut(mode: CutMode = 'partition'): void {
    this.mode = mode;
    for (const pair of this.pairs) {
      if (mode === 'partition') pair.dropped = true;
      else this.destroy(pair);
    }
  }

  restore(): void {
    this.mode = 'forward';
  }

  async close(): Promise<void> {
    this.cut('refuse');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, dropped: this.mode !== 'forward' };
    this.pairs.add(pair);
    client.on('close', () => this.destroy(pair));
    if (pair.dropped) return; // accepted, never answered
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.destroy(pair));
    client.on('data', (chunk) => pair.dropped || upstream.write(chunk));
    upstream.on('data', (chunk) => pair.dropped || client.write(chunk));
  }

  private destroy(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
