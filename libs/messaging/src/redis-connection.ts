/** Where and how to reach Redis: the part of the options every client shares. */
export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

/**
 * Connection options from a `redis://` or `rediss://` URL. Nest's Redis
 * transport takes options rather than a URL, so every Redis user starts here.
 */
export function redisConnectionOptions(url: string): RedisEndpoint {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : 6379,
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(db && { db: Number(db) }),
    ...(u.protocol === 'rediss:' && { tls: {} }),
  };
}

/**
 * A connection for short side decisions (a fetch window, a lock) that must
 * never hold up the caller: opened on first use, one retry, and every wait
 * bounded (connect, command, disconnect).
 */
export function boundedRedisOptions(url: string) {
  return {
    ...redisConnectionOptions(url),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    // How long disconnect() waits for a socket that never closes cleanly.
    disconnectTimeout: 200,
  };
}

/** Longest wait between two reconnection attempts to Redis, for connections that must come back. */
const RECONNECT_MAX_MS = 1000;

/** Reconnects forever, at most a second apart (ioredis's `retryStrategy`). */
export const reconnectForever = (attempt: number): number => Math.min(250 * attempt, RECONNECT_MAX_MS);

/**
 * What every BullMQ queue and worker of the app shares: its key prefix and its
 * Redis. No `maxRetriesPerRequest: null` here: BullMQ sets it on its blocking
 * (worker) connections itself, and producers must fail rather than wait forever
 * while Redis is down. The reconnect delay is capped at a second: BullMQ's own
 * grows to 20 s, so after a long Redis outage a worker sat idle up to 20 s
 * with Redis back (the Redis transport retries every second too).
 */
export function bullConnection(redis: { readonly url: string; readonly keyPrefix: string }): {
  prefix: string;
  connection: RedisEndpoint & { retryStrategy: (attempt: number) => number };
} {
  return {
    prefix: redis.keyPrefix,
    connection: {
      ...redisConnectionOptions(redis.url),
      retryStrategy: reconnectForever,
    },
  };
}
