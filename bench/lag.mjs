/**
 * Benchmark 2, end-to-end lag, and (for benchmark 4) the apps' footprint.
 *
 * The three built apps against the fake Notion (answering at once, no 429s).
 * Our own limiter stays on at its highest setting (NOTION_RATE_LIMIT_PER_SECOND
 * 100 per integration token, burst 100): it is per token, so the pages are
 * spread over PROJECTS projects, each with its own token and database.
 *
 * Phase 1: an edit in Notion then its signed webhook, each about a different
 * page, at a fixed 200 events/s for 60 s (open loop: sends are scheduled, not
 * waiting for answers). Lag = `processed_at - received_at` of each delivery
 * (both the database clock): from the inbox insert, just before the 200, to
 * the job's `markProcessedFor`, which runs right after the mirror row's
 * transaction committed. Every page must then show its new title.
 * Phase 2 (saturation): every page edited again and its webhook sent by 50
 * concurrent senders as fast as the gateway takes them; the sustained rate
 * is the deliveries processed between the 10th and 90th percentile of their
 * `processed_at`, per second (while a backlog stands, so the pipeline is saturated).
 *
 * Footprint: each app started alone and timed to `/health/ready` (cold start),
 * resident memory idle (after a few seconds of rest) and after each phase.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, devToken, pageEventBody, signSync, signWebhookPayload, webhookOrigin } from './lib/api.mjs';
import { loadFakeNotion } from './lib/fake-notion.mjs';
import { cpuAccount } from './lib/procs.mjs';
import { latencySummary, percentile, printTable, round, target } from './lib/report.mjs';
import { BenchStack, waitFor } from './lib/stack.mjs';

export const LAG = {
  ratePerSecond: 200,
  durationSec: 60,
  projects: 20,
  /** Pages per project: PROJECTS x this = the distinct pages phase 1 needs (200/s x 60 s). */
  pagesPerProject: 600,
  saturationSenders: 50,
  jobWorkerConcurrency: 20,
  idleSettleMs: 5000,
  targetP99Ms: 100,
  targetPagesPerSecond: 1000,
  targetCpuMsPerPage: 2,
  targetIdleMiB: 120,
  targetLoadedMiB: 250,
};

const APPS = ['api-gateway', 'event-worker', 'job-worker'];
/** The processes a synced page's CPU is counted over (as `cpuAccount` names them). */
const SYSTEM = [...APPS, 'postgres', 'redis'];

function memory(stack) {
  return Object.fromEntries(
    stack.apps.map((a) => {
      const m = a.memory();
      return [a.name, { rssMiB: round(m.rssMiB), peakRssMiB: round(m.peakRssMiB) }];
    }),
  );
}

/**
 * POSTs one signed event about `page` and resolves with its status, the
 * milliseconds to the answer, and how many times it was sent. A request that
 * fails on the network is sent again, the same bytes, as Notion retries (the
 * event id makes a second copy harmless); never rejects.
 */
async function sendEvent(origin, project, page, signature = 'async') {
  const body = pageEventBody(origin, { eventId: randomUUID(), ...page });
  const sig =
    signature === 'async'
      ? await signWebhookPayload({ body, verificationToken: project.verificationToken })
      : signSync(body, project.verificationToken);
  const eventId = JSON.parse(body).id;
  const startedAt = performance.now();
  let error;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await globalThis.fetch(project.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-notion-signature': sig },
        body,
      });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - startedAt, eventId, attempts: attempt, error };
    } catch (err) {
      error = String(err.cause ?? err);
      if (attempt >= 5) return { status: 0, ms: NaN, eventId, attempts: attempt, error };
      await sleep(100 * attempt);
    }
  }
}

/** Deliveries of these event ids still in flight. */
async function inFlight(stack, eventIds) {
  const { rows } = await stack.query(
    `SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = ANY($1) AND status IN ('received', 'enqueued')`,
    [eventIds],
  );
  return rows[0].n;
}

/** Per delivery: received and processed (ms since the epoch, database clock) and status. */
async function timeline(stack, eventIds) {
  const { rows } = await stack.query(
    `SELECT status, extract(epoch FROM received_at) * 1000 AS received, extract(epoch FROM processed_at) * 1000 AS processed
       FROM webhook_deliveries WHERE event_id = ANY($1)`,
    [eventIds],
  );
  return rows.map((r) => ({ status: r.status, received: Number(r.received), processed: Number(r.processed) }));
}

/** Of these (page id, title) pairs, how many live mirror rows show exactly that title. */
async function current(stack, pairs) {
  const { rows } = await stack.query(
    `SELECT count(*)::int AS n FROM unnest($1::uuid[], $2::text[]) AS e(page_id, title)
       JOIN notion_pages p ON p.page_id = e.page_id AND p.title = e.title AND p.deleted_at IS NULL`,
    [pairs.map((x) => x[0]), pairs.map((x) => x[1])],
  );
  return rows[0].n;
}

export async function lagBenchmark() {
  const cfg = LAG;
  const stack = await BenchStack.create('lag');
  const FakeNotion = await loadFakeNotion();
  const notion = new FakeNotion();
  await notion.start();
  const log = (msg) => console.log(`lag: ${msg}`);
  try {
    const appEnv = {
      NOTION_API_BASE_URL: notion.url,
      NOTION_RATE_LIMIT_PER_SECOND: '100',
      NOTION_RATE_LIMIT_BURST: '100',
      JOB_WORKER_CONCURRENCY: String(cfg.jobWorkerConcurrency),
    };
    // One at a time, so each cold start has the machine to itself.
    const coldStartMs = {};
    for (const name of APPS) {
      const app = await stack.start(name, appEnv);
      coldStartMs[name] = Math.round(await app.ready());
    }
    await sleep(cfg.idleSettleMs);
    const idle = memory(stack);
    log(`cold starts ${JSON.stringify(coldStartMs)}; idle RSS ${JSON.stringify(idle)}`);

    const api = new Api(stack.ports['api-gateway'], await devToken('bench-lag'));
    const projects = [];
    for (let p = 0; p < cfg.projects; p++) {
      const token = `secret_${randomBytes(12).toString('hex')}`;
      const {
        databaseId,
        dataSourceIds: [dataSourceId],
      } = notion.addDatabase(`Lag ${p}`, ['Pages']);
      notion.share(token, databaseId);
      const pages = notion
        .addPages(dataSourceId, cfg.pagesPerProject)
        .map((x) => ({ pageId: x.id, databaseId, dataSourceId }));
      projects.push({ ...(await api.createProject(`Lag ${p}`, databaseId, token)), pages });
    }
    await waitFor(
      async () => {
        const { rows } = await stack.query(
          // Bodies too (the backfill after the import): the phases measure a steady state.
          `SELECT count(*)::int AS n FROM project_sync s WHERE status = 'idle' AND last_synced_at IS NOT NULL
             AND page_count = $1 AND NOT EXISTS (SELECT 1 FROM notion_pages n WHERE n.project_id = s.project_id
               AND n.deleted_at IS NULL AND (n.content_fetched_at IS NULL OR n.content_fetched_at < n.last_edited_time))`,
          [cfg.pagesPerProject],
        );
        return rows[0].n === cfg.projects;
      },
      { timeoutMs: 300_000, intervalMs: 250, what: 'the first full sync of every project, and its bodies' },
    );
    // Interleaved: consecutive events go to different projects (and tokens).
    const events = [];
    for (let i = 0; i < cfg.pagesPerProject; i++)
      for (const project of projects) events.push({ project, page: project.pages[i] });
    const origin = webhookOrigin();

    // Phase 1: a fixed rate, open loop.
    const total = Math.min(events.length, cfg.ratePerSecond * cfg.durationSec);
    log(`phase 1: ${total} events at ${cfg.ratePerSecond}/s`);
    const interval = 1000 / cfg.ratePerSecond;
    const sends = [];
    let maxSlipMs = 0;
    const pids = Object.fromEntries(stack.apps.map((a) => [a.name, a.pid]));
    const cpu1 = cpuAccount(pids);
    const cpu1At = performance.now();
    // The bench process runs the fake Notion and the senders: if its own loop stalls, the figures are suspect.
    const benchLoop = monitorEventLoopDelay({ resolution: 10 });
    benchLoop.enable();
    const startedAt = performance.now();
    for (let i = 0; i < total;) {
      const due = startedAt + i * interval;
      const now = performance.now();
      if (now < due) {
        await sleep(due - now);
        continue;
      }
      maxSlipMs = Math.max(maxSlipMs, now - due);
      const { project, page } = events[i];
      notion.editPage(page.pageId, { title: `Lag ${i}` });
      sends.push(sendEvent(origin, project, page));
      i++;
    }
    const sent = await Promise.all(sends);
    const sendSeconds = (performance.now() - startedAt) / 1000;
    const ids1 = sent.filter((s) => s.status === 200).map((s) => s.eventId);
    await waitFor(async () => (await inFlight(stack, ids1)) === 0, {
      timeoutMs: 300_000,
      intervalMs: 200,
      what: 'phase 1 deliveries to be processed',
    });
    const busy1 = cpu1.stop();
    const cpu1Seconds = (performance.now() - cpu1At) / 1000;
    benchLoop.disable();
    const benchLoopDelayMs = { p99: round(benchLoop.percentile(99) / 1e6), max: round(benchLoop.max / 1e6) };
    const t1 = await timeline(stack, ids1);
    const lag = latencySummary(t1.filter((d) => d.status === 'processed').map((d) => d.processed - d.received));
    // Every accepted event's page shows the edit it announced (an event never accepted is Notion's to retry).
    const accepted1 = sent.flatMap((x, i) => (x.status === 200 ? [[events[i].page.pageId, `Lag ${i}`]] : []));
    const titled1 = await current(stack, accepted1);
    const afterPhase1 = memory(stack);

    // Phase 2: saturation.
    log(`phase 2: ${events.length} events, ${cfg.saturationSenders} senders`);
    events.forEach(({ page }, i) => notion.editPage(page.pageId, { title: `Burst ${i}` }));
    const cpu2 = cpuAccount(pids);
    const cpu2At = performance.now();
    const burst = [];
    let next = 0;
    const burstStartedAt = performance.now();
    await Promise.all(
      Array.from({ length: cfg.saturationSenders }, async () => {
        while (next < events.length) {
          const i = next++;
          const { project, page } = events[i];
          burst.push({ ...(await sendEvent(origin, project, page, 'sync')), pageId: page.pageId, title: `Burst ${i}` });
        }
      }),
    );
    const burstSendSeconds = (performance.now() - burstStartedAt) / 1000;
    const ids2 = burst.filter((s) => s.status === 200).map((s) => s.eventId);
    await waitFor(async () => (await inFlight(stack, ids2)) === 0, {
      timeoutMs: 600_000,
      intervalMs: 250,
      what: 'phase 2 deliveries to be processed',
    });
    const busy2 = cpu2.stop();
    const cpu2Seconds = (performance.now() - cpu2At) / 1000;
    const loaded = memory(stack);
    const t2 = await timeline(stack, ids2);
    const received = t2.map((d) => d.received);
    const processed = t2.filter((d) => d.status === 'processed').map((d) => d.processed);
    const p10 = percentile(processed, 10);
    const p90 = percentile(processed, 90);
    const sustained = round((0.8 * processed.length) / ((p90 - p10) / 1000), 0);
    const firstReceived = Math.min(...received);
    const overall = round(processed.length / ((Math.max(...processed) - firstReceived) / 1000), 0);
    const ingestRate = round(received.length / ((Math.max(...received) - firstReceived) / 1000), 0);
    // Saturated: deliveries waiting (received, not yet processed) at the middle of the window.
    const mid = (p10 + p90) / 2;
    const backlogAtMid = received.filter((r) => r <= mid).length - processed.filter((p) => p <= mid).length;
    const accepted2 = burst.flatMap((x) => (x.status === 200 ? [[x.pageId, x.title]] : []));
    const titled2 = await current(stack, accepted2);
    const ledger = {};
    for (const d of [...t1, ...t2]) ledger[d.status] = (ledger[d.status] ?? 0) + 1;

    // What the system spends per synced page: the three apps, Postgres and
    // Redis (the load generator and the fake Notion, in the bench process, not counted).
    const perPage = (busy, seconds, pages) =>
      round((SYSTEM.reduce((sum, name) => sum + (busy.cores[name] ?? 0), 0) * seconds * 1000) / Math.max(pages, 1), 2);
    const cpuMsPerPage1 = perPage(busy1, cpu1Seconds, t1.filter((d) => d.status === 'processed').length);
    const cpuMsPerPage2 = perPage(busy2, cpu2Seconds, processed.length);
    const non200 = sent.length - ids1.length + burst.length - ids2.length;
    const resent = [...sent, ...burst].filter((x) => x.attempts > 1);
    const networkErrors = [...new Set(resent.map((x) => x.error).filter(Boolean))];
    const intake1 = latencySummary(sent.filter((s) => s.status === 200).map((s) => s.ms));
    printTable(
      `End-to-end lag: ${total} events at ${cfg.ratePerSecond}/s over ${cfg.projects} projects (job-worker concurrency ${cfg.jobWorkerConcurrency})`,
      ['measure', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [
        ['webhook accepted -> page row written', lag.p50, lag.p90, lag.p99, lag.max],
        ['webhook answer (sender side)', intake1.p50, intake1.p90, intake1.p99, intake1.max],
      ],
    );
    printTable(
      'Saturation and checks',
      ['measure', 'value'],
      [
        ['phase 1 achieved send rate', `${round(total / sendSeconds, 0)}/s (max slip ${round(maxSlipMs)} ms)`],
        ['phase 1 bench event-loop delay p99 / max (ms)', `${benchLoopDelayMs.p99} / ${benchLoopDelayMs.max}`],
        ['phase 1 accepted events whose page shows their edit', `${titled1} / ${accepted1.length}`],
        ['phase 2 webhooks accepted per second', ingestRate],
        ['phase 2 pages synced per second (sustained, p10..p90)', sustained],
        ['phase 2 pages synced per second (overall)', overall],
        ['phase 2 backlog at mid-window', backlogAtMid],
        [
          'phase 2 lag p50 / p99 (ms, under saturation)',
          (() => {
            const l = latencySummary(t2.filter((d) => d.status === 'processed').map((d) => d.processed - d.received));
            return `${l.p50} / ${l.p99}`;
          })(),
        ],
        ['phase 2 accepted events whose page shows their edit', `${titled2} / ${accepted2.length}`],
        ['non-200 answers', non200],
        ['events sent again after a network error (as Notion retries)', resent.length],
        ['ledger (both phases)', JSON.stringify(ledger)],
      ],
    );
    printTable(
      'CPU (cores used on average; the machine has 2)',
      ['phase', 'machine busy', ...Object.keys(busy1.cores)],
      [
        ['phase 1 (200/s)', busy1.machineBusy, ...Object.values(busy1.cores)],
        ['phase 2 (saturation)', busy2.machineBusy, ...Object.values(busy2.cores)],
      ],
    );
    const nothingLost =
      titled1 === accepted1.length &&
      titled2 === accepted2.length &&
      (ledger.processed ?? 0) === ids1.length + ids2.length;
    return {
      config: { ...cfg, NOTION_RATE_LIMIT_PER_SECOND: 100, NOTION_RATE_LIMIT_BURST: 100 },
      lagMeasured: 'processed_at - received_at of webhook_deliveries (database clock)',
      phase1: {
        events: total,
        achievedRatePerSecond: round(total / sendSeconds, 0),
        maxSlipMs: round(maxSlipMs),
        benchLoopDelayMs,
        lagMs: lag,
        intakeAnswerMs: intake1,
        cpu: busy1,
        cpuMsPerSyncedPage: cpuMsPerPage1,
        acceptedEventsShown: `${titled1} / ${accepted1.length}`,
      },
      phase2: {
        events: events.length,
        sendSeconds: round(burstSendSeconds, 1),
        acceptedPerSecond: ingestRate,
        pagesSyncedPerSecondSustained: sustained,
        pagesSyncedPerSecondOverall: overall,
        backlogAtMidWindow: backlogAtMid,
        lagMs: latencySummary(t2.filter((d) => d.status === 'processed').map((d) => d.processed - d.received)),
        cpu: busy2,
        cpuMsPerSyncedPage: cpuMsPerPage2,
        acceptedEventsShown: `${titled2} / ${accepted2.length}`,
      },
      checks: {
        non200,
        resent: resent.length,
        networkErrors,
        ledger,
        appLogs: Object.fromEntries(stack.apps.map((a) => [a.name, a.logSummary()])),
      },
      footprint: { coldStartMs, idle, afterPhase1, loaded },
      targets: [
        target(
          `lag p99 at ${cfg.ratePerSecond}/s`,
          `< ${cfg.targetP99Ms} ms`,
          `${lag.p99} ms (p50 ${lag.p50}, max ${lag.max})`,
          lag.p99 < cfg.targetP99Ms,
        ),
        target(
          'pages synced per second at saturation',
          `>= ${cfg.targetPagesPerSecond}/s`,
          `${sustained}/s`,
          sustained >= cfg.targetPagesPerSecond,
        ),
        target(
          `CPU per synced page at ${cfg.ratePerSecond}/s (apps, Postgres, Redis)`,
          `<= ${cfg.targetCpuMsPerPage} ms`,
          `${cpuMsPerPage1} ms (${cpuMsPerPage2} ms at saturation)`,
          cpuMsPerPage1 <= cfg.targetCpuMsPerPage,
        ),
        target(
          'lag: webhooks refused or unanswered (Notion retries them)',
          'reported',
          `${non200} of ${sent.length + burst.length}`,
          null,
        ),
        target(
          'lag: every accepted event processed, its page current',
          'all',
          nothingLost ? 'all' : 'LOST/STALE',
          nothingLost,
          {
            check: true,
          },
        ),
      ],
    };
  } finally {
    await notion.stop();
    await stack.destroy();
  }
}
