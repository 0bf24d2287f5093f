/**
 * Benchmark 4, footprint: each app's cold start (spawn to `/health/ready`
 * answering 200, the app alone on the machine, COLD_STARTS times, median),
 * resident memory (VmRSS from /proc) of each app idle (all three running,
 * nothing to do, after IDLE_SETTLE_MS), and at the end of benchmark 2 (taken
 * from the lag run: after its saturation phase).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, printTable, round, target } from './lib/report.mjs';
import { BenchStack } from './lib/stack.mjs';

export const FOOTPRINT = {
  coldStarts: 3,
  idleSettleMs: 10_000,
  targetIdleMiB: 120,
  targetLoadedMiB: 250,
};

const APPS = ['api-gateway', 'event-worker', 'job-worker'];

/** `lag` is the lag benchmark's result (its `footprint` holds the loaded figures). */
export async function footprintBenchmark(lag) {
  const cfg = FOOTPRINT;
  const stack = await BenchStack.create('footprint');
  try {
    const coldStartMs = {};
    for (const name of APPS) {
      const samples = [];
      for (let i = 0; i < cfg.coldStarts; i++) {
        const app = await stack.start(name);
        samples.push(await app.ready());
        await stack.stopApp(app);
      }
      coldStartMs[name] = { median: Math.round(percentile(samples, 50)), samples: samples.map(Math.round) };
    }
    for (const name of APPS) await (await stack.start(name)).ready();
    await sleep(cfg.idleSettleMs);
    const idle = Object.fromEntries(
      stack.apps.map((a) => {
        const m = a.memory();
        return [a.name, { rssMiB: round(m.rssMiB), peakRssMiB: round(m.peakRssMiB) }];
      }),
    );
    const loaded = lag.footprint.loaded;
    printTable(
      'Footprint',
      ['app', 'cold start ms (median)', 'RSS idle MiB', 'RSS end of lag MiB', 'peak RSS in lag MiB'],
      APPS.map((name) => [
        name,
        `${coldStartMs[name].median} (${coldStartMs[name].samples.join(', ')})`,
        idle[name].rssMiB,
        loaded[name].rssMiB,
        loaded[name].peakRssMiB,
      ]),
    );
    const maxIdle = Math.max(...APPS.map((n) => idle[n].rssMiB));
    const maxLoaded = Math.max(...APPS.map((n) => loaded[n].rssMiB));
    const list = (figures) => APPS.map((n) => `${n} ${figures[n].rssMiB}`).join(', ');
    return {
      config: cfg,
      coldStartMs,
      idle,
      loaded,
      lagIdle: lag.footprint.idle,
      lagColdStartMs: lag.footprint.coldStartMs,
      targets: [
        target('RSS idle, each app', `< ${cfg.targetIdleMiB} MiB`, list(idle), maxIdle < cfg.targetIdleMiB),
        target(
          'RSS at the end of benchmark 2, each app',
          `< ${cfg.targetLoadedMiB} MiB`,
          list(loaded),
          maxLoaded < cfg.targetLoadedMiB,
        ),
        target(
          'cold start to /health/ready (median)',
          'reported',
          APPS.map((n) => `${n} ${coldStartMs[n].median} ms`).join(', '),
          null,
        ),
      ],
    };
  } finally {
    await stack.destroy();
  }
}
