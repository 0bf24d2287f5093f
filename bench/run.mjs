#!/usr/bin/env node
/**
 * `npm run bench [-- <name>...]`: runs the benchmarks (all, or those named:
 * ingest, lag, full-sync, footprint, hostile, query, stream) against the built apps, prints their
 * tables and targets, and writes one JSON result per benchmark under
 * bench/results/ (machine, git commit, figures, targets). Never part of
 * `npm test`. See BENCHMARKS.md.
 *
 * Builds first if the sources are newer than dist/. Needs the machine's
 * Postgres and Redis (BENCH_POSTGRES_URL / BENCH_REDIS_URL, else the test
 * defaults); uses a database and Redis prefixes of its own and removes them.
 * BENCH_CPU_PROF_DIR=<dir> profiles every app (`--cpu-prof`).
 *
 * Exits 1 when a benchmark fails or a correctness check (nothing lost) does
 * not hold; a missed speed target is reported, not an error.
 */
import { buildIfStale } from '../scripts/build-if-stale.mjs';
import { anchorBenchmark } from './anchor.mjs';
import { footprintBenchmark } from './footprint.mjs';
import { fullSyncBenchmark } from './full-sync.mjs';
import { hostileBenchmark } from './hostile.mjs';
import { ingestBenchmark } from './ingest.mjs';
import { lagBenchmark } from './lag.mjs';
import { queryBenchmark } from './query.mjs';
import { streamBenchmark } from './stream.mjs';
import { stopAnchors } from './lib/procs.mjs';
import { gitInfo, machineInfo, printTable, printTargets, writeResult } from './lib/report.mjs';
import { APP_ENTRY, BenchStack, MIGRATE_ENTRY, removeBuildSnapshot, snapshotBuild } from './lib/stack.mjs';

const ORDER = ['ingest', 'lag', 'full-sync', 'footprint', 'hostile', 'query', 'stream'];
/** Benchmarks whose figures are not ratios to the anchor: run alone, they do not measure it. */
const WITHOUT_ANCHOR = ['query', 'stream'];

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !ORDER.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${ORDER.join(', ')}`);
  process.exit(2);
}
const selected = asked.length ? ORDER.filter((n) => asked.includes(n)) : ORDER;

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    stopping = true;
    console.error(`\n${signal}: stopping the apps, dropping the bench databases, deleting their Redis keys`);
    stopAnchors();
    await Promise.allSettled([...BenchStack.live].map((s) => s.destroy()));
    removeBuildSnapshot();
    process.exit(130);
  });
}

// A crash must not leave apps running or a database behind.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, async (err) => {
    console.error(`\nbench crashed (${event}): ${err?.stack ?? err}`);
    stopAnchors();
    await Promise.allSettled([...BenchStack.live].map((s) => s.destroy()));
    removeBuildSnapshot();
    process.exit(1);
  });
}

buildIfStale([...Object.values(APP_ENTRY), MIGRATE_ENTRY]);
// Other work may rebuild dist/ during a run (a build empties it first): run a copy.
await snapshotBuild();
const machine = await machineInfo();
const git = gitInfo();
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, Redis ${machine.redis}`);
console.log(`         ${machine.postgres}`);
console.log(
  `         load average at start ${machine.loadAverageAtStart.join(' ')}; commit ${git.commit}${git.dirty ? ' (dirty)' : ''}`,
);

const summary = [];
let failed = false;
let anchor;
let lag;

async function run(name, fn) {
  console.log(`\n=== ${name} ===`);
  const startedAt = new Date().toISOString();
  const result = await fn();
  printTargets(result.targets);
  const file = writeResult(name, {
    benchmark: name,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    git,
    anchor: name === 'ingest' ? undefined : anchor,
    ...result,
  });
  console.log(`wrote ${file}`);
  for (const t of result.targets) {
    summary.push([name, t.what, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED']);
    if (t.check && !t.met) failed = true;
  }
  return result;
}

try {
  if (selected.includes('ingest')) {
    const ingest = await run('ingest', ingestBenchmark);
    anchor = {
      okPerSecond: ingest.anchor.okPerSecond,
      runs: ingest.anchor.runs.map((r) => ({ okPerSecond: r.measured.okPerSecond, latencyMs: r.measured.latencyMs })),
      measuredBy: 'ingest',
    };
  } else if (selected.some((name) => !WITHOUT_ANCHOR.includes(name))) {
    console.log('\n=== anchor (for the ratios) ===');
    anchor = await anchorBenchmark();
    console.log(`anchor: ${anchor.okPerSecond} req/s, p99 ${anchor.latencyMs.p99} ms`);
  }
  if (selected.includes('lag') || selected.includes('footprint')) lag = await run('lag', lagBenchmark);
  if (selected.includes('full-sync')) await run('full-sync', fullSyncBenchmark);
  if (selected.includes('footprint')) await run('footprint', () => footprintBenchmark(lag));
  if (selected.includes('hostile')) await run('hostile', hostileBenchmark);
  if (selected.includes('query')) await run('query', queryBenchmark);
  if (selected.includes('stream')) await run('stream', streamBenchmark);
} catch (err) {
  if (stopping) await new Promise(() => undefined); // the signal handler exits
  console.error(`\nbench failed: ${err.stack ?? err}`);
  failed = true;
  await Promise.allSettled([...BenchStack.live].map((s) => s.destroy()));
}

removeBuildSnapshot();
printTable(
  `Summary (anchor ${anchor?.okPerSecond ?? '?'} req/s in this run)`,
  ['benchmark', 'target', 'goal', 'measured', ''],
  summary,
);
process.exit(failed ? 1 : 0);
