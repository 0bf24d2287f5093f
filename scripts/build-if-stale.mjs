/**
 * Runs `npm run build` when any of the given built files is missing or older
 * than a TypeScript source (apps/, libs/) or tsconfig.json. Paths are relative
 * to the repository root. The build's output goes to stderr, so a caller's
 * stdout stays its own (`npm run token` prints only the token there).
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

function needsBuild(outputs) {
  const at = (path) => join(REPO_ROOT, path);
  try {
    const built = Math.min(...outputs.map((f) => statSync(at(f)).mtimeMs));
    const sources = Math.max(newestMtime(at('apps')), newestMtime(at('libs')), statSync(at('tsconfig.json')).mtimeMs);
    return sources > built;
  } catch {
    return true; // something is not built yet
  }
}

/** Builds when `outputs` are missing or stale; exits with the build's status if it fails. */
export function buildIfStale(outputs) {
  if (!needsBuild(outputs)) return;
  const { status, signal } = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['inherit', 2, 'inherit'] });
  if (status !== 0) {
    console.error(`npm run build failed (${signal ?? `exit ${status}`})`);
    process.exit(status ?? 1);
  }
}
