#!/usr/bin/env node
/**
 * `npm run replay -- --project <id>`: builds if needed, then asks for a retry of
 * every job of the project that failed for good (the event-worker carries it out).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildIfStale, REPO_ROOT } from './build-if-stale.mjs';

const MAIN = 'dist/apps/cli/apps/cli/src/replay.js';

buildIfStale([MAIN]);
const { status, signal } = spawnSync(process.execPath, [join(REPO_ROOT, MAIN), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (signal) console.error(`replay: stopped by ${signal}`);
process.exit(status ?? 1);
