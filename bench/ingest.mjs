/**
 * Benchmark 1, ingest: correctly signed webhooks, each with a new event id,
 * for 10 s at 50 connections, against the gateway's intake; the anchor (a
 * minimal Fastify + pg endpoint: the project's token by one indexed lookup,
 * the HMAC check, one INSERT ... ON CONFLICT DO NOTHING) under the same load, measured before and after the gateway in the same run.
 *
 * Phase A, the headline: the gateway alone, as the anchor runs alone (on 2
 * cores a worker running beside it takes CPU the anchor never shares). Then
 * the event-worker and job-worker start and must dispatch and process every
 * accepted delivery (the signals sent while no worker listened are lost, so
 * this also exercises the relay).
 * Phase B: the same load with all three apps running, as one box would run them.
 *
 * Checks: every event id answered 2xx is in the inbox (and in the anchor's
 * table for the anchor), and every delivery ends processed.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Api, devToken } from './lib/api.mjs';
import { loadFakeNotion } from './lib/fake-notion.mjs';
import { ANCHOR_DESCRIPTION, cpuAccount, runJsonScript, startAnchor } from './lib/procs.mjs';
import { printTable, round, target } from './lib/report.mjs';
import { BenchStack, waitFor } from './lib/stack.mjs';

export const INGEST = {
  durationSec: 10,
  warmupSec: 2,
  connections: 50,
  /** Events cycle over this many pages (the sync jobs then coalesce per page). */
  pages: 1000,
  targetRatio: 0.7,
  targetP99Ms: 25,
};

/** Runs `load` while counting the CPU of the machine, of the given processes, Postgres and Redis. */
async function measured(pids, load) {
  const cpu = cpuAccount(pids);
  const out = await load();
  return { ...out, cpu: cpu.stop() };
}

/** Event ids of `ids` missing from the project's rows of the table (the inbox or the anchor's). */
async function missing(stack, table, ids, projectId) {
  const { rows } = await stack.query(
    `SELECT count(*)::int AS n FROM unnest($1::text[]) AS e(id)
      WHERE NOT EXISTS (SELECT 1 FROM ${table} d WHERE d.project_id = $2 AND d.event_id = e.id)`,
    [ids, projectId],
  );
  return rows[0].n;
}

/** Waits until no delivery is in flight; returns the time it took and the ledger. */
async function drain(stack, projectId) {
  const startedAt = performance.now();
  await waitFor(
    async () => {
      const { rows } = await stack.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries
          WHERE project_id = $1 AND status IN ('received', 'enqueued')`,
        [projectId],
      );
      return rows[0].n === 0;
    },
    { timeoutMs: 600_000, intervalMs: 200, what: 'every delivery to be dispatched and processed' },
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const { rows } = await stack.query(
    `SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE project_id = $1 GROUP BY status`,
    [projectId],
  );
  return { seconds: round(seconds, 1), ledger: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
}

const row = (label, m) => [
  label,
  m.measured.okPerSecond,
  m.measured.latencyMs.p50,
  m.measured.latencyMs.p99,
  m.measured.latencyMs.max,
  m.measured.non2xx + m.measured.errors,
  m.measured.generatorCpuCores,
  m.cpu.machineBusy,
];

export async function ingestBenchmark() {
  const cfg = INGEST;
  const stack = await BenchStack.create('ingest');
  const FakeNotion = await loadFakeNotion();
  const notion = new FakeNotion();
  await notion.start();
  try {
    const notionToken = `secret_${randomBytes(12).toString('hex')}`;
    const {
      databaseId,
      dataSourceIds: [dataSourceId],
    } = notion.addDatabase('Ingest', ['Pages']);
    notion.share(notionToken, databaseId);
    const pages = notion.addPages(dataSourceId, cfg.pages).map((p) => ({ pageId: p.id, databaseId, dataSourceId }));
    const appEnv = {
      NOTION_API_BASE_URL: notion.url,
      NOTION_RATE_LIMIT_PER_SECOND: '100',
      NOTION_RATE_LIMIT_BURST: '100',
      // The relay re-dispatches what was accepted while no event-worker listened.
      RELAY_INTERVAL_MS: '200',
      RELAY_RECEIVED_GRACE_MS: '1000',
    };
    const gateway = await stack.start('api-gateway', appEnv);
    await gateway.ready();
    const api = new Api(gateway.port, await devToken('bench-ingest'));
    const project = await api.createProject('Ingest bench', databaseId, notionToken);
    const load = (url) =>
      runJsonScript('load-generator.mjs', {
        url,
        connections: cfg.connections,
        durationSec: cfg.durationSec,
        warmupSec: cfg.warmupSec,
        verificationToken: project.verificationToken,
        pages,
      });
    const log = (msg) => console.log(`ingest: ${msg}`);

    // Phase A: anchor, gateway alone, anchor again (the anchor is their mean).
    // The same project and token as the gateway's, so the same signed bodies verify at both.
    const anchor = await startAnchor(stack.databaseUrl, project);
    log('anchor (1 of 2)');
    const anchor1 = await measured({ anchor: anchor.pid }, () => load(anchor.url));
    log('gateway alone');
    const alone = await measured({ 'api-gateway': gateway.pid }, () => load(project.webhookUrl));
    log('anchor (2 of 2)');
    const anchor2 = await measured({ anchor: anchor.pid }, () => load(anchor.url));
    await anchor.stop();
    const anchorAccepted = [...anchor1.accepted, ...anchor2.accepted];
    const anchorMissing = await missing(stack, 'bench_anchor_inbox', anchorAccepted, project.id);
    const aloneMissing = await missing(stack, 'webhook_deliveries', alone.accepted, project.id);

    log('starting the workers; draining');
    const eventWorker = await stack.start('event-worker', appEnv);
    const jobWorker = await stack.start('job-worker', appEnv);
    await Promise.all([eventWorker.ready(), jobWorker.ready()]);
    const aloneDrain = await drain(stack, project.id);

    // Phase B: the same load with the workers dispatching and syncing beside the gateway.
    log('whole stack');
    const whole = await measured(
      { 'api-gateway': gateway.pid, 'event-worker': eventWorker.pid, 'job-worker': jobWorker.pid },
      () => load(project.webhookUrl),
    );
    const wholeMissing = await missing(stack, 'webhook_deliveries', whole.accepted, project.id);
    const wholeDrain = await drain(stack, project.id);
    const { rows } = await stack.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE project_id = $1`, [
      project.id,
    ]);
    const inbox = rows[0].n;
    const accepted = alone.accepted.length + whole.accepted.length;

    const anchorOk = round((anchor1.measured.okPerSecond + anchor2.measured.okPerSecond) / 2, 0);
    // CPU per accepted request: far less sensitive than throughput to other work on the machine.
    const cpuMs = (m, name) => round((1000 * m.cpu.cores[name]) / m.measured.okPerSecond, 3);
    const anchorCpuMs = round((cpuMs(anchor1, 'anchor') + cpuMs(anchor2, 'anchor')) / 2, 3);
    const gatewayCpuMs = cpuMs(alone, 'api-gateway');
    const ratio = round(alone.measured.okPerSecond / anchorOk, 2);
    const strip = ({ accepted: ids, ...rest }) => ({ ...rest, acceptedTotal: ids.length });

    printTable(
      `Ingest: ${cfg.connections} connections, ${cfg.durationSec} s (after ${cfg.warmupSec} s warm-up)`,
      ['run', '2xx/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'gen cores', 'machine busy'],
      [
        row('anchor (1)', anchor1),
        row('gateway alone', alone),
        row('anchor (2)', anchor2),
        row('gateway + workers', whole),
      ],
    );
    const cpuRow = (label, m) => [
      label,
      m.cpu.machineBusy,
      ...['anchor', 'api-gateway', 'event-worker', 'job-worker', 'postgres', 'redis'].map((k) => m.cpu.cores[k] ?? ''),
      m.measured.generatorCpuCores,
    ];
    printTable(
      'Ingest: CPU (cores used on average over warm-up and run; the machine has 2)',
      ['run', 'machine busy', 'anchor', 'gateway', 'event-worker', 'job-worker', 'postgres', 'redis', 'generator'],
      [
        cpuRow('anchor (1)', anchor1),
        cpuRow('gateway alone', alone),
        cpuRow('anchor (2)', anchor2),
        cpuRow('gateway + workers', whole),
      ],
    );
    printTable(
      'Ingest: CPU per accepted request (server process only)',
      ['process', 'ms per request', 'x anchor'],
      [
        ['anchor (mean of 2)', anchorCpuMs, 1],
        ['api-gateway (alone)', gatewayCpuMs, round(gatewayCpuMs / anchorCpuMs, 1)],
      ],
    );
    printTable(
      'Ingest: nothing lost',
      ['check', 'value'],
      [
        ['2xx event ids missing from the anchor table', anchorMissing],
        ['2xx event ids missing from the inbox (alone)', aloneMissing],
        ['2xx event ids missing from the inbox (whole stack)', wholeMissing],
        [
          'inbox rows / 2xx answers (rows past the answers: requests cut off when a run stops)',
          `${inbox} / ${accepted}`,
        ],
        ['drain after phase A (workers started after the load)', `${aloneDrain.seconds} s`],
        ['drain after phase B', `${wholeDrain.seconds} s`],
        ['ledger', JSON.stringify(wholeDrain.ledger)],
      ],
    );

    const nothingLost =
      anchorMissing === 0 &&
      aloneMissing === 0 &&
      wholeMissing === 0 &&
      inbox >= accepted &&
      (wholeDrain.ledger.processed ?? 0) === inbox;
    return {
      config: {
        ...cfg,
        anchor: ANCHOR_DESCRIPTION,
        apps: { NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: 'default (20)' },
      },
      anchor: { okPerSecond: anchorOk, runs: [strip(anchor1), strip(anchor2)] },
      gatewayAlone: strip(alone),
      wholeStack: strip(whole),
      checks: {
        anchorMissing,
        aloneMissing,
        wholeMissing,
        inboxRows: inbox,
        acceptedAnswers: accepted,
        aloneDrain,
        wholeDrain,
        appLogs: Object.fromEntries(stack.apps.map((a) => [a.name, a.logSummary()])),
      },
      ratioToAnchor: ratio,
      cpuMsPerRequest: { anchor: anchorCpuMs, gateway: gatewayCpuMs, ratio: round(gatewayCpuMs / anchorCpuMs, 1) },
      targets: [
        target(
          'ingest throughput vs anchor (gateway alone)',
          `>= ${cfg.targetRatio * 100}%`,
          `${Math.round(ratio * 100)}% (${alone.measured.okPerSecond} vs ${anchorOk} req/s)`,
          ratio >= cfg.targetRatio,
        ),
        target(
          'ingest p99 (gateway alone)',
          `< ${cfg.targetP99Ms} ms`,
          `${alone.measured.latencyMs.p99} ms`,
          alone.measured.latencyMs.p99 < cfg.targetP99Ms,
        ),
        target('ingest: nothing lost, all processed', 'all', nothingLost ? 'all' : 'LOST/STUCK', nothingLost, {
          check: true,
        }),
      ],
    };
  } finally {
    await notion.stop();
    await stack.destroy();
  }
}
