import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/**
 * A `redis-server` of the test's own on a free loopback port, which the test
 * may stop and start at will (the machine's shared Redis is never touched).
 * Keeps nothing on disk, so a restart also shows what losing Redis data does.
 */
export class ThrowawayRedis {
  private process?: ChildProcess;
  port = 0;

  constructor(private readonly binary = 'redis-server') {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts the server (on the same port as before, after a stop); a no-op while it runs. */
  async start(): Promise<this> {
    if (this.running) return this;
    if (!this.port) this.port = await freePort();
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    // Never outlive the test process, even when it dies mid-suite.
    process.once('exit', () => child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`cannot start ${this.binary}: ${err.message}`)));
    });
    await waitFor(() => this.ping(), { timeoutMs: 10_000, what: `throwaway Redis on port ${this.port}` });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.process = undefined;
  }

  private async ping(): Promise<boolean> {
    const client = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }
}
