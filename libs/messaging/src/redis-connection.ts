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
 * What every BullMQ queue and worker of the app shares: its key prefix and its
 * Redis. No `maxRetriesPerRequest: null` here: BullMQ sets it on its blocking
 * (worker) connections itself, and producers must fail rather than wait forever
 * while Redis is down.
 */
export function bullConnection(redis: { readonly url: string; readonly keyPrefix: string }): {
  prefix: string;
  connection: RedisEndpoint;
} {
  return { prefix: redis.keyPrefix, connection: redisConnectionOptions(redis.url) };
}
