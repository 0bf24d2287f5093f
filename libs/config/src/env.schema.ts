/**
 * The environment variables every app reads, with their defaults and parsers.
 *
 * This file and `load-config.ts` are the only places that know variable names;
 * `.env.example` and the README's table document the same list (a unit spec
 * checks that `.env.example` names every variable here).
 */

import { isIP } from 'node:net';

/** Thrown by a parser: the message says what is wrong, never echoes a secret. */
export class InvalidValue extends Error {}

export type Parser<T> = (raw: string) => T;

export interface VariableSpec<T> {
  /** Used when the variable is unset or empty; `undefined` means optional. */
  readonly default?: string;
  /** True for secrets: their value is never echoed in an error message. */
  readonly secret?: boolean;
  readonly parse: Parser<T>;
  /** One line for `.env.example` and the README: meaning and unit. */
  readonly doc: string;
}

const spec = <T>(s: VariableSpec<T>): VariableSpec<T> => s;

export const parsers = {
  oneOf:
    <const T extends string>(...allowed: T[]): Parser<T> =>
    (raw) => {
      if ((allowed as string[]).includes(raw)) return raw as T;
      throw new InvalidValue(`must be one of ${allowed.join(', ')}`);
    },
  int:
    (min: number, max: number): Parser<number> =>
    (raw) => {
      if (!/^-?\d+$/.test(raw)) throw new InvalidValue('must be a whole number');
      const n = Number(raw);
      if (n < min || n > max) throw new InvalidValue(`must be between ${min} and ${max}`);
      return n;
    },
  url:
    (...protocols: string[]): Parser<string> =>
    (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new InvalidValue(`must be a URL (${protocols.join(' or ')})`);
      }
      if (!protocols.includes(url.protocol.replace(/:$/, ''))) {
        throw new InvalidValue(`must use ${protocols.join(' or ')}, not ${url.protocol}`);
      }
      return raw;
    },
  bool: (): Parser<boolean> => (raw) => {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new InvalidValue('must be true or false');
  },
  text:
    (pattern?: RegExp, hint?: string): Parser<string> =>
    (raw) => {
      if (pattern && !pattern.test(raw)) throw new InvalidValue(hint ?? `must match ${pattern}`);
      return raw;
    },
  host: (): Parser<string> => parsers.text(/^[0-9A-Za-z.:-]+$/, 'must be a host name or an IP address'),
};

/** Names proxy-addr (Fastify's trustProxy) gives to address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `TRUST_PROXY`: off (empty or 0), a number of hops, or a list of proxy
 * addresses and CIDRs. Never "trust everything": X-Forwarded-For is written by
 * the client first, so trusting every hop would let any client pick its IP (and
 * its rate-limit budget).
 */
function parseTrustProxy(raw: string): false | number | readonly string[] {
  if (raw === '' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return parsers.int(1, 16)(raw);
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.includes(entry)) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (!family || !prefixOk || rest.length > 0) {
      throw new InvalidValue(
        `must be a number of proxy hops, or comma-separated proxy addresses or CIDRs (${PROXY_RANGE_NAMES.join(', ')} allowed); "${entry}" is neither`,
      );
    }
  }
  return entries;
}

/** Development defaults for secrets: refused in production and whenever HOST is not loopback. */
export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef';
// 32 bytes of zeros is obviously not a secret; it is only for local runs and tests.
export const DEV_ENCRYPTION_KEYS = `dev:${Buffer.alloc(32).toString('base64')}`;

export const ENV_SCHEMA = {
  NODE_ENV: spec({
    default: 'development',
    parse: parsers.oneOf('development', 'test', 'production'),
    doc: 'development, test or production; production refuses the development secrets below',
  }),
  LOG_LEVEL: spec({
    default: 'info',
    parse: parsers.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    doc: 'pino log level',
  }),
  DATABASE_URL: spec({
    default: 'postgres://postgres@127.0.0.1:5432/notion_sync',
    secret: true,
    parse: parsers.url('postgres', 'postgresql'),
    doc: 'PostgreSQL connection URL; `npm start` creates the database if it is missing',
  }),
  DATABASE_POOL_SIZE: spec({
    default: '20',
    parse: parsers.int(1, 500),
    doc: 'connections per app process',
  }),
  DATABASE_CONNECT_TIMEOUT_MS: spec({
    default: '3000',
    parse: parsers.int(100, 600_000),
    doc: 'milliseconds to wait for a connection before failing (no unbounded waits)',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: spec({
    default: '5000',
    parse: parsers.int(100, 3_600_000),
    doc: 'milliseconds after which Postgres cancels a statement',
  }),
  REDIS_URL: spec({
    default: 'redis://127.0.0.1:6379',
    secret: true,
    parse: parsers.url('redis', 'rediss'),
    doc: 'Redis connection URL (BullMQ and the event transport)',
  }),
  REDIS_KEY_PREFIX: spec({
    default: 'notion-sync',
    parse: parsers.text(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 . _ -'),
    doc: 'prefix of every BullMQ key, so several deployments or test runs can share one Redis',
  }),
  REDIS_CHANNEL_PREFIX: spec({
    default: 'notion-sync:',
    parse: parsers.text(/^[A-Za-z0-9._:-]{0,64}$/, 'must be up to 64 of A-Z a-z 0-9 . _ : -'),
    doc: 'prefix of every event-transport channel (pub/sub ignores key prefixes and database numbers)',
  }),
  PORT: spec({
    default: '3000',
    parse: parsers.int(1, 65535),
    doc: 'api-gateway HTTP port (API and its health routes)',
  }),
  HOST: spec({
    // Loopback by default: a forgotten NODE_ENV must not expose a gateway that
    // trusts the committed development secret. Containers set 0.0.0.0.
    default: '127.0.0.1',
    parse: parsers.host(),
    doc: 'address every app binds its HTTP ports to (0.0.0.0 to accept other hosts; any non-loopback address refuses the development secrets)',
  }),
  PUBLIC_BASE_URL: spec({
    parse: parsers.url('http', 'https'),
    doc: 'public origin of the gateway, used to build webhook URLs (unset: http://localhost:<PORT>); required in production, https unless its host is loopback',
  }),
  CORS_ORIGINS: spec({
    default: '',
    parse: (raw) => {
      const origins = raw
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      for (const origin of origins) {
        let url: URL;
        try {
          url = new URL(origin);
        } catch {
          throw new InvalidValue(`must be a comma-separated list of origins such as https://app.example.com`);
        }
        if (url.origin !== origin)
          throw new InvalidValue(`"${origin}" is not an origin (scheme://host[:port], no path)`);
      }
      return origins;
    },
    doc: 'comma-separated browser origins allowed by CORS; empty: none, except in development, where pages on localhost, 127.0.0.1 or [::1] (any port) are allowed',
  }),
  THROTTLE_LIMIT: spec({
    default: '120',
    parse: parsers.int(1, 1_000_000),
    doc: 'API requests allowed per client (user, or IP when anonymous) per THROTTLE_TTL_SECONDS; the webhook intake is never throttled',
  }),
  THROTTLE_IP_LIMIT: spec({
    default: '600',
    parse: parsers.int(1, 10_000_000),
    doc: 'API requests allowed per IP per THROTTLE_TTL_SECONDS before authentication (limits floods of bad tokens; NATs share IPs, so keep it generous)',
  }),
  THROTTLE_TTL_SECONDS: spec({
    default: '60',
    parse: parsers.int(1, 86_400),
    doc: 'seconds of the API rate-limit window',
  }),
  PROJECTS_PER_USER_LIMIT: spec({
    default: '25',
    parse: parsers.int(1, 100_000),
    doc: 'projects one user may have; creating one more answers 409 (project-quota-exceeded)',
  }),
  WEBHOOK_BODY_LIMIT_BYTES: spec({
    // Notion's events are about 1 KB; the largest list ids (updated blocks,
    // accessible_by), about 60 bytes each: 256 KiB holds thousands of them.
    default: '262144',
    parse: parsers.int(16_384, 10_485_760),
    doc: 'largest webhook body accepted, in bytes (413 beyond it, counted in deliveries_total{reason="too_large"})',
  }),
  WEBHOOK_FAILURE_LIMIT: spec({
    default: '30',
    parse: parsers.int(1, 1_000_000),
    doc: 'failed webhook requests (unknown URL, bad signature, malformed) allowed per client IP per minute, per gateway process; beyond it they answer 429 (correctly signed events are never limited)',
  }),
  TRUST_PROXY: spec({
    default: '',
    parse: parseTrustProxy,
    doc: 'proxies whose X-Forwarded-For gives the client IP: comma-separated addresses/CIDRs, or a hop count (only if clients cannot bypass them)',
  }),
  SYNC_REQUEST_LIMIT: spec({
    default: '6',
    parse: parsers.int(1, 10_000),
    doc: 'manual full syncs (POST /projects/:id/sync) allowed per project per SYNC_REQUEST_WINDOW_SECONDS; each one re-reads the whole database',
  }),
  SYNC_REQUEST_WINDOW_SECONDS: spec({
    default: '3600',
    parse: parsers.int(1, 604_800),
    doc: 'seconds of the manual sync request window',
  }),
  ADMIN_PORT: spec({
    default: '3003',
    parse: parsers.int(0, 65535),
    doc: 'api-gateway admin port: /metrics and Bull Board (/admin/queues); keep it off the public network (0: any free port)',
  }),
  ADMIN_USERNAME: spec({
    parse: parsers.text(/^[^\s:]{1,64}$/, 'must be 1 to 64 characters, without spaces or ":"'),
    doc: 'user name for Bull Board on the admin port (HTTP Basic); Bull Board is off unless it and ADMIN_PASSWORD are set',
  }),
  ADMIN_PASSWORD: spec({
    secret: true,
    parse: parsers.text(/^.{1,256}$/s, 'must be 1 to 256 characters'),
    doc: 'password for Bull Board on the admin port; at least 16 characters in production',
  }),
  METRICS_ENABLED: spec({
    default: 'true',
    parse: parsers.bool(),
    doc: 'true to serve Prometheus /metrics on the gateway admin port and on each worker health port',
  }),
  ADMIN_HOST: spec({
    // Its own variable: containers bind HOST to 0.0.0.0, and the admin port
    // must not follow it onto every interface unless asked to.
    default: '127.0.0.1',
    parse: parsers.host(),
    doc: 'address the api-gateway admin port binds to (loopback by default, whatever HOST is)',
  }),
  METRICS_TOKEN: spec({
    secret: true,
    parse: parsers.text(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 printable ASCII characters without spaces'),
    doc: 'when set, /metrics (admin port and worker health ports) needs `Authorization: Bearer <this token>`',
  }),
  EVENT_WORKER_HEALTH_PORT: spec({
    default: '3001',
    parse: parsers.int(1, 65535),
    doc: 'event-worker port for /health/live and /health/ready',
  }),
  JOB_WORKER_HEALTH_PORT: spec({
    default: '3002',
    parse: parsers.int(1, 65535),
    doc: 'job-worker port for /health/live and /health/ready',
  }),
  JOB_WORKER_CONCURRENCY: spec({
    default: '10',
    parse: parsers.int(1, 1000),
    doc: 'jobs one job-worker process runs at once',
  }),
  JOB_LOCK_DURATION_MS: spec({
    // A running job's lock is renewed every half of this, so a job may run for
    // hours; only an event loop blocked for about half of it (or Redis out of
    // reach that long) lets the lock lapse. BullMQ's own default is 30 s.
    default: '8000',
    parse: parsers.int(1000, 600_000),
    doc: "milliseconds a job-worker's lock on a running job lasts (renewed every half of it); a killed worker's jobs run again about this long after the kill",
  }),
  JOB_STALLED_INTERVAL_MS: spec({
    default: '2000',
    parse: parsers.int(500, 600_000),
    doc: 'milliseconds between checks for jobs whose lock lapsed (their worker died); such jobs go back to the queue',
  }),
  JOB_ATTEMPTS: spec({
    default: '8',
    parse: parsers.int(1, 100),
    doc: 'attempts per job before it fails for good (exponential backoff with jitter between them)',
  }),
  JOB_BACKOFF_MS: spec({
    default: '1000',
    parse: parsers.int(10, 3_600_000),
    doc: 'milliseconds before the first retry of a failed job; doubles with each attempt',
  }),
  JOB_FAILED_KEEP: spec({
    default: '10000',
    parse: parsers.int(0, 1_000_000),
    doc: 'failed jobs kept per queue for inspection (Redis runs with noeviction: history must be bounded)',
  }),
  DISPATCH_LEASE_MS: spec({
    default: '30000',
    parse: parsers.int(1000, 600_000),
    doc: 'milliseconds an event-worker replica holds a delivery it is dispatching before another may take it over',
  }),
  RELAY_INTERVAL_MS: spec({
    default: '2000',
    parse: parsers.int(100, 600_000),
    doc: 'milliseconds between relay passes over deliveries that were not dispatched',
  }),
  RELAY_RECEIVED_GRACE_MS: spec({
    default: '5000',
    parse: parsers.int(0, 3_600_000),
    doc: 'milliseconds a delivery may stay received (its event in flight) before the relay dispatches it',
  }),
  RELAY_STALE_ENQUEUED_MS: spec({
    default: '600000',
    parse: parsers.int(1000, 86_400_000),
    doc: 'milliseconds a delivery may stay enqueued without being processed before the relay enqueues it again',
  }),
  SHUTDOWN_GRACE_MS: spec({
    default: '10000',
    parse: parsers.int(0, 600_000),
    doc: 'milliseconds an app may take to drain on SIGTERM/SIGINT before it exits anyway',
  }),
  JWT_SECRET: spec({
    // Applied only when JWT_JWKS_URI is unset (see load-config.ts).
    default: DEV_JWT_SECRET,
    secret: true,
    parse: parsers.text(/^.{32,}$/s, 'must be at least 32 characters'),
    doc: 'HS256 key for client tokens; unset it when JWT_JWKS_URI is set',
  }),
  JWT_JWKS_URI: spec({
    parse: parsers.url('https', 'http'),
    doc: 'JWKS endpoint (RS256/ES256) of your identity provider; when set, tokens are checked against it alone',
  }),
  JWT_ISSUER: spec({
    parse: parsers.text(/^\S+$/, 'must not contain spaces'),
    doc: 'required `iss` of client tokens, when set',
  }),
  JWT_AUDIENCE: spec({
    parse: parsers.text(/^\S+$/, 'must not contain spaces'),
    doc: 'required `aud` of client tokens, when set',
  }),
  JWT_MAX_LIFETIME_SECONDS: spec({
    // RFC 8725: bound what a stolen token is worth. Identity providers issue
    // access tokens for minutes to a day.
    default: '86400',
    parse: parsers.int(60, 2_592_000),
    doc: 'longest lifetime of a client token: exp - iat, and exp from now, at most this many seconds',
  }),
  JWT_CLOCK_SKEW_SECONDS: spec({
    default: '60',
    parse: parsers.int(0, 300),
    doc: "seconds an issuer's clock may run ahead of ours (tokens with a later iat are refused)",
  }),
  JWT_ALLOW_NO_ISSUER_AUDIENCE: spec({
    default: 'false',
    parse: parsers.bool(),
    doc: 'true lets production use JWT_SECRET without JWT_ISSUER and JWT_AUDIENCE (not recommended: tokens signed for other services pass)',
  }),
  ENCRYPTION_KEYS: spec({
    default: DEV_ENCRYPTION_KEYS,
    secret: true,
    parse: parsers.text(/^\S+$/, 'must not contain spaces'),
    doc: 'comma-separated keyId:base64key (32-byte AES-256 keys); the first encrypts, all decrypt',
  }),
  NOTION_API_BASE_URL: spec({
    default: 'https://api.notion.com',
    parse: parsers.url('https', 'http'),
    doc: 'Notion API origin (tests point it at the fake Notion server)',
  }),
  NOTION_VERSION: spec({
    default: '2026-03-11',
    parse: parsers.text(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-03-11'),
    doc: 'Notion-Version header sent on every Notion call',
  }),
  NOTION_RATE_LIMIT_PER_SECOND: spec({
    default: '3',
    parse: parsers.int(1, 100),
    doc: 'Notion requests per second per integration token, on average, shared by every job-worker replica (Notion allows about 3)',
  }),
  NOTION_RATE_LIMIT_BURST: spec({
    default: '3',
    parse: parsers.int(1, 100),
    doc: 'Notion requests one integration token may send at once before pacing starts',
  }),
  NOTION_TIMEOUT_MS: spec({
    default: '30000',
    parse: parsers.int(1000, 600_000),
    doc: 'milliseconds one Notion request may take before it is abandoned (and retried)',
  }),
  NOTION_MAX_RETRIES: spec({
    default: '3',
    parse: parsers.int(0, 20),
    doc: 'retries of a Notion request answered 429/529 (or 500/503 for reads) before the job is delayed or retried',
  }),
  NOTION_RATE_LIMIT_DEFER_MS: spec({
    default: '1000',
    parse: parsers.int(0, 600_000),
    doc: "milliseconds a job's first Notion request may wait in a worker slot for its rate-limit turn; a later turn is reserved, the job requeued",
  }),
  SYNC_RECONCILE_INTERVAL_SECONDS: spec({
    default: '600',
    parse: parsers.int(1, 86_400),
    doc: 'seconds between incremental syncs of each project (heals missed webhooks)',
  }),
  SYNC_FULL_INTERVAL_SECONDS: spec({
    default: '86400',
    parse: parsers.int(60, 2_592_000),
    doc: 'seconds between full syncs of each project (the only pass that sees pages that left the database)',
  }),
  PAGE_FETCH_WINDOW_MS: spec({
    default: '2000',
    parse: parsers.int(0, 60_000),
    doc: 'milliseconds after a page is fetched during which events for it leave one trailing fetch at the end instead of fetching again (0: off)',
  }),
  CONTENT_MAX_BYTES: spec({
    default: '1048576',
    parse: parsers.int(1024, 64 * 1024 * 1024),
    doc: "bytes of a page body's Markdown kept at most; a longer body is stored up to it and flagged truncated (size_cap)",
  }),
  CONTENT_BACKFILL_SLICE_SECONDS: spec({
    default: '30',
    parse: parsers.int(1, 3600),
    doc: 'seconds one content-backfill job works before it hands over to a follow-up job (its progress is in Postgres)',
  }),
  FILE_URL_REFRESH_MARGIN_SECONDS: spec({
    default: '300',
    parse: parsers.int(0, 3000),
    doc: "a file link refreshes Notion's signed URL through the API when it expires within this many seconds",
  }),
  STREAM_LIMIT_PER_USER: spec({
    default: '20',
    parse: parsers.int(1, 100_000),
    doc: 'change streams (GET /projects/:id/changes/stream) one user may hold open across every gateway; one more answers 429',
  }),
  STREAM_HEARTBEAT_SECONDS: spec({
    default: '15',
    parse: parsers.int(1, 300),
    doc: 'seconds between the comment lines a change stream sends while idle (keeps proxies from closing it)',
  }),
  STREAM_RETRY_MS: spec({
    default: '2000',
    parse: parsers.int(100, 600_000),
    doc: "the `retry:` hint a change stream sends: how long a browser's EventSource waits before it reconnects",
  }),
  STREAM_TICKET_TTL_SECONDS: spec({
    default: '60',
    parse: parsers.int(1, 3600),
    doc: 'seconds a stream ticket (POST /projects/:id/stream-tickets) may be used to open a stream',
  }),
  STREAM_BUFFER_EVENTS: spec({
    default: '500',
    parse: parsers.int(1, 100_000),
    doc: 'events queued for a change stream whose client does not read; one more ends the stream (the client resumes from its last id)',
  }),
  STREAM_REFRESH_SECONDS: spec({
    default: '5',
    parse: parsers.int(1, 300),
    doc: 'seconds between re-reads of the change feed for projects with open streams (a lost announcement delays an event at most this long)',
  }),
  RETENTION_INTERVAL_SECONDS: spec({
    default: '600',
    parse: parsers.int(1, 86_400),
    doc: 'seconds between retention passes (the event-worker prunes old inbox rows, resolved dead letters, old tombstones)',
  }),
  RETENTION_INBOX_DAYS: spec({
    default: '7',
    parse: (raw) => {
      const days = parsers.int(0, 3650)(raw);
      // Notion retries a delivery for about a day; the inbox row is what makes a redelivery a duplicate.
      if (days < 2)
        throw new InvalidValue(
          'must be at least 2 days: Notion redelivers for about a day, and a redelivery whose row was pruned would be processed again',
        );
      return days;
    },
    doc: 'days processed and ignored inbox rows are kept (at least 2: they de-duplicate Notion redeliveries)',
  }),
  RETENTION_DEAD_LETTERS_DAYS: spec({
    default: '30',
    parse: parsers.int(1, 3650),
    doc: 'days a dead letter is kept after its retry was carried out (unretried ones stay until retried)',
  }),
  RETENTION_TOMBSTONES_DAYS: spec({
    default: '30',
    parse: parsers.int(1, 3650),
    doc: 'days deleted pages stay in the change feed; a client further behind gets 410 and starts again from 0',
  }),
  RETENTION_BATCH_SIZE: spec({
    default: '500',
    parse: parsers.int(1, 10_000),
    doc: 'rows one retention statement deletes at most (each batch is its own short statement)',
  }),
} as const;

export type EnvName = keyof typeof ENV_SCHEMA;
/** The parsed type of one variable. */
export type EnvValue<K extends EnvName> = ReturnType<(typeof ENV_SCHEMA)[K]['parse']>;
