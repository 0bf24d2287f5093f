/** One AES-256 key of the `ENCRYPTION_KEYS` ring. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

/** RFC 8725 bounds on client tokens, whichever way they are verified. */
export interface TokenLimits {
  /** Longest `exp - iat`, and longest `exp - now`. */
  readonly maxLifetimeSeconds: number;
  /** How far ahead of our clock a token's `iat` may be. */
  readonly clockSkewSeconds: number;
}

/**
 * The typed configuration of every app, built once at boot by `loadConfig()`.
 * Injected by class (`constructor(private readonly config: AppConfig)`);
 * nothing else in the code reads `process.env`.
 */
export abstract class AppConfig {
  abstract readonly env: 'development' | 'test' | 'production';
  abstract readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  abstract readonly host: string;
  abstract readonly shutdownGraceMs: number;
  abstract readonly database: {
    readonly url: string;
    readonly poolSize: number;
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  abstract readonly redis: {
    readonly url: string;
    /** BullMQ key prefix. */
    readonly keyPrefix: string;
    /** Prepended to every event-transport channel name. */
    readonly channelPrefix: string;
  };
  abstract readonly gateway: {
    readonly port: number;
    readonly publicBaseUrl: string;
    /** Browser origins allowed by CORS (`CORS_ORIGINS`); when empty, see `corsLoopback`. */
    readonly corsOrigins: readonly string[];
    /**
     * Development without `CORS_ORIGINS`: every loopback origin (a frontend's
     * dev server on any port) is allowed, so the local stack needs no setting.
     * False in production and test, and whenever `CORS_ORIGINS` is set.
     */
    readonly corsLoopback: boolean;
    readonly throttle: { readonly limit: number; readonly ipLimit: number; readonly ttlSeconds: number };
    readonly webhook: {
      readonly bodyLimitBytes: number;
      /** Failed intake requests per client IP per minute (per process), beyond which they answer 429. */
      readonly failureLimitPerMinute: number;
    };
    /** Fastify's `trustProxy`: false (X-Forwarded-For ignored), trusted hops, or trusted proxy addresses/CIDRs. */
    readonly trustProxy: false | number | readonly string[];
    /** Manual full syncs allowed per project per window (`POST /projects/:id/sync`). */
    readonly syncRequests: { readonly limit: number; readonly windowSeconds: number };
  };
  abstract readonly projects: {
    /** Projects one user may have. */
    readonly perUserLimit: number;
  };
  /** The gateway's admin server (never the public port): /metrics, and Bull Board when credentials are set. */
  abstract readonly admin: {
    /** 0: any free port. */
    readonly port: number;
    /** Bull Board's HTTP Basic credentials; undefined turns it off. */
    readonly credentials?: { readonly username: string; readonly password: string };
    /** The address the admin port binds to (not `host`: containers bind that to every interface). */
    readonly host: string;
  };
  abstract readonly metrics: {
    /** Prometheus /metrics on the admin port and each worker's health port, and process metrics. */
    readonly enabled: boolean;
    /** When set, /metrics needs `Authorization: Bearer <token>`. */
    readonly token?: string;
  };
  abstract readonly eventWorker: {
    readonly healthPort: number;
    readonly leaseMs: number;
    readonly relayIntervalMs: number;
    readonly relayReceivedGraceMs: number;
    readonly relayStaleEnqueuedMs: number;
  };
  abstract readonly jobWorker: {
    readonly healthPort: number;
    readonly concurrency: number;
    /** BullMQ `lockDuration`: how long a running job's lock lasts between renewals. */
    readonly lockDurationMs: number;
    /** BullMQ `stalledInterval`: how often jobs with a lapsed lock are moved back to wait. */
    readonly stalledIntervalMs: number;
  };
  abstract readonly jobs: {
    readonly attempts: number;
    readonly backoffMs: number;
    /** Failed jobs kept per queue. */
    readonly failedKeep: number;
  };
  abstract readonly auth: (
    | { readonly mode: 'secret'; readonly secret: string; readonly issuer?: string; readonly audience?: string }
    | { readonly mode: 'jwks'; readonly jwksUri: string; readonly issuer?: string; readonly audience?: string }
  ) &
    TokenLimits;
  abstract readonly encryption: {
    /** The first key encrypts; every key decrypts (rotation). */
    readonly keys: readonly EncryptionKey[];
  };
  abstract readonly notion: {
    readonly apiBaseUrl: string;
    readonly version: string;
    /** Requests per second per token (token bucket shared in Redis) and its burst. */
    readonly ratePerSecond: number;
    readonly burst: number;
    readonly timeoutMs: number;
    /** The SDK's own retries of 429/529 (and 500/503 for reads). */
    readonly maxRetries: number;
    /** A job's first request waits at most this long for its turn in a worker slot; a later turn is reserved. */
    readonly deferAfterMs: number;
  };
  abstract readonly sync: {
    readonly reconcileIntervalSeconds: number;
    readonly fullIntervalSeconds: number;
    /** After a page's fetch, events for it wait this long for one trailing fetch (0: off). */
    readonly pageFetchWindowMs: number;
  };
  /** Page bodies and files (issue 14). */
  abstract readonly content: {
    /** A body's Markdown is kept up to this many bytes (then flagged `size_cap`). */
    readonly maxBytes: number;
    /** One content-backfill job works this long, then leaves a follow-up. */
    readonly backfillSliceSeconds: number;
    /** File links refresh a signed URL that expires within this many seconds. */
    readonly fileUrlRefreshMarginSeconds: number;
  };
  /** The live change streams (the gateway; docs/architecture.md, "Live changes"). */
  abstract readonly stream: {
    /** Open streams per user across gateways. */
    readonly limitPerUser: number;
    readonly heartbeatSeconds: number;
    /** The `retry:` hint, in ms. */
    readonly retryMs: number;
    /** How long a ticket may open a stream. */
    readonly ticketTtlSeconds: number;
    /** Events queued for a stream whose socket does not drain, at most. */
    readonly bufferEvents: number;
    /** The feed is re-read this often for projects with open streams. */
    readonly refreshSeconds: number;
  };
  /** What the event-worker's retention pass prunes, and when. */
  abstract readonly retention: {
    readonly intervalSeconds: number;
    /** Processed and ignored inbox rows, by `processed_at`. */
    readonly inboxDays: number;
    /** Dead letters whose retry was carried out, by `retried_at`. */
    readonly deadLettersDays: number;
    /** Tombstoned pages, by `deleted_at`. */
    readonly tombstonesDays: number;
    readonly batchSize: number;
  };
}
