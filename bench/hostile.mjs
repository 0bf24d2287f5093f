/**
 * Benchmark 5, hostile: what strangers' requests to the webhook intake cost
 * everyone else. The API is probed at a steady rate (GET one project, open
 * loop) for a while alone, then again while 20 hostile requests a second hit
 * the intake: unsigned bodies just under WEBHOOK_BODY_LIMIT_BYTES nested
 * about 130,000 levels deep or one huge string, a deep body with a bogus
 * signature, a deep body to an unknown URL, and bodies past the limit, each
 * from a new loopback address (so the per-IP failure limit never helps).
 *
 * The probe and the attacker are processes of their own. The gateway's
 * event-loop delay comes from its own Prometheus metrics
 * (`nodejs_eventloop_lag_p99_seconds`, which prom-client resets at each
 * scrape): scraped before a phase (to reset) and after it. Node's
 * `monitorEventLoopDelay` records the whole interval between its timer's
 * ticks, not the lateness: idle, it reports its resolution (prom-client's
 * default, 10 ms). The delay is the figure less that resolution.
 *
 * Targets (issue 10): event-loop delay p99 under 10 ms with the hostile load,
 * and the API's p99 within 20% of its unloaded figure. Check: every hostile
 * request answered 4xx (never 2xx or 5xx).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Api, devToken } from './lib/api.mjs';
import { cpuAccount, runJsonScript } from './lib/procs.mjs';
import { printTable, round, target } from './lib/report.mjs';
import { BenchStack, freePort } from './lib/stack.mjs';

export const HOSTILE = {
  durationSec: 20,
  rounds: 3,
  warmupSec: 3,
  probePerSecond: 50,
  hostilePerSecond: 20,
  bodyLimitBytes: 262_144,
  targetLoopP99Ms: 10,
  targetApiP99Ratio: 1.2,
};

/** prom-client's `eventLoopMonitoringPrecision` (its default: libs/observability does not set it). */
const LOOP_MONITOR_RESOLUTION_MS = 10;

/** The gateway's event-loop delay p99 since the last scrape, in ms (the monitor's tick interval taken off). */
async function loopDelayP99(adminPort) {
  const text = await (await globalThis.fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = /^notion_sync_nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text);
  if (!m) throw new Error('the gateway reports no event-loop delay');
  return round(Math.max(0, Number(m[1]) * 1000 - LOOP_MONITOR_RESOLUTION_MS), 2);
}

export async function hostileBenchmark() {
  const cfg = HOSTILE;
  const stack = await BenchStack.create('hostile');
  try {
    const adminPort = await freePort();
    const gateway = await stack.start('api-gateway', {
      ADMIN_PORT: String(adminPort),
      WEBHOOK_BODY_LIMIT_BYTES: String(cfg.bodyLimitBytes),
    });
    await gateway.ready();
    const bearer = await devToken('bench-hostile');
    const api = new Api(gateway.port, bearer);
    const project = await api.createProject('Hostile bench', randomUUID(), `secret_${randomBytes(12).toString('hex')}`);
    const unknownHook = project.webhookUrl.replace(/whk_[A-Za-z0-9_-]+$/, `whk_${'Z'.repeat(32)}`);
    const probe = (durationSec) =>
      runJsonScript('hostile-load.mjs', {
        durationSec,
        probe: { apiUrl: `${api.base}/projects/${project.id}`, bearer, perSecond: cfg.probePerSecond },
      });
    const attack = () =>
      runJsonScript('hostile-load.mjs', {
        durationSec: cfg.durationSec,
        hostile: {
          perSecond: cfg.hostilePerSecond,
          hook: project.webhookUrl,
          unknownHook,
          bodyLimitBytes: cfg.bodyLimitBytes,
        },
      });
    const log = (msg) => console.log(`hostile: ${msg}`);

    log('warm-up');
    await probe(cfg.warmupSec);
    // Alone and attacked in turns: a p99 of one short run on two busy cores is
    // noisy, and turns spread whatever else the machine does over both.
    const runs = [];
    for (let round = 1; round <= cfg.rounds; round++) {
      log(`round ${round} of ${cfg.rounds}: API alone`);
      await loopDelayP99(adminPort);
      let cpu = cpuAccount({ 'api-gateway': gateway.pid });
      const alone = await probe(cfg.durationSec);
      runs.push({
        label: `API alone (${round})`,
        attacked: false,
        probe: alone,
        loop: await loopDelayP99(adminPort),
        cpu: cpu.stop(),
      });
      log(`round ${round} of ${cfg.rounds}: API with ${cfg.hostilePerSecond} hostile requests/s`);
      cpu = cpuAccount({ 'api-gateway': gateway.pid });
      const [probed, hostile] = await Promise.all([probe(cfg.durationSec), attack()]);
      runs.push({
        label: `API + hostile (${round})`,
        attacked: true,
        probe: probed,
        hostile,
        loop: await loopDelayP99(adminPort),
        cpu: cpu.stop(),
      });
    }

    printTable(
      `Hostile: API probe at ${cfg.probePerSecond}/s, ${cfg.durationSec} s per run, alone and beside ${cfg.hostilePerSecond} hostile webhook requests/s`,
      [
        'run',
        'probes',
        'p50 ms',
        'p99 ms',
        'max ms',
        'probe statuses',
        'loop delay p99 ms',
        'gateway cores',
        'machine busy',
        'hostile statuses',
      ],
      runs.map((r) => [
        r.label,
        r.probe.latencyMs.count,
        r.probe.latencyMs.p50,
        r.probe.latencyMs.p99,
        r.probe.latencyMs.max,
        JSON.stringify(r.probe.statuses),
        r.loop,
        r.cpu.cores['api-gateway'],
        r.cpu.machineBusy,
        r.hostile ? JSON.stringify(r.hostile.statuses) : '',
      ]),
    );
    const mean = (xs) => round(xs.reduce((a, b) => a + b, 0) / xs.length, 1);
    const aloneRuns = runs.filter((r) => !r.attacked);
    const attackedRuns = runs.filter((r) => r.attacked);
    const aloneP99 = mean(aloneRuns.map((r) => r.probe.latencyMs.p99));
    const attackedP99 = mean(attackedRuns.map((r) => r.probe.latencyMs.p99));
    const ratio = round(attackedP99 / aloneP99, 2);
    const attackedLoop = Math.max(...attackedRuns.map((r) => r.loop));
    const aloneLoop = Math.max(...aloneRuns.map((r) => r.loop));
    const all4xx = attackedRuns.every((r) => Object.keys(r.hostile.statuses).every((s) => /^4\d\d$/.test(s)));
    const probesOk = runs.every((r) => Object.keys(r.probe.statuses).every((s) => s === '200'));
    return {
      config: { ...cfg, apps: { NODE_ENV: 'test', LOG_LEVEL: 'warn' } },
      runs,
      apiP99Ms: { alone: aloneP99, attacked: attackedP99, ratio },
      loopDelayP99Ms: { alone: aloneLoop, attacked: attackedLoop },
      targets: [
        target(
          'event-loop delay p99 under hostile load',
          `< ${cfg.targetLoopP99Ms} ms`,
          `${attackedLoop} ms (alone ${aloneLoop} ms; worst run)`,
          attackedLoop < cfg.targetLoopP99Ms,
        ),
        target(
          'API p99 under hostile load vs alone',
          `<= ${cfg.targetApiP99Ratio}x`,
          `${ratio}x (${attackedP99} vs ${aloneP99} ms, mean p99 of ${cfg.rounds} runs each)`,
          ratio <= cfg.targetApiP99Ratio,
        ),
        target(
          'hostile requests all 4xx, API probes all 200',
          'all',
          all4xx && probesOk ? 'all' : 'NOT ALL',
          all4xx && probesOk,
          { check: true },
        ),
      ],
    };
  } finally {
    await stack.destroy();
  }
}
