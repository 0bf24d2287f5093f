#!/usr/bin/env node
/**
 * `npm start`: build if the sources are newer than dist/, create the database if
 * it is missing, apply pending migrations, then run the three built apps in one
 * terminal with prefixed, coloured logs. Ctrl-C stops all three (each drains and
 * exits 0), and so does this script.
 *
 * `npm run start:dev`: the same, but each app runs under `nest start --watch`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import concurrently from 'concurrently';

const APPS = ['api-gateway', 'event-worker', 'job-worker'];
const entry = (app) => `dist/apps/${app}/apps/${app}/src/main.js`;
const MIGRATE = 'dist/apps/api-gateway/libs/database/src/migrate.main.js';
const dev = process.argv.includes('--dev');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  try {
    const built = Math.min(...[...APPS.map(entry), MIGRATE].map((f) => statSync(f).mtimeMs));
    const sources = Math.max(newestMtime('apps'), newestMtime('libs'), statSync('tsconfig.json').mtimeMs);
    return sources > built;
  } catch {
    return true; // something is not built yet
  }
}

function run(command, args) {
  const { status, signal } = spawnSync(command, args, { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${status}`})`);
    process.exit(status ?? 1);
  }
}

if (needsBuild()) run('npm', ['run', 'build']);
run(process.execPath, [MIGRATE]);

const { result } = concurrently(
  APPS.map((app) => ({
    name: app,
    command: dev ? `exec npx nest start ${app} --watch --preserveWatchOutput` : `exec node ${entry(app)}`,
  })),
  {
    prefix: 'name',
    prefixColors: ['cyan.bold', 'magenta.bold', 'yellow.bold'],
    killOthersOn: ['failure'],
    successCondition: 'all',
  },
);
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
