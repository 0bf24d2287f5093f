/** Clients remembered at once by default; beyond it the oldest window is forgotten. */
const DEFAULT_MAX_CLIENTS = 10_000;

interface Window {
  failures: number;
  readonly endsAt: number;
}

export interface FailureWindowsOptions {
  /** Clients remembered at once (memory stays bounded under a spray of addresses). */
  readonly maxClients?: number;
  readonly now?: () => number;
}

/**
 * Counts failures per client in this process, in fixed windows that start at
 * a client's first failure: after `limit` failures the client is refused
 * until its window ends, whatever it sends. In-process on purpose, for the
 * callers that must work without Redis (the webhook intake, the admin port);
 * each gateway replica limiting on its own still bounds a client to `limit`
 * per window per replica.
 */
export class FailureWindows {
  private readonly windows = new Map<string, Window>();
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    { maxClients = DEFAULT_MAX_CLIENTS, now = Date.now }: FailureWindowsOptions = {},
  ) {
    this.maxClients = maxClients;
    this.now = now;
  }

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
      if (this.windows.size < this.maxClients && window.endsAt > now) return;
      this.windows.delete(client);
    }
  }
}
