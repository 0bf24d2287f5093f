#!/usr/bin/env node
/**
 * `npm run demo`: notion-sync end to end without a Notion account, in one
 * command. It
 *
 * 1. builds the apps if needed;
 * 2. starts the fake Notion (libs/testing/src/fake-notion) with its demo
 *    workspace ("Demo tasks", 20 pages) in this process;
 * 3. starts the three apps pointed at it, with a database and a Redis prefix of
 *    the demo's own (`notion_sync_demo_<pid>`, never the user's `notion_sync`),
 *    on the default ports, or on free ones when those are taken (it says which);
 * 4. creates a demo project for a demo user, lets the fake Notion perform the
 *    webhook handshake, confirms it, and waits for the first import;
 * 5. serves the live list (examples/live-list) and prints a walkthrough of
 *    commands to paste into another terminal, with the list's URL to open in
 *    a browser.
 *
 * Ctrl-C stops the apps and the fake, then drops the demo's database and
 * deletes its Redis keys: nothing else is touched. A second demo (at the same
 * time, or later) gets a database of its own; one left behind by a demo that
 * was killed is dropped by the next.
 *
 * The apps log at LOG_LEVEL (default warn here, so the walkthrough stays on
 * screen); their warnings and errors show, prefixed with the app's name.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DEFAULT_LIVE_LIST_PORT, serveLiveList } from '../examples/live-list/serve.mjs';
import { buildIfStale, REPO_ROOT } from './build-if-stale.mjs';
import {
  APPS,
  BUILT,
  entry,
  loadStackConfig,
  migrate,
  mintToken,
  origin,
  portIsFree,
  waitUntilReady,
  withAppEnv,
} from './stack.mjs';
import { transpileFakeNotion } from './transpile-fake-notion.mjs';

const HOST = '127.0.0.1';
const DEMO_USER = 'demo-user';
const DATABASE_PREFIX = 'notion_sync_demo_';
const REDIS_PREFIX = 'notion-sync-demo-';
const FAKE_OUT = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules/.cache/notion-sync-demo-fake');
const started = performance.now();

/** Set once the demo starts things: stops them and removes what it created, then exits with `code`. */
let stopDemo = async (code) => process.exit(code);

const say = (line = '') => process.stdout.write(`${line}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

/** The port `variable` asks for, else `preferred` when free, else the first free one 100, 200... above it. */
async function choosePort(variable, preferred) {
  if (process.env[variable]) return { port: Number(process.env[variable]), moved: false };
  for (let port = preferred; port < 32768; port += 100) {
    if (await portIsFree(HOST, port)) return { port, moved: port !== preferred };
  }
  throw new Error(`no free port found for ${variable}`);
}

/** A pg client on the server's maintenance database (the one DATABASE_URL names may not exist yet). */
async function adminClient(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Deletes every key under `prefix:` (the demo's BullMQ queues, limiter buckets, throttler counters). */
async function deleteRedisKeys(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Drops the databases and keys of demos whose process is gone (killed, not stopped with Ctrl-C). */
async function removeAbandonedDemos(databaseUrl, redis) {
  const client = await adminClient(databaseUrl);
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${DATABASE_PREFIX}%`,
    ]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(DATABASE_PREFIX.length));
      if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await deleteRedisKeys(redis, `${REDIS_PREFIX}${pid}`);
    }
  } finally {
    await client.end();
  }
}

async function api(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Copies a child's output to ours, each line prefixed with its name. */
function pipeLines(stream, name, out) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream.on('end', () => rest && out.write(`[${name}] ${rest}\n`));
}

async function main() {
  buildIfStale(BUILT);
  const base = await loadStackConfig(process.env);

  const ports = {
    PORT: await choosePort('PORT', 3000),
    EVENT_WORKER_HEALTH_PORT: await choosePort('EVENT_WORKER_HEALTH_PORT', 3001),
    JOB_WORKER_HEALTH_PORT: await choosePort('JOB_WORKER_HEALTH_PORT', 3002),
    ADMIN_PORT: await choosePort('ADMIN_PORT', 3003),
    FAKE_NOTION_PORT: await choosePort('FAKE_NOTION_PORT', 4010),
    LIVE_LIST_PORT: await choosePort('LIVE_LIST_PORT', DEFAULT_LIVE_LIST_PORT),
  };
  const moved = Object.entries(ports).filter(([, p]) => p.moved);
  if (moved.length) {
    say(
      `Default ports taken (is npm start running?), so the demo uses ${moved
        .map(([variable, { port }]) => `${variable}=${port}`)
        .join(', ')}.`,
    );
  }

  const redisPrefix = `${REDIS_PREFIX}${process.pid}`;
  const databaseUrl = new URL(base.database.url);
  databaseUrl.pathname = `/${DATABASE_PREFIX}${process.pid}`;
  const databaseName = databaseUrl.pathname.slice(1);
  const redis = new Redis(base.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await removeAbandonedDemos(base.database.url, redis);

  // The fake Notion, in this process: the walkthrough edits pages through its control API.
  const load = transpileFakeNotion(FAKE_OUT);
  const { FakeNotion } = await load('fake-notion.js');
  const { DEMO_TOKEN, seedDemoWorkspace } = await load('demo-workspace.js');
  const fake = new FakeNotion({ controlApi: true, workspace: { name: 'Demo workspace' } });
  const workspace = seedDemoWorkspace(fake, DEMO_TOKEN);
  const fakeUrl = await fake.start(ports.FAKE_NOTION_PORT.port, HOST);
  // The example frontend (NODE_ENV=development below lets its loopback origin through the gateway's CORS).
  const liveList = await serveLiveList({ port: ports.LIVE_LIST_PORT.port });

  const apiOrigin = origin(HOST, ports.PORT.port);
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    HOST,
    ADMIN_HOST: HOST,
    PORT: String(ports.PORT.port),
    ADMIN_PORT: String(ports.ADMIN_PORT.port),
    EVENT_WORKER_HEALTH_PORT: String(ports.EVENT_WORKER_HEALTH_PORT.port),
    JOB_WORKER_HEALTH_PORT: String(ports.JOB_WORKER_HEALTH_PORT.port),
    PUBLIC_BASE_URL: apiOrigin,
    DATABASE_URL: databaseUrl.toString(),
    REDIS_KEY_PREFIX: redisPrefix,
    REDIS_CHANNEL_PREFIX: `${redisPrefix}:`,
    NOTION_API_BASE_URL: fakeUrl,
  };

  const children = new Map();
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    say('\nStopping the demo...');
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
    await fake.stop().catch(() => {});
    await liveList.close();
    // Only what this demo created: its own database and its own keys.
    const client = await adminClient(base.database.url);
    await client.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`).finally(() => client.end());
    await deleteRedisKeys(redis, redisPrefix).finally(() => redis.quit());
    say(`Stopped; database ${databaseName} dropped and Redis keys ${redisPrefix}:* deleted.`);
    process.exit(code);
  };
  stopDemo = stop;
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGHUP', () => void stop(0));

  say(`Starting a fake Notion on ${fakeUrl} and the three apps (database ${databaseName})...`);
  migrate(env);
  for (const app of APPS) {
    const child = spawn(process.execPath, [join(REPO_ROOT, entry(app))], {
      env: withAppEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own: Ctrl-C reaches the demo alone, which stops the apps
      // in order (they must not exit first and look like a crash).
      detached: true,
    });
    pipeLines(child.stdout, app, process.stdout);
    pipeLines(child.stderr, app, process.stderr);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${app} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the demo.`);
      void stop(1);
    });
    children.set(app, child);
  }
  const ready = await waitUntilReady(
    [
      `${apiOrigin}/health/ready`,
      `${origin(HOST, ports.EVENT_WORKER_HEALTH_PORT.port)}/health/ready`,
      `${origin(HOST, ports.JOB_WORKER_HEALTH_PORT.port)}/health/ready`,
    ],
    () => stopping,
  );
  if (!ready) return;

  const token = mintToken(env, ['--sub', DEMO_USER, '--ttl', '12h']);
  const v1 = `${apiOrigin}/api/v1`;
  const project = await api('POST', `${v1}/projects`, token, {
    name: 'Demo tasks',
    notionDatabaseId: workspace.databaseId,
    notionToken: DEMO_TOKEN,
  });
  // Notion's handshake, as Notion performs it (the fake POSTs the verification token to the URL) ...
  await api('POST', `${fakeUrl}/_fake/webhooks`, undefined, { url: project.webhook.url });
  // ... and the owner confirming it, as they would once they pasted the token into Notion.
  await api('POST', `${v1}/projects/${project.id}/webhook/confirm`, token);
  // Pages, then their bodies (fetched after the import): the change feed's position comes after both.
  const synced = await waitFor('the first import', async () => {
    const p = await api('GET', `${v1}/projects/${project.id}`, token);
    const done = p.sync.lastSyncedAt && p.sync.pageCount === workspace.pageIds.length && p.sync.contentPending === 0;
    return done ? p : undefined;
  });
  const first = (await api('GET', `${v1}/projects/${project.id}/pages?limit=1`, token)).items[0];
  const pictured = (await api('GET', `${v1}/projects/${project.id}/pages?q=pricing`, token)).items[0];
  let after = '0';
  for (;;) {
    const feed = await api('GET', `${v1}/projects/${project.id}/changes?after=${after}&limit=1000`, token);
    after = feed.nextAfter;
    if (!feed.hasMore) break;
  }

  const liveListUrl = `${liveList.url}#api=${v1}&project=${project.id}&token=${token}`;

  const h = '-H "Authorization: Bearer $TOKEN"';
  say(
    [
      '',
      `Demo ready in ${elapsed()}: "Demo tasks" (${synced.sync.pageCount} pages) mirrored from a fake Notion into ${databaseName}.`,
      '',
      'In another terminal, paste:',
      '',
      `export API=${v1} FAKE=${fakeUrl}`,
      `export TOKEN=${token}`,
      `export PROJECT=${project.id} PAGE=${first.id} AFTER=${after} DOC=${pictured.id}`,
      '',
      '# 1. the mirrored pages, newest edit first',
      `curl -s "$API/projects/$PROJECT/pages?limit=3" ${h}`,
      `# 2. edit "${first.title}" in the fake Notion: it sends Notion's signed webhook`,
      `curl -s -X POST "$FAKE/_fake/pages/$PAGE/edit" -H 'Content-Type: application/json' -d '{"title":"Edited in Notion"}'`,
      '# 3. a moment later the edit is in the change feed, and in the page',
      `curl -s "$API/projects/$PROJECT/changes?after=$AFTER" ${h}`,
      `curl -s "$API/projects/$PROJECT/pages/$PAGE" ${h}`,
      `# 4. a page's body as safe HTML; its image is a link of ours that never expires (no token needed)`,
      `curl -s "$API/projects/$PROJECT/pages/$DOC/content?format=html" ${h}`,
      `# 5. open the live list in a browser: ${liveListUrl}`,
      `#    then edit again (step 2 with another title): the row changes on screen at once`,
      '',
      `API docs: ${apiOrigin}/docs  (Authorize with the token above)`,
      `TOKEN is user ${DEMO_USER}'s for 12 hours; mint another with: npm run --silent token -- --sub ${DEMO_USER}`,
      `Ctrl-C here stops the demo and removes its database.`,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  void stopDemo(1);
});
