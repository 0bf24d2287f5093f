/** Failed logins one client may make per window before it must wait. */
export const ADMIN_LOGIN_FAILURE_LIMIT = 10;
export const ADMIN_LOGIN_WINDOW_MS = 15 * 60_000;
/** Clients remembered at once; beyond it the oldest window is forgotten (memory stays bounded under a spray of addresses). */
const MAX_CLIENTS = 10_000;

interface Window {
  failures: number;
  readonly endsAt: number;
}

/**
 * Counts failed Bull Board logins per client address in this process: after
 * `limit` failures within a window (which starts at the first failure), the
 * client is refused until the window ends, whatever it sends, so guessing
 * goes no faster than `limit` per window per address.
 *
 * In-process on purpose: the admin port is private, it must work without
 * Redis, and each gateway replica limiting on its own still bounds guessing
 * to `limit` per window per replica.
 */
export class FailedLoginLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit = ADMIN_LOGIN_FAILURE_LIMIT,
    private readonly windowMs = ADMIN_LOGIN_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` may try again; 0 when it may try now. */
  retryAfterSeconds(client: string): number {
    const window = this.current(client);
    return window && window.failures >= this.limit ? Math.ceil((window.endsAt - this.now()) / 1000) : 0;
  }

  /** Records a failure; true when it used up the client's last try (worth a log line). */
  recordFailure(client: string): boolean {
    let window = this.current(client);
    if (!window) {
      this.makeRoom();
      window = { failures: 0, endsAt: this.now() + this.windowMs };
      this.windows.set(client, window);
    }
    window.failures += 1;
    return window.failures === this.limit;
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window && window.endsAt <= this.now()) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }

  /**
   * Windows are created in order and all last `windowMs`, so the Map's first
   * entry always ends first: drop ended ones from the front, and the oldest
   * when full. Constant work per new client, even under a spray of addresses.
   */
  private makeRoom(): void {
    const now = this.now();
    for (const [client, window] of this.windows) {
      if (this.windows.size < MAX_CLIENTS && window.endsAt > now) return;
      this.windows.delete(client);
    }
  }
}
