import pg from 'pg';
import { Redis } from 'ioredis';
import { RUN_VARS, SERVER_URLS } from './run-vars.mjs';

/** Drops this run's database and deletes its Redis keys; nothing else. */
export default async function globalTeardown() {
  await new Promise((resolve) => (globalThis.__fixtureNotion ? globalThis.__fixtureNotion.close(resolve) : resolve()));
  const dbUrl = process.env[RUN_VARS.databaseUrl];
  if (dbUrl && !process.env.KEEP_TEST_DATABASE) {
    const name = new URL(dbUrl).pathname.slice(1);
    const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
  const prefix = process.env[RUN_VARS.keyPrefix];
  if (prefix) {
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
}
