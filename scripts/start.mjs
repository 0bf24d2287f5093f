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
import concurrently from 'concurrently';
import { buildIfStale } from './build-if-stale.mjs';

const APPS = ['api-gateway', 'event-worker', 'job-worker'];
const entry = (app) => `dist/apps/${app}/apps/${app}/src/main.js`;
const MIGRATE = 'dist/apps/api-gateway/libs/database/src/migrate.main.js';
const dev = process.argv.includes('--dev');

function run(command, args) {
  const { status, signal } = spawnSync(command, args, { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${status}`})`);
    process.exit(status ?? 1);
  }
}

buildIfStale([...APPS.map(entry), MIGRATE]);
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
