import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

export type AppName = 'api-gateway' | 'event-worker' | 'job-worker';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where `npm run build` puts each app's entry point (see package.json `start:*`). */
export const APP_ENTRY: Readonly<Record<AppName, string>> = {
  'api-gateway': 'dist/apps/api-gateway/apps/api-gateway/src/main.js',
  'event-worker': 'dist/apps/event-worker/apps/event-worker/src/main.js',
  'job-worker': 'dist/apps/job-worker/apps/job-worker/src/main.js',
};

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** pino's numeric levels: 50 is error, 60 fatal. */
const ERROR_LEVEL = 50;

/**
 * One built app running as a real process, with its output captured, so a test
 * can wait for it, signal it, kill it, and read what it logged.
 */
export class AppProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  private constructor(
    readonly name: AppName,
    env: Readonly<Record<string, string | undefined>>,
    cwd: string,
  ) {
    this.child = spawn(process.execPath, [APP_ENTRY[name]], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        this.lines.push(...parts);
      });
      stream.on('end', () => partial && this.lines.push(partial));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * @param env the whole environment of the process (pass the test's own plus overrides).
   * @param root the checkout whose build to run (a copy of this one, say).
   */
  static start(name: AppName, env: Readonly<Record<string, string | undefined>>, root = REPO_ROOT): AppProcess {
    return new AppProcess(name, env, root);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `GET /health/ready` on `port` answers 200. */
  async waitForReady(port: number, timeoutMs = 30_000): Promise<void> {
    // An exit ends the wait at once (waitFor would take a thrown error for "not yet").
    const outcome = await waitFor(
      async () => {
        if (!this.running) return 'exited' as const;
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return res.status === 200 ? ('ready' as const) : false;
      },
      { timeoutMs, intervalMs: 200, what: `${this.name} ready on port ${port}` },
    );
    if (outcome === 'exited') throw new Error(`${this.name} exited before it was ready:\n${this.output()}`);
  }

  /** Sends `signal` and resolves with the exit; SIGKILLs after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Log lines at error level or above (JSON lines; anything unparsable that says ERROR counts too). */
  errorLines(): string[] {
    return this.lines.filter((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number };
        return typeof entry.level === 'number' && entry.level >= ERROR_LEVEL;
      } catch {
        return /\bERROR\b/.test(line);
      }
    });
  }

  output(): string {
    return this.lines.join('\n');
  }
}
