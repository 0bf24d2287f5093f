import type { Logger } from '@nestjs/common';

/** A task run every `intervalMs`, never twice at once in one process. */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly what: string,
    private readonly logger: Logger,
  ) {}

  /** Runs `task` once now (when `now`), then every `intervalMs`; failures are logged and retried next time. */
  start(intervalMs: number, task: () => Promise<unknown>, { now = false } = {}): void {
    const run = () => {
      this.running ??= task()
        .then(() => undefined)
        .catch((err: Error) => this.logger.warn(`${this.what} failed: ${err.message}`))
        .finally(() => (this.running = undefined));
    };
    if (now) run();
    this.timer = setInterval(run, intervalMs);
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
