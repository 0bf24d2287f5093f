/**
 * What a benchmark runs against: a database of its own (created with the built
 * migration runner, dropped afterwards), Redis key and channel prefixes of its
 * own (keys deleted afterwards), and the built apps as real processes. Never
 * touches the machine's servers beyond that: no stop, no restart, no FLUSHALL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { APPS, entry, MIGRATE, withAppEnv } from '../../scripts/stack.mjs';
import { CPU_PROF_DIR, inheritedEnv, KEEP_DATABASE, SERVER_URLS } from './env.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the built apps are run from: `dist/` itself, or after `snapshotBuild()`
 * a private copy, so that a build someone starts meanwhile (it empties dist/
 * first) cannot pull files from under a run, and every benchmark of a run
 * measures the same build. Packages still resolve from the repo's node_modules.
 */
let buildRoot = REPO_ROOT;
const SNAPSHOT = join(REPO_ROOT, 'node_modules/.cache/notion-sync-bench', `build-${process.pid}`);

/** Newest modification time under a folder, or -1 if it is missing. */
function newestMtime(dir) {
  let newest = -1;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
    }
  } catch {
    return -1;
  }
  return newest;
}

/** Copies dist/ once it is complete and has not changed for a few seconds (a build may be under way). */
export async function snapshotBuild(timeoutMs = 180_000) {
  const entries = [...Object.values(APP_ENTRY), MIGRATE_ENTRY];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const settled = Date.now() - newestMtime(join(REPO_ROOT, 'dist')) > 3000;
    if (settled && entries.every((e) => existsSync(join(REPO_ROOT, e)))) {
      rmSync(SNAPSHOT, { recursive: true, force: true });
      cpSync(join(REPO_ROOT, 'dist'), join(SNAPSHOT, 'dist'), { recursive: true });
      if (entries.every((e) => existsSync(join(SNAPSHOT, e)))) break;
    }
    if (performance.now() > deadline) throw new Error('dist/ did not settle (is a build running?)');
    await sleep(1000);
  }
  buildRoot = SNAPSHOT;
}

export function removeBuildSnapshot() {
  rmSync(SNAPSHOT, { recursive: true, force: true });
  buildRoot = REPO_ROOT;
}

/** A built file (`dist/...`) of the build this run measures. */
export const builtPath = (path) => join(buildRoot, path);

// The built entry points, named once in scripts/stack.mjs (npm start runs the same files).
export const APP_ENTRY = Object.fromEntries(APPS.map((app) => [app, entry(app)]));
export const MIGRATE_ENTRY = MIGRATE;

const DB_PREFIX = 'notion_sync_bench_';
/** Bench databases left by killed runs are dropped once older than this. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

// Below the ephemeral range, like the tests' (Node 24 loads the TypeScript source itself).
import { freePort } from '../../libs/testing/src/free-port.ts';

export { freePort };

/** Resident and peak resident memory of a process, in MiB, from /proc. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s on Linux). */
export function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One built app as a child process, its output kept (the last lines) for diagnosis. */
export class AppProc {
  constructor(name, env, port, nodeArgs = []) {
    this.name = name;
    this.port = port;
    this.lines = [];
    this.errors = 0;
    this.warnings = 0;
    this.warningSamples = [];
    this.startedAt = performance.now();
    this.child = spawn(process.execPath, [...nodeArgs, builtPath(APP_ENTRY[name])], {
      cwd: REPO_ROOT,
      // As every app starts (npm start, the Dockerfile): the V8 flags and APP_ENV included.
      env: withAppEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        for (const line of parts) this.keep(line);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  keep(line) {
    if (!line) return;
    let level = 0;
    let msg = line;
    try {
      const entry = JSON.parse(line);
      level = entry.level;
      msg = entry.msg ?? line;
    } catch {
      if (/\bERROR\b/.test(line)) level = 50;
    }
    if (level >= 50) this.errors++;
    if (level >= 40) {
      this.warnings++;
      const text = String(msg).slice(0, 160);
      if (this.warningSamples.length < 5 && !this.warningSamples.includes(text)) this.warningSamples.push(text);
    }
    this.lines.push(line);
    if (this.lines.length > 200) this.lines.shift();
  }

  get pid() {
    return this.child.pid;
  }

  /** What it logged at warn level or above: counts and a few distinct messages. */
  logSummary() {
    return { errors: this.errors, warnings: this.warnings, samples: this.warningSamples };
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for `GET /health/ready` to answer 200; returns milliseconds since the spawn (the cold start). */
  async ready(timeoutMs = 60_000) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited:\n${this.lines.slice(-30).join('\n')}`);
      try {
        const res = await globalThis.fetch(`http://127.0.0.1:${this.port}/health/ready`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - this.startedAt;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  memory() {
    return memoryOf(this.pid);
  }

  cpuSeconds() {
    return cpuSecondsOf(this.pid);
  }

  async stop(timeoutMs = 15_000) {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Drops bench databases of runs that died before cleaning up (their names carry their start time). */
async function dropStaleDatabases() {
  const admin = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT datname FROM pg_database WHERE datname LIKE 'notion\\_sync\\_bench\\_%'`,
    );
    for (const { datname } of rows) {
      const startedAt = parseInt(datname.slice(DB_PREFIX.length, DB_PREFIX.length + 8), 36);
      if (Number.isFinite(startedAt) && Date.now() - startedAt > STALE_AFTER_MS)
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * One benchmark's servers and apps. `create()` makes the database; `start()`
 * spawns an app; `destroy()` stops every app, drops the database and deletes
 * the Redis keys under the run's prefix.
 */
export class BenchStack {
  /** Stacks not destroyed yet, for the runner to clean up after Ctrl-C. */
  static live = new Set();

  static async create(label) {
    await dropStaleDatabases();
    const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
    const stack = new BenchStack(label, run);
    BenchStack.live.add(stack);
    const migrate = spawnSync(process.execPath, [builtPath(MIGRATE_ENTRY)], {
      cwd: REPO_ROOT,
      env: { ...inheritedEnv(), NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: stack.databaseUrl },
      encoding: 'utf8',
    });
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
    stack.pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
    return stack;
  }

  constructor(label, run) {
    this.label = label;
    this.run = run;
    const url = new URL(SERVER_URLS.postgres);
    url.pathname = `/${DB_PREFIX}${run}`;
    this.databaseUrl = url.toString();
    this.keyPrefix = `nsbench-${run}`;
    this.channelPrefix = `nsbench-${run}:`;
    this.apps = [];
    this.ports = {};
  }

  /** The environment every app of this stack gets (before per-app overrides). */
  baseEnv(overrides = {}) {
    return {
      ...inheritedEnv(),
      // test: JSON logs (development pretty-prints through pino-pretty, which is slow).
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: SERVER_URLS.redis,
      REDIS_KEY_PREFIX: this.keyPrefix,
      REDIS_CHANNEL_PREFIX: this.channelPrefix,
      THROTTLE_LIMIT: '1000000',
      THROTTLE_IP_LIMIT: '10000000',
      ...overrides,
    };
  }

  /**
   * Spawns an app on a free port; `ready()` on the result gives its cold start.
   * `nodeArgs` go to node before the entry point (`--cpu-prof` to profile).
   */
  async start(name, overrides = {}, { nodeArgs = [] } = {}) {
    const port = await freePort();
    const portVar = {
      'api-gateway': 'PORT',
      'event-worker': 'EVENT_WORKER_HEALTH_PORT',
      'job-worker': 'JOB_WORKER_HEALTH_PORT',
    }[name];
    const env = this.baseEnv({ ...overrides, [portVar]: String(port) });
    if (name === 'api-gateway') {
      env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
      // Any free admin port unless the benchmark names one: 3003 may be taken.
      env.ADMIN_PORT = overrides.ADMIN_PORT ?? '0';
    }
    const profile = CPU_PROF_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
      : [];
    const app = new AppProc(name, env, port, [...profile, ...nodeArgs]);
    this.apps.push(app);
    this.ports[name] = port;
    return app;
  }

  async stopApp(app) {
    const exit = await app.stop();
    this.apps = this.apps.filter((a) => a !== app);
    return exit;
  }

  query(text, params) {
    return this.pool.query(text, params);
  }

  async destroy() {
    BenchStack.live.delete(this);
    await Promise.all(this.apps.map((a) => a.stop()));
    this.apps = [];
    await this.pool?.end().catch(() => undefined);
    if (!KEEP_DATABASE) {
      const admin = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${DB_PREFIX}${this.run}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    }
    const redis = new Redis(SERVER_URLS.redis);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.keyPrefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 50, what = 'a condition' } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
