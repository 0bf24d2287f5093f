import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startFixtureNotion } from './fixture-notion.mjs';
import { MIGRATE_ENTRY, RUN_VARS, SERVER_URLS } from './run-vars.mjs';

/** Fails in seconds, with what to do, when a server is not there. */
async function assertReachable() {
  const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${SERVER_URLS.postgres} (${err.message}). ` +
        'Start it (see README: Tests) or set TEST_POSTGRES_URL.',
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(SERVER_URLS.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${SERVER_URLS.redis} (${err.message}). ` +
        'Start it (see README: Tests) or set TEST_REDIS_URL.',
      { cause: err },
    );
  } finally {
    redis.disconnect();
  }
}

/** Runs that died before their teardown leave databases behind; drop those older than this. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * Drops test databases left by runs that were killed. Their names end in the
 * run's start time (base-36 milliseconds), so only old ones are touched and a
 * run going on beside this one keeps its database.
 */
async function dropStaleTestDatabases() {
  const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT datname FROM pg_database WHERE datname LIKE 'notion\\_sync\\_test\\_%'`,
    );
    for (const { datname } of rows) {
      const startedAt = parseInt(datname.split('_').pop().slice(0, 8), 36);
      if (Number.isFinite(startedAt) && Date.now() - startedAt > STALE_AFTER_MS) {
        await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Creates this run's database and applies the real migrations with the built
 * migration runner (the one `npm start` and the compose `migrate` service use),
 * and picks this run's Redis key and channel prefixes. Workers inherit the
 * variables set here.
 */
export default async function globalSetup() {
  await assertReachable();
  await dropStaleTestDatabases();
  if (!existsSync(MIGRATE_ENTRY)) throw new Error(`${MIGRATE_ENTRY} is missing: run \`npm run build\` first`);
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const dbUrl = new URL(SERVER_URLS.postgres);
  dbUrl.pathname = `/notion_sync_test_${run}`;
  const migrate = spawnSync(process.execPath, [MIGRATE_ENTRY], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: dbUrl.toString() },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`Migrations failed on ${dbUrl}:\n${migrate.stdout}${migrate.stderr}`);
  process.env[RUN_VARS.databaseUrl] = dbUrl.toString();
  process.env[RUN_VARS.keyPrefix] = `nstest-${run}`;
  process.env[RUN_VARS.channelPrefix] = `nstest-${run}:`;
  // Lives in Jest's parent process for the whole run; teardown closes it.
  const notion = await startFixtureNotion();
  globalThis.__fixtureNotion = notion;
  process.env[RUN_VARS.notionUrl] = `http://127.0.0.1:${notion.address().port}`;
}
