import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '@app/testing';

/**
 * A command run the way a terminal runs it: in a process group of its own,
 * which Ctrl-C signals as a whole (`npm` does not pass a SIGINT sent to it
 * alone on to its script). Collects stdout and stderr together, as a user
 * sees them.
 */
export class TerminalCommand {
  private text = '';
  private readonly child: ChildProcess;
  /** The exit: npm, Ctrl-C'ed, ends by the signal itself once its script exited (a shell shows 130). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, args: readonly string[], env: Record<string, string | undefined>) {
    this.child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.text += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.text += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Everything printed so far. */
  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ctrl-C: SIGINT to the whole group. */
  interrupt(): void {
    if (this.running) process.kill(-this.child.pid!, 'SIGINT');
  }

  /** For afterAll: Ctrl-C, then SIGKILL to the group if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.interrupt();
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'late') {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
