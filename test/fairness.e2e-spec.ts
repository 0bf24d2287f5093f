import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { AppProcess, FakeNotion, waitFor } from '@app/testing';
import { apiUser, bindNotionDatabase, type ApiCall } from './jest/api-client.js';
import { isolatedEnv, type IsolatedEnv } from './jest/isolated-env.js';
import { processEnv, testEnv } from './jest/test-env.js';

/**
 * A port below the ephemeral range (32768 and up here) that nothing listens
 * on: a port from the ephemeral range can be taken by an outgoing connection
 * before the child process binds it.
 */
async function lowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

const A_PAGES = 2000;

/**
 * One tenant cannot hold the job-worker: project A has 2,000 page fetches
 * queued behind Notion's 3 requests/s for its token, and project B (another
 * token) still imports and takes a webhook edit at once. A job whose turn at
 * the rate limit is far off leaves its worker slot (delayed until its reserved
 * turn) instead of sleeping in it.
 *
 * The three built apps, one job-worker at its default concurrency (10), the
 * fake Notion at 3 requests/s per token, in a database and Redis prefix of the
 * suite's own. Latencies are printed, not asserted: the assertions are about
 * order (B is served while A still has most of its backlog).
 */
describe('fairness between tenants (three apps, fake Notion at 3 req/s)', () => {
  const notion = new FakeNotion();
  const apps: AppProcess[] = [];
  let isolated: IsolatedEnv;
  let pg: Client;
  let call: ApiCall;

  /** A database with `pages` pages and its own integration token, bound to a new project. */
  const newProject = async (pages: number) => {
    const p = await bindNotionDatabase(notion, call, ['Tasks'], ([ds]) => notion.addPages(ds!, pages));
    return { ...p, pages: p.seeded };
  };

  const syncState = async (projectId: string) =>
    (
      await pg.query<{ status: string; page_count: number; last_synced_at: Date | null }>(
        `SELECT status, page_count, last_synced_at FROM project_sync WHERE project_id = $1`,
        [projectId],
      )
    ).rows[0]!;

  const imported = (projectId: string, pages: number, timeoutMs: number) =>
    waitFor(
      async () => {
        const s = await syncState(projectId);
        return s.status === 'idle' && s.last_synced_at !== null && s.page_count === pages;
      },
      { timeoutMs, intervalMs: 50, what: `project ${projectId} imported with ${pages} pages` },
    );

  /** Page fetches of a token so far. */
  const fetchesOf = (token: string) =>
    notion.requests.filter((r) => r.token === token && r.method === 'GET' && r.path.startsWith('/v1/pages/')).length;

  beforeAll(async () => {
    isolated = await isolatedEnv('fairness');
    await notion.start();
    // Notion's own limit: the fake answers 429 beyond it, as Notion would.
    notion.rateLimit({ perSecond: 3, burst: 3 });
    const [port, eventWorkerPort, jobWorkerPort] = [await lowPort(), await lowPort(), await lowPort()];
    call = apiUser(loadConfig(testEnv()), `http://127.0.0.1:${port}/api/v1`);
    const shared = {
      ...isolated.env,
      NOTION_API_BASE_URL: notion.url,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      // Notion's pace (test-env raises it for other suites); JOB_WORKER_CONCURRENCY stays at its default.
      NOTION_RATE_LIMIT_PER_SECOND: '3',
      NOTION_RATE_LIMIT_BURST: '3',
      // The spec sends 2,000 webhooks and polls the API; the per-client limits are not under test.
      THROTTLE_LIMIT: '1000000',
      THROTTLE_IP_LIMIT: '1000000',
    };
    apps.push(
      AppProcess.start('api-gateway', processEnv({ ...shared, PORT: String(port) })),
      AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: String(eventWorkerPort) })),
      AppProcess.start('job-worker', processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: String(jobWorkerPort) })),
    );
    await Promise.all([
      apps[0]!.waitForReady(port),
      apps[1]!.waitForReady(eventWorkerPort),
      apps[2]!.waitForReady(jobWorkerPort),
    ]);
    pg = new Client({ connectionString: testEnv(isolated.env).DATABASE_URL });
    await pg.connect();
  }, 90_000);

  afterAll(async () => {
    await pg?.end();
    const exits = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
    await isolated?.dispose();
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 90_000);

  it("serves B's import and B's webhook edit while A's 2,000 queued fetches wait for A's rate limit", async () => {
    // A imports its pages (about 22 requests: 7 s at 3/s)...
    const a = await newProject(A_PAGES);
    await imported(a.id, A_PAGES, 120_000);
    // ...then all of them are edited at once in Notion: 2,000 webhooks, 2,000 page fetches to queue.
    const before = fetchesOf(a.token);
    for (let i = 0; i < A_PAGES; i += 100) {
      const deliveries = await Promise.all(
        a.pages.slice(i, i + 100).map((p) =>
          notion.sendWebhook({
            ...a.webhook,
            type: 'page.properties_updated',
            entity: { id: p.id, type: 'page' },
            data: { updated_properties: ['title'] },
          }),
        ),
      );
      expect(deliveries.every((d) => d.status === 200)).toBe(true);
    }
    await waitFor(
      async () =>
        (
          await pg.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM webhook_deliveries WHERE project_id = $1 AND status <> 'received'`,
            [a.id],
          )
        ).rows[0]!.n === A_PAGES,
      { timeoutMs: 60_000, intervalMs: 100, what: "A's 2,000 page fetches queued" },
    );
    const pendingOfA = () => A_PAGES - (fetchesOf(a.token) - before);
    expect(pendingOfA()).toBeGreaterThan(1800);

    // B, another tenant, binds its database now: its first import must not wait behind A.
    const importStarted = Date.now();
    const b = await newProject(20);
    await imported(b.id, 20, 90_000);
    const importMs = Date.now() - importStarted;
    expect(pendingOfA()).toBeGreaterThan(1800);

    // And an edit in B's Notion lands at once.
    const target = b.pages[7]!;
    const editSent = Date.now();
    const edit = await notion.editAndNotify(target.id, { title: 'Edited while A waits' }, b.webhook);
    expect(edit.deliveries.map((d) => d.status)).toEqual([200]);
    await waitFor(
      async () => (await call('GET', `/projects/${b.id}/pages/${target.id}`)).body.title === 'Edited while A waits',
      { timeoutMs: 60_000, intervalMs: 50, what: "B's edit through the read API" },
    );
    const editMs = Date.now() - editSent;
    expect(pendingOfA()).toBeGreaterThan(1800);

    // A keeps its pace meanwhile, within Notion's bound of burst + rate × 10 s.
    expect(fetchesOf(a.token)).toBeGreaterThan(before);
    expect(notion.maxRequestsInWindow(a.token, 10_000)).toBeLessThanOrEqual(33);
    // Reported, not asserted: speed belongs to bench/.
    process.stdout.write(
      `fairness.e2e: with ${pendingOfA()} of A's fetches pending, B imported in ${importMs} ms, ` +
        `B's webhook edit -> read API in ${editMs} ms\n`,
    );
  }, 300_000);
});
