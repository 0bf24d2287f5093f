/**
 * Benchmark 3, full sync of a 12,000-page database (past Notion's 10,000-row
 * cap of one query), started by creating its project through the API.
 *
 * Rate limit on: our limiter at Notion's 3 requests/s (burst 3). Every request
 * the job-worker makes is in the fake Notion's log, so the floor is (requests
 * / 3) s; efficiency = floor / elapsed, elapsed from the project's 201 to its
 * sync being idle with 12,000 pages. A stricter reading is reported too: the
 * first request to the last, against (requests - burst) / 3. The limit itself
 * is checked: at most burst + 3 x 10 requests in any 10 s.
 * Rate limit off: the limiter at its highest (100/s, burst 100) and pages
 * upserted per second, over RUNS_OFF fresh projects (median reported).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Api, devToken } from './lib/api.mjs';
import { loadFakeNotion } from './lib/fake-notion.mjs';
import { cpuAccount } from './lib/procs.mjs';
import { percentile, printTable, round, target } from './lib/report.mjs';
import { BenchStack, waitFor } from './lib/stack.mjs';

export const FULL_SYNC = {
  pages: 12_000,
  runsOff: 3,
  targetEfficiency: 0.95,
  targetPagesPerSecond: 5000,
};

const RATE = 3;
const BURST = 3;

/** Creates a project for a new 12,000-page database and times its first full sync. */
async function timedFullSync(stack, api, notion, pages, label) {
  const token = `secret_${randomBytes(12).toString('hex')}`;
  const {
    databaseId,
    dataSourceIds: [dataSourceId],
  } = notion.addDatabase(label, ['Rows']);
  notion.share(token, databaseId);
  notion.addPages(dataSourceId, pages, { title: (i) => `Row ${i}` });
  const pids = Object.fromEntries(stack.apps.map((a) => [a.name, a.pid]));
  const cpu = cpuAccount(pids);
  const startedAt = performance.now();
  const createdAtMs = Date.now();
  // The import of properties alone: bodies are fetched after it, at background priority (issue 14).
  const project = await api.createProject(label, databaseId, token, { syncContent: false });
  await waitFor(
    async () => {
      const { rows } = await stack.query(
        `SELECT status, page_count, last_synced_at, last_error FROM project_sync WHERE project_id = $1`,
        [project.id],
      );
      const p = rows[0];
      if (p.status === 'error') throw new Error(`full sync failed: ${p.last_error}`);
      return p.status === 'idle' && p.last_synced_at && p.page_count === pages;
    },
    { timeoutMs: 600_000, intervalMs: 20, what: `the full sync of ${label}` },
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const usage = cpu.stop();
  const mine = notion.requests.filter((r) => r.token === token);
  const { rows } = await stack.query(
    `SELECT count(*)::int AS n, count(DISTINCT page_id)::int AS ids FROM notion_pages WHERE project_id = $1 AND deleted_at IS NULL`,
    [project.id],
  );
  const times = mine.map((r) => r.at);
  return {
    elapsedSec: round(elapsed, 2),
    requests: mine.length,
    byKind: {
      query: mine.filter((r) => r.path.endsWith('/query')).length,
      other: mine.filter((r) => !r.path.endsWith('/query')).length,
      non200: mine.filter((r) => r.status !== 200).length,
    },
    firstRequestAfterMs: Math.min(...times) - createdAtMs,
    firstToLastRequestSec: round((Math.max(...times) - Math.min(...times)) / 1000, 2),
    maxRequestsIn10s: notion.maxRequestsInWindow(token, 10_000),
    rows: rows[0].n,
    distinctRows: rows[0].ids,
    pagesPerSecond: round(pages / elapsed, 0),
    cpu: usage,
  };
}

export async function fullSyncBenchmark() {
  const cfg = FULL_SYNC;
  const stack = await BenchStack.create('full-sync');
  const FakeNotion = await loadFakeNotion();
  const notion = new FakeNotion();
  await notion.start();
  const log = (msg) => console.log(`full-sync: ${msg}`);
  try {
    const appEnv = { NOTION_API_BASE_URL: notion.url };
    const limited = { NOTION_RATE_LIMIT_PER_SECOND: String(RATE), NOTION_RATE_LIMIT_BURST: String(BURST) };
    const unlimited = { NOTION_RATE_LIMIT_PER_SECOND: '100', NOTION_RATE_LIMIT_BURST: '100' };
    const gateway = await stack.start('api-gateway', appEnv);
    const eventWorker = await stack.start('event-worker', appEnv);
    let jobWorker = await stack.start('job-worker', { ...appEnv, ...limited });
    await Promise.all([gateway.ready(), eventWorker.ready(), jobWorker.ready()]);
    const api = new Api(gateway.port, await devToken('bench-full-sync'));

    log(`rate limit on (${RATE}/s, burst ${BURST}): ${cfg.pages} pages`);
    const on = await timedFullSync(stack, api, notion, cfg.pages, 'Limited');
    const floor = on.requests / RATE;
    const efficiency = round(floor / on.elapsedSec, 3);
    const strictFloor = (on.requests - BURST) / RATE;
    const strictEfficiency = round(strictFloor / on.firstToLastRequestSec, 3);

    // The limiter's settings are read at boot: a job-worker of its own for the runs without it.
    await stack.stopApp(jobWorker);
    jobWorker = await stack.start('job-worker', { ...appEnv, ...unlimited });
    await jobWorker.ready();
    const off = [];
    for (let i = 0; i < cfg.runsOff; i++) {
      log(`rate limit off, run ${i + 1} of ${cfg.runsOff}`);
      off.push(await timedFullSync(stack, api, notion, cfg.pages, `Unlimited ${i + 1}`));
    }
    const median = percentile(
      off.map((r) => r.pagesPerSecond),
      50,
    );

    printTable(
      `Full sync of ${cfg.pages} pages`,
      ['run', 'elapsed s', 'requests', 'floor s', 'efficiency', 'pages/s', 'max req in 10 s', 'rows'],
      [
        [
          'limit 3/s',
          on.elapsedSec,
          on.requests,
          round(floor, 1),
          efficiency,
          on.pagesPerSecond,
          on.maxRequestsIn10s,
          on.rows,
        ],
        ...off.map((r, i) => [`no limit (${i + 1})`, r.elapsedSec, r.requests, '', '', r.pagesPerSecond, '', r.rows]),
      ],
    );
    printTable(
      'CPU (cores used on average)',
      ['run', 'machine busy', ...Object.keys(on.cpu.cores)],
      [on, ...off].map((r, i) => [
        i === 0 ? 'limit 3/s' : `no limit (${i})`,
        r.cpu.machineBusy,
        ...Object.values(r.cpu.cores),
      ]),
    );
    const complete = [on, ...off].every((r) => r.rows === cfg.pages && r.distinctRows === cfg.pages);
    const limitHeld = on.maxRequestsIn10s <= BURST + RATE * 10;
    return {
      config: { ...cfg, rateLimited: { ...limited }, unlimited: { ...unlimited } },
      rateLimited: {
        ...on,
        floorSec: round(floor, 2),
        efficiency,
        strict: { floorSec: round(strictFloor, 2), overSec: on.firstToLastRequestSec, efficiency: strictEfficiency },
      },
      unlimited: { runs: off, medianPagesPerSecond: median },
      checks: { complete, limitHeld, appLogs: Object.fromEntries(stack.apps.map((a) => [a.name, a.logSummary()])) },
      targets: [
        target(
          'full sync efficiency at 3 requests/s',
          `>= ${cfg.targetEfficiency * 100}%`,
          `${round(efficiency * 100, 1)}% (${on.elapsedSec} s for ${on.requests} requests, floor ${round(floor, 1)} s)`,
          efficiency >= cfg.targetEfficiency,
        ),
        target(
          'full sync pages upserted per second, no limit',
          `>= ${cfg.targetPagesPerSecond}/s`,
          `${median}/s (median of ${cfg.runsOff})`,
          median >= cfg.targetPagesPerSecond,
        ),
        target(
          'full sync: every page, rate limit held',
          'all, <= 33 per 10 s',
          `${complete ? 'all' : 'MISSING'}, max ${on.maxRequestsIn10s} per 10 s`,
          complete && limitHeld,
          { check: true },
        ),
      ],
    };
  } finally {
    await notion.stop();
    await stack.destroy();
  }
}
