/**
 * Figures, tables and result files: percentiles of samples, the machine a run
 * measured (CPU, cores, Node, Postgres, Redis, load), the git commit, and one
 * small JSON file per benchmark under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SERVER_URLS } from './env.mjs';
import { REPO_ROOT } from './stack.mjs';

/** p-th percentile (0..100) of numbers, nearest-rank. */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50/p90/p99/max/mean of millisecond samples. */
export function latencySummary(samples) {
  let sum = 0;
  let max = -Infinity;
  for (const x of samples) {
    sum += x;
    if (x > max) max = x;
  }
  return {
    count: samples.length,
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(max),
    mean: round(sum / samples.length),
  };
}

export const round = (x, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** Prints rows (arrays of cells) as an aligned table under a title. */
export function printTable(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/**
 * A target checked: `met` is true, false, or null when only reported. With
 * `check`, it is a correctness check (nothing lost), not a speed target: the
 * run fails when it is not met.
 */
export function target(what, goal, measured, met, { check = false } = {}) {
  return { what, target: goal, measured, met, ...(check && { check }) };
}

export function printTargets(targets) {
  printTable(
    'Targets',
    ['target', 'goal', 'measured', ''],
    targets.map((t) => [t.what, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED']),
  );
}

/** The machine and servers a run measured. */
export async function machineInfo() {
  const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  await client.connect();
  const postgres = (await client.query('SELECT version() AS v')).rows[0].v;
  await client.end();
  const redis = new Redis(SERVER_URLS.redis);
  const info = await redis.info('server');
  redis.disconnect();
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgres,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    // Other work on the machine shows here: the figures are only comparable as ratios to the anchor.
    loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  };
}

export function gitInfo() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--untracked-files=no');
  return { commit: git('rev-parse', 'HEAD'), dirty: status === null ? null : status.length > 0 };
}

/** Writes bench/results/<name>-<timestamp>.json; returns its path relative to the repo. */
export function writeResult(name, result) {
  const dir = join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join('bench/results', `${name}-${stamp}.json`);
  writeFileSync(join(REPO_ROOT, file), `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
