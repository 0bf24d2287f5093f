#!/usr/bin/env node
/**
 * `npm run secrets:rotate`: builds if needed, then re-seals every stored secret
 * under the first key of ENCRYPTION_KEYS (see apps/cli/src/rotate-secrets.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildIfStale, REPO_ROOT } from './build-if-stale.mjs';

const MAIN = 'dist/apps/cli/apps/cli/src/rotate-secrets.js';

buildIfStale([MAIN]);
const { status, signal } = spawnSync(process.execPath, [join(REPO_ROOT, MAIN), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (signal) console.error(`secrets:rotate: stopped by ${signal}`);
process.exit(status ?? 1);
