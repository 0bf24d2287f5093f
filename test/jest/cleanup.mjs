/**
 * Removing what a test run (or one suite) created on the shared servers, and
 * nothing else. Plain ESM: global teardown loads it without the transform.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { SERVER_URLS } from './run-vars.mjs';

/** Drops the database `name`, closing its connections. */
export async function dropDatabase(name) {
  const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under `prefix` (`<prefix>:*`). */
export async function deleteKeys(prefix) {
  const redis = new Redis(SERVER_URLS.redis);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
