/**
 * What `npm start` and `npm run demo` share: the built entry points, the
 * config as the apps will read it, the migration step, port checks, and the
 * wait until all three apps answer /health/ready.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './build-if-stale.mjs';

export const APPS = ['api-gateway', 'event-worker', 'job-worker'];
export const entry = (app) => `dist/apps/${app}/apps/${app}/src/main.js`;
export const MIGRATE = 'dist/apps/cli/apps/cli/src/migrate.js';
const CONFIG = 'dist/apps/cli/libs/config/src/index.js';
const TOKEN = 'dist/apps/cli/apps/cli/src/token.js';
/**
 * V8 flags every app runs with, wherever it starts (`npm start`, `npm run demo`,
 * the benchmarks; the Dockerfile sets the same `NODE_OPTIONS`, checked by
 * test/containers.spec.ts). V8's young generation grows to 16 MB per semi-space
 * by default, sized for throughput in a process that has the machine to
 * itself; 4 MB took each app's idle RSS down by 30 to 40 MiB. The old
 * generation's limit follows the machine's memory by default (about 4 GB on
 * 24 GB), so V8 lets garbage pile up before a major collection: the
 * job-worker ended the lag benchmark at 288 MiB. Capped at 192 MiB (each app's
 * live heap is 45 to 70 MiB under load), it ended at 167 MiB, with no loss of
 * throughput (BENCHMARKS.md, footprint). A heap that outgrows the cap stops
 * the app (out of memory): raise it with NODE_OPTIONS where pages are huge.
 */
export const APP_NODE_OPTIONS = '--max-semi-space-size=4 --max-old-space-size=192';

/**
 * The rest of the environment every app runs with, wherever it starts (the
 * Dockerfile sets the same `ENV`, checked by test/containers.spec.ts). glibc's
 * malloc gives threads that allocate arenas of their own (up to 8 per core):
 * Node's helper threads made five, about 1 MiB each at idle; two took each
 * worker's idle RSS down by about 2 MiB, at no CPU cost measurable per request
 * (BENCHMARKS.md, footprint). A value the caller sets wins.
 */
export const APP_ENV = { MALLOC_ARENA_MAX: '2' };

/** `env` with APP_ENV under it and APP_NODE_OPTIONS added to its NODE_OPTIONS (the caller's kept). */
export function withAppEnv(env) {
  return { ...APP_ENV, ...env, NODE_OPTIONS: [env.NODE_OPTIONS, APP_NODE_OPTIONS].filter(Boolean).join(' ') };
}

/** Everything the scripts run; `buildIfStale(BUILT)` builds when one is missing or stale. */
export const BUILT = [...APPS.map(entry), MIGRATE, CONFIG, TOKEN];

/** The config exactly as the apps will load it from `env` (the built config lib); exits with its message if invalid. */
export async function loadStackConfig(env) {
  const { loadConfigOrExit } = await import(pathToFileURL(join(REPO_ROOT, CONFIG)).href);
  return loadConfigOrExit(env);
}

/** `http://host:port`, with an IPv6 host in brackets. */
export function origin(host, port) {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Creates the database if missing and migrates it; returns `{database, created, applied}`. Exits if it fails. */
export function migrate(env) {
  const { status, signal, stdout } = spawnSync(process.execPath, [join(REPO_ROOT, MIGRATE), '--summary'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (status !== 0) {
    console.error(`Migrating the database failed (${signal ?? `exit ${status}`}); see above.`);
    process.exit(status ?? 1);
  }
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** "notion_sync (created, 15 migrations applied)", "notion_sync (up to date)". */
export function describeMigration({ database, created, applied }) {
  const migrations = applied.length === 1 ? '1 migration applied' : `${applied.length} migrations applied`;
  if (created) return `${database} (created, ${migrations})`;
  return `${database} (${applied.length ? migrations : 'up to date'})`;
}

/** Every port the three apps listen on, with the variable that moves it. */
export function listeners(config) {
  const ports = [
    { app: 'api-gateway', variable: 'PORT', host: config.host, port: config.gateway.port },
    {
      app: 'event-worker',
      variable: 'EVENT_WORKER_HEALTH_PORT',
      host: config.host,
      port: config.eventWorker.healthPort,
    },
    { app: 'job-worker', variable: 'JOB_WORKER_HEALTH_PORT', host: config.host, port: config.jobWorker.healthPort },
  ];
  // The admin port listens only when it serves something; 0 means any free port.
  if ((config.metrics.enabled || config.admin.credentials) && config.admin.port !== 0) {
    ports.push({ app: 'api-gateway', variable: 'ADMIN_PORT', host: config.admin.host, port: config.admin.port });
  }
  return ports;
}

/** True when nothing listens on host:port (we could bind it just now). */
export function portIsFree(host, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The listeners whose ports are taken. */
export async function takenPorts(config) {
  const taken = [];
  for (const listener of listeners(config)) {
    if (!(await portIsFree(listener.host, listener.port))) taken.push(listener);
  }
  return taken;
}

/** The three apps' readiness URLs. */
export function readyUrls(config) {
  return [
    `${origin(config.host, config.gateway.port)}/health/ready`,
    `${origin(config.host, config.eventWorker.healthPort)}/health/ready`,
    `${origin(config.host, config.jobWorker.healthPort)}/health/ready`,
  ];
}

/** Resolves once every URL answers 200; polls every 250 ms until `stopped()` says to give up. */
export async function waitUntilReady(urls, stopped = () => false) {
  const pending = new Set(urls);
  while (pending.size && !stopped()) {
    for (const url of [...pending]) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) pending.delete(url);
      } catch {
        // not listening yet
      }
    }
    if (pending.size) await new Promise((r) => setTimeout(r, 250));
  }
  return pending.size === 0;
}

/** Mints a client token the way `npm run token` does; returns it. */
export function mintToken(env, args) {
  const { status, stdout } = spawnSync(process.execPath, [join(REPO_ROOT, TOKEN), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (status !== 0) throw new Error('minting a token failed; see above');
  return stdout.trim();
}
