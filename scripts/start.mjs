#!/usr/bin/env node
/**
 * `npm start`: build if the sources are newer than dist/, create the database if
 * it is missing, apply pending migrations, then run the three built apps in one
 * terminal with prefixed, coloured logs, and print one banner once all three
 * answer /health/ready: where the API and its docs are, and what to try next.
 * Ctrl-C stops all three (each drains and exits 0), and so does this script.
 *
 * `npm run start:dev`: the same, but each app runs under `nest start --watch`.
 *
 * What it prints from start to ready, at the default log level: the build's two
 * lines (when it builds), one ready line per app, and the banner. Nest's wiring
 * is at debug (LOG_LEVEL=debug shows it); warnings and errors always show.
 */
import concurrently from 'concurrently';
import { buildIfStale } from './build-if-stale.mjs';
import {
  APPS,
  BUILT,
  describeMigration,
  entry,
  loadStackConfig,
  migrate,
  origin,
  readyUrls,
  takenPorts,
  waitUntilReady,
  withAppEnv,
} from './stack.mjs';

const dev = process.argv.includes('--dev');
const started = performance.now();

buildIfStale(BUILT);
const config = await loadStackConfig(process.env);
const taken = await takenPorts(config);
if (taken.length) {
  for (const { app, variable, host, port } of taken) {
    console.error(`Port ${port} on ${host} (${variable}, ${app}) is already in use.`);
  }
  console.error(
    'Another notion-sync (npm start, npm run demo) or another program holds it: stop it, or set ' +
      `${taken.map((t) => `${t.variable}=<free port>`).join(' ')} for this one.`,
  );
  process.exit(1);
}
const database = describeMigration(migrate(process.env));

let stopping = false;
const { result } = concurrently(
  APPS.map((app) => ({
    name: app,
    command: dev ? `exec npx nest start ${app} --watch --preserveWatchOutput` : `exec node ${entry(app)}`,
    env: withAppEnv(process.env),
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
process.once('SIGINT', () => (stopping = true));
process.once('SIGTERM', () => (stopping = true));

if (await waitUntilReady(readyUrls(config), () => stopping)) printBanner();

function printBanner() {
  const api = origin(config.host, config.gateway.port);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const token =
    config.auth.mode === 'jwks'
      ? ['  tokens     from your identity provider (JWT_JWKS_URI)']
      : ['  a token    TOKEN=$(npm run --silent token -- --sub alice --ttl 1h)'];
  console.log(
    [
      '',
      `notion-sync is ready (${config.env}, ${seconds} s): api-gateway, event-worker, job-worker`,
      `  API        ${api}/api/v1`,
      `  API docs   ${api}/docs`,
      `  database   ${database}`,
      ...token,
      `  try        curl -s ${api}/api/v1/projects -H "Authorization: Bearer $TOKEN"`,
      '  demo       npm run demo   (a fake Notion workspace, mirrored, with a walkthrough)',
      'Ctrl-C stops all three.',
      '',
    ].join('\n'),
  );
}
