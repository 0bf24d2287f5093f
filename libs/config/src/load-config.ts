import { AppConfig, type EncryptionKey } from './app-config.js';
import {
  DEV_ENCRYPTION_KEYS,
  DEV_JWT_SECRET,
  ENV_SCHEMA,
  InvalidValue,
  type EnvName,
  type EnvValue,
} from './env.schema.js';
import { isLoopbackHost } from './loopback.js';

/** Raised at boot when one or more variables are missing or invalid; names each one. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function parseEncryptionKeys(raw: string): EncryptionKey[] {
  const keys = raw.split(',').map((entry) => {
    const sep = entry.indexOf(':');
    const id = entry.slice(0, sep);
    const b64 = entry.slice(sep + 1);
    if (sep <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new InvalidValue('each entry must be keyId:base64key with a key id of 1 to 32 of A-Z a-z 0-9 _ -');
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32 || key.toString('base64') !== b64) {
      throw new InvalidValue(`key "${id}" must be exactly 32 bytes, base64-encoded`);
    }
    return { id, key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new InvalidValue('key ids must be unique');
  return keys;
}

/**
 * Validates the environment once and returns the typed config.
 * Throws a `ConfigValidationError` naming every bad variable at once.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const values = new Map<EnvName, unknown>();
  const isSet = (name: EnvName) => env[name] !== undefined && env[name] !== '';

  for (const name of Object.keys(ENV_SCHEMA) as EnvName[]) {
    const spec = ENV_SCHEMA[name] as { default?: string; secret?: boolean; parse: (raw: string) => unknown };
    let raw = isSet(name) ? env[name]!.trim() : spec.default;
    // The HS256 development secret must not shadow a JWKS configuration.
    if (name === 'JWT_SECRET' && !isSet(name) && isSet('JWT_JWKS_URI')) raw = undefined;
    if (raw === undefined) continue;
    try {
      values.set(name, spec.parse(raw));
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      problems.push(`${name} ${err.message}${spec.secret ? '' : ` (got "${raw}")`}`);
    }
  }
  const get = <K extends EnvName>(name: K) => values.get(name) as EnvValue<K>;

  let keys: EncryptionKey[] = [];
  if (values.has('ENCRYPTION_KEYS')) {
    try {
      keys = parseEncryptionKeys(get('ENCRYPTION_KEYS'));
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      problems.push(`ENCRYPTION_KEYS ${err.message}`);
    }
  }

  if (isSet('JWT_JWKS_URI') && isSet('JWT_SECRET')) {
    problems.push('JWT_SECRET must not be set when JWT_JWKS_URI is set (tokens are checked against the JWKS alone)');
  }
  if (isSet('ADMIN_USERNAME') !== isSet('ADMIN_PASSWORD')) {
    problems.push('ADMIN_USERNAME and ADMIN_PASSWORD must be set together (or neither: Bull Board is then off)');
  }
  if (values.has('ADMIN_PORT') && get('ADMIN_PORT') !== 0 && get('ADMIN_PORT') === get('PORT')) {
    problems.push('ADMIN_PORT must differ from PORT (the admin surface never shares the public port)');
  }
  if (
    values.has('PAGE_FETCH_WINDOW_MS') &&
    values.has('RELAY_STALE_ENQUEUED_MS') &&
    get('PAGE_FETCH_WINDOW_MS') >= get('RELAY_STALE_ENQUEUED_MS')
  ) {
    // A delivery waits enqueued for its trailing fetch up to one window; the relay must not take that for a lost job.
    problems.push('PAGE_FETCH_WINDOW_MS must be less than RELAY_STALE_ENQUEUED_MS');
  }
  const production = get('NODE_ENV') === 'production';
  // The development secrets are in this repository: an app that other hosts
  // can reach must not trust them, whatever NODE_ENV says.
  const exposed = values.has('HOST') && !isLoopbackHost(get('HOST'));
  if (production || exposed) {
    const where = production ? 'in production' : `when HOST (${get('HOST')}) is not a loopback address`;
    if (!isSet('JWT_JWKS_URI') && (!isSet('JWT_SECRET') || get('JWT_SECRET') === DEV_JWT_SECRET)) {
      problems.push(`JWT_SECRET must be set to your own secret ${where} (or set JWT_JWKS_URI)`);
    }
    if (
      !isSet('ENCRYPTION_KEYS') ||
      get('ENCRYPTION_KEYS') === DEV_ENCRYPTION_KEYS ||
      keys.some((k) => isAllZero(k.key))
    ) {
      problems.push(`ENCRYPTION_KEYS must be set to your own keys ${where} (the development key is refused)`);
    }
  }
  if (production) {
    if (values.has('ADMIN_PASSWORD') && get('ADMIN_PASSWORD').length < 16) {
      problems.push('ADMIN_PASSWORD must be at least 16 characters in production');
    }
    if (
      !isSet('JWT_JWKS_URI') &&
      (!isSet('JWT_ISSUER') || !isSet('JWT_AUDIENCE')) &&
      !get('JWT_ALLOW_NO_ISSUER_AUDIENCE')
    ) {
      // RFC 8725 3.8/3.9: a shared secret often signs for several services.
      problems.push(
        'JWT_ISSUER and JWT_AUDIENCE must be set with JWT_SECRET in production (else a token signed with the same ' +
          'secret for another service passes); JWT_ALLOW_NO_ISSUER_AUDIENCE=true accepts the risk',
      );
    }
    if (isSet('JWT_JWKS_URI') && (!isSet('JWT_ISSUER') || !isSet('JWT_AUDIENCE'))) {
      // An identity provider signs tokens for all its tenant's apps with one key set.
      problems.push(
        'JWT_ISSUER and JWT_AUDIENCE must be set with JWT_JWKS_URI in production (else tokens minted for other apps pass)',
      );
    }
    if (isSet('JWT_JWKS_URI') && !get('JWT_JWKS_URI')?.startsWith('https://')) {
      problems.push('JWT_JWKS_URI must use https in production (signing keys must not be fetched in the clear)');
    }
    if (!isSet('PUBLIC_BASE_URL')) {
      problems.push(
        'PUBLIC_BASE_URL must be set in production to the public https origin of the gateway (Notion calls it)',
      );
    } else if (values.has('PUBLIC_BASE_URL') && !isHttpsOrLoopback(get('PUBLIC_BASE_URL'))) {
      // Webhook URLs carry secrets; over plain http only if they never leave this machine (a local trial).
      problems.push('PUBLIC_BASE_URL must use https in production (plain http only for a loopback host)');
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const issuer = get('JWT_ISSUER');
  const audience = get('JWT_AUDIENCE');
  const jwksUri = get('JWT_JWKS_URI');
  const config: AppConfig = {
    env: get('NODE_ENV'),
    logLevel: get('LOG_LEVEL'),
    host: get('HOST'),
    shutdownGraceMs: get('SHUTDOWN_GRACE_MS'),
    database: {
      url: get('DATABASE_URL'),
      poolSize: get('DATABASE_POOL_SIZE'),
      connectTimeoutMs: get('DATABASE_CONNECT_TIMEOUT_MS'),
      statementTimeoutMs: get('DATABASE_STATEMENT_TIMEOUT_MS'),
    },
    redis: {
      url: get('REDIS_URL'),
      keyPrefix: get('REDIS_KEY_PREFIX'),
      channelPrefix: get('REDIS_CHANNEL_PREFIX'),
    },
    gateway: {
      port: get('PORT'),
      // Unset (development): the gateway's own port, so moving PORT keeps webhook URLs right.
      publicBaseUrl: (values.has('PUBLIC_BASE_URL')
        ? get('PUBLIC_BASE_URL')
        : `http://localhost:${get('PORT')}`
      ).replace(/\/+$/, ''),
      corsOrigins: get('CORS_ORIGINS'),
      corsLoopback: get('NODE_ENV') === 'development' && get('CORS_ORIGINS').length === 0,
      throttle: {
        limit: get('THROTTLE_LIMIT'),
        ipLimit: get('THROTTLE_IP_LIMIT'),
        ttlSeconds: get('THROTTLE_TTL_SECONDS'),
      },
      webhook: {
        bodyLimitBytes: get('WEBHOOK_BODY_LIMIT_BYTES'),
        failureLimitPerMinute: get('WEBHOOK_FAILURE_LIMIT'),
      },
      trustProxy: get('TRUST_PROXY'),
      syncRequests: { limit: get('SYNC_REQUEST_LIMIT'), windowSeconds: get('SYNC_REQUEST_WINDOW_SECONDS') },
    },
    projects: { perUserLimit: get('PROJECTS_PER_USER_LIMIT') },
    admin: {
      host: get('ADMIN_HOST'),
      port: get('ADMIN_PORT'),
      credentials:
        values.has('ADMIN_USERNAME') && values.has('ADMIN_PASSWORD')
          ? { username: get('ADMIN_USERNAME'), password: get('ADMIN_PASSWORD') }
          : undefined,
    },
    metrics: { enabled: get('METRICS_ENABLED'), token: get('METRICS_TOKEN') },
    eventWorker: {
      healthPort: get('EVENT_WORKER_HEALTH_PORT'),
      leaseMs: get('DISPATCH_LEASE_MS'),
      relayIntervalMs: get('RELAY_INTERVAL_MS'),
      relayReceivedGraceMs: get('RELAY_RECEIVED_GRACE_MS'),
      relayStaleEnqueuedMs: get('RELAY_STALE_ENQUEUED_MS'),
    },
    jobWorker: {
      healthPort: get('JOB_WORKER_HEALTH_PORT'),
      concurrency: get('JOB_WORKER_CONCURRENCY'),
      lockDurationMs: get('JOB_LOCK_DURATION_MS'),
      stalledIntervalMs: get('JOB_STALLED_INTERVAL_MS'),
    },
    jobs: { attempts: get('JOB_ATTEMPTS'), backoffMs: get('JOB_BACKOFF_MS'), failedKeep: get('JOB_FAILED_KEEP') },
    auth: {
      ...(jwksUri
        ? { mode: 'jwks' as const, jwksUri, issuer, audience }
        : { mode: 'secret' as const, secret: get('JWT_SECRET'), issuer, audience }),
      maxLifetimeSeconds: get('JWT_MAX_LIFETIME_SECONDS'),
      clockSkewSeconds: get('JWT_CLOCK_SKEW_SECONDS'),
    },
    encryption: { keys },
    notion: {
      apiBaseUrl: get('NOTION_API_BASE_URL').replace(/\/+$/, ''),
      version: get('NOTION_VERSION'),
      ratePerSecond: get('NOTION_RATE_LIMIT_PER_SECOND'),
      burst: get('NOTION_RATE_LIMIT_BURST'),
      timeoutMs: get('NOTION_TIMEOUT_MS'),
      maxRetries: get('NOTION_MAX_RETRIES'),
      deferAfterMs: get('NOTION_RATE_LIMIT_DEFER_MS'),
    },
    sync: {
      reconcileIntervalSeconds: get('SYNC_RECONCILE_INTERVAL_SECONDS'),
      fullIntervalSeconds: get('SYNC_FULL_INTERVAL_SECONDS'),
      pageFetchWindowMs: get('PAGE_FETCH_WINDOW_MS'),
    },
    content: {
      maxBytes: get('CONTENT_MAX_BYTES'),
      backfillSliceSeconds: get('CONTENT_BACKFILL_SLICE_SECONDS'),
      fileUrlRefreshMarginSeconds: get('FILE_URL_REFRESH_MARGIN_SECONDS'),
    },
    stream: {
      limitPerUser: get('STREAM_LIMIT_PER_USER'),
      heartbeatSeconds: get('STREAM_HEARTBEAT_SECONDS'),
      retryMs: get('STREAM_RETRY_MS'),
      ticketTtlSeconds: get('STREAM_TICKET_TTL_SECONDS'),
      bufferEvents: get('STREAM_BUFFER_EVENTS'),
      refreshSeconds: get('STREAM_REFRESH_SECONDS'),
    },
    retention: {
      intervalSeconds: get('RETENTION_INTERVAL_SECONDS'),
      inboxDays: get('RETENTION_INBOX_DAYS'),
      deadLettersDays: get('RETENTION_DEAD_LETTERS_DAYS'),
      tombstonesDays: get('RETENTION_TOMBSTONES_DAYS'),
      batchSize: get('RETENTION_BATCH_SIZE'),
    },
  };
  return deepFreeze(config);
}

const isAllZero = (key: Buffer) => key.every((byte) => byte === 0);

function isHttpsOrLoopback(raw: string): boolean {
  const url = new URL(raw);
  return url.protocol === 'https:' || isLoopbackHost(url.hostname);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * For `main.ts` files: load the config, or print the problems and exit 1.
 * Uses stderr directly because the logger needs the config to exist.
 */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
