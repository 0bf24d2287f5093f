#!/usr/bin/env node
/**
 * `npm run token -- --sub alice [--ttl 1h]`: builds if needed, then prints a
 * bearer token signed with JWT_SECRET, and only the token, on stdout
 * (`TOKEN=$(npm run -s token -- --sub alice)`; `-s` silences npm's own banner).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildIfStale, REPO_ROOT } from './build-if-stale.mjs';

const MAIN = 'dist/apps/cli/apps/cli/src/token.js';

buildIfStale([MAIN]);
const { status, signal } = spawnSync(process.execPath, [join(REPO_ROOT, MAIN), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (signal) console.error(`token: stopped by ${signal}`);
process.exit(status ?? 1);
