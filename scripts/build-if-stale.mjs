/**
 * Runs `npm run build` when any of the given built files is missing or older
 * than a TypeScript source (apps/, libs/) or tsconfig.json, and says so: one
 * line when it starts and one with the time it took. Paths are relative to the
 * repository root. Everything goes to stderr, so a caller's stdout stays its
 * own (`npm run token` prints only the token there).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why a build is needed, or null when `outputs` are newer than every source. */
function staleReason(outputs) {
  const at = (path) => join(REPO_ROOT, path);
  let built;
  try {
    built = Math.min(...outputs.map((f) => statSync(at(f)).mtimeMs));
  } catch {
    return 'first build';
  }
  const sources = Math.max(newestMtime(at('apps')), newestMtime(at('libs')), statSync(at('tsconfig.json')).mtimeMs);
  return sources > built ? 'the sources changed' : null;
}

/** Builds when `outputs` are missing or stale; exits with the build's status if it fails. */
export function buildIfStale(outputs) {
  const reason = staleReason(outputs);
  if (!reason) return;
  process.stderr.write(`Building the apps (${reason}; about 30 s)...\n`);
  const started = performance.now();
  // --silent: npm's "> nest build ..." lines say nothing the line above does not;
  // the compiler's errors still reach the terminal.
  const { status, signal } = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: REPO_ROOT,
    stdio: ['inherit', 2, 'inherit'],
  });
  if (status !== 0) {
    console.error(`npm run build failed (${signal ?? `exit ${status}`})`);
    process.exit(status ?? 1);
  }
  process.stderr.write(`Built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
