import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { type AppConfig } from '@app/config';
import { QueueName, syncIds } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import { FakeNotion, waitFor } from '@app/testing';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { SyncRequestRelay } from '../apps/event-worker/src/project-sync/sync-request.relay.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { apiUser, bindNotionDatabase, type ApiCall } from './jest/api-client.js';
import { isolatedEnv, type IsolatedEnv } from './jest/isolated-env.js';
import { testConfig } from './jest/test-env.js';

const REJECTED = 'Notion rejected the integration token';

/**
 * A project whose token Notion rejects stops its scheduled syncs (its two job
 * schedulers) until its owner sets a new token or asks for a sync; the
 * event-worker's repair of lost schedulers leaves them off. Today's failure
 * mode: every such project kept its two schedulers, and their jobs, for ever.
 *
 * The three apps in process (a database and Redis prefix of the suite's own:
 * the repair must not meet other suites' projects), incremental syncs every
 * second, the fake Notion.
 */
describe('projects whose token Notion rejects', () => {
  const notion = new FakeNotion();
  const apps: INestApplication[] = [];
  let isolated: IsolatedEnv;
  let config: AppConfig;
  let call: ApiCall;
  let pg: Client;
  let queue: JobQueue;
  let relay: SyncRequestRelay;

  const newToken = () => `secret_${randomBytes(12).toString('hex')}`;

  const newProject = () => bindNotionDatabase(notion, call, ['Tasks'], ([ds]) => notion.addPages(ds!, 3));

  interface State {
    status: string;
    lastError: string | null;
    /** A full sync was asked for and no run has taken it up yet. */
    queued: boolean;
    reconcile: boolean;
    fullSync: boolean;
    requestedAt: Date | null;
    rejectedAt: Date | null;
  }

  /** The project's sync state (Postgres) and whether its two job schedulers exist (Redis). */
  const state = async (projectId: string): Promise<State> => {
    const row = (
      await pg.query<{
        status: string;
        last_error: string | null;
        requested_at: Date | null;
        token_rejected_at: Date | null;
        queued: boolean;
      }>(`SELECT status, last_error, requested_at, token_rejected_at, queued FROM project_sync WHERE project_id = $1`, [
        projectId,
      ])
    ).rows[0]!;
    const ids = syncIds(projectId);
    return {
      status: row.status,
      lastError: row.last_error,
      queued: row.queued,
      reconcile: await queue.hasScheduler(QueueName.NotionSync, ids.reconcileScheduler),
      fullSync: await queue.hasScheduler(QueueName.NotionSync, ids.fullSyncScheduler),
      requestedAt: row.requested_at,
      rejectedAt: row.token_rejected_at,
    };
  };

  const until = (projectId: string, ok: (s: State) => boolean, what: string) =>
    waitFor(async () => ((s) => (ok(s) ? s : undefined))(await state(projectId)), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `project ${projectId}: ${what}`,
    });

  // Not queued: a requested run took it up (a new project is stored idle before its import).
  const running = (s: State) => s.status === 'idle' && !s.queued && s.reconcile && s.fullSync;
  const halted = (s: State) => s.status === 'error' && s.lastError === REJECTED && !s.reconcile && !s.fullSync;

  /** Jobs of the project waiting or programmed in the queue. */
  const queuedJobs = async (projectId: string) =>
    (await queue.queue(QueueName.NotionSync).getJobs(['waiting', 'delayed', 'prioritized'])).filter(
      (j) => (j?.data as { projectId?: string } | undefined)?.projectId === projectId,
    );

  beforeAll(async () => {
    isolated = await isolatedEnv('rejected');
    await notion.start();
    config = testConfig({
      ...isolated.env,
      NOTION_API_BASE_URL: notion.url,
      SYNC_RECONCILE_INTERVAL_SECONDS: '1',
      RELAY_INTERVAL_MS: '300',
      NOTION_MAX_RETRIES: '0',
    });
    const gateway = await createGatewayApp(config);
    await gateway.listen(0, '127.0.0.1');
    call = apiUser(config, `${await gateway.getUrl()}/api/v1`);
    const eventWorker = await createEventWorkerApp(config);
    await eventWorker.startAllMicroservices();
    await eventWorker.init();
    const jobWorker = await createJobWorkerApp(config);
    await jobWorker.init();
    apps.push(gateway, eventWorker, jobWorker);
    queue = eventWorker.get(JobQueue);
    relay = eventWorker.get(SyncRequestRelay);
    pg = new Client({ connectionString: config.database.url });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    await pg?.end();
    for (const app of apps) await app.close();
    await notion.stop();
    await isolated?.dispose();
  }, 60_000);

  it('stops their scheduled syncs until the owner sets a new token or asks for a sync', async () => {
    const [renewed, retried, forgotten] = [await newProject(), await newProject(), await newProject()];
    for (const p of [renewed, retried, forgotten]) await until(p.id, running, 'imported, with its schedules');

    for (const p of [renewed, retried, forgotten]) notion.revoke(p.token);
    // The next incremental sync (every second here) is refused: the project says why, and its schedules stop.
    for (const p of [renewed, retried, forgotten]) await until(p.id, halted, 'in error, schedules stopped');
    // The repair of schedulers Redis lost (at startup and every five minutes) leaves them off...
    await relay.repairSchedulers();
    for (const p of [renewed, retried, forgotten]) {
      expect(await state(p.id)).toMatchObject({ reconcile: false, fullSync: false });
      // ...and nothing is left in the queue to ask Notion again.
      expect(await queuedJobs(p.id)).toEqual([]);
    }

    // A new token: the PATCH requests a full sync, which starts the schedules again.
    const token = newToken();
    notion.share(token, renewed.databaseId);
    expect((await call('PATCH', `/projects/${renewed.id}`, { notionToken: token })).status).toBe(200);
    await until(renewed.id, (s) => running(s) && s.lastError === null && s.rejectedAt === null, 'running again');

    // The owner fixed the integration in Notion and asks for a sync: the same.
    notion.share(retried.token, retried.databaseId);
    expect((await call('POST', `/projects/${retried.id}/sync`)).status).toBe(202);
    await until(retried.id, (s) => running(s) && s.rejectedAt === null, 'running again');

    // Asked for with the token still refused: the requested run is refused, and the schedules stop again.
    expect((await call('POST', `/projects/${forgotten.id}/sync`)).status).toBe(202);
    await until(
      forgotten.id,
      (s) => halted(s) && s.rejectedAt !== null && s.requestedAt !== null && s.rejectedAt > s.requestedAt,
      'refused again after the request',
    );
    await relay.repairSchedulers();
    expect(await state(forgotten.id)).toMatchObject({ reconcile: false, fullSync: false });
    // The others kept theirs through the repair.
    for (const p of [renewed, retried]) expect(await state(p.id)).toMatchObject({ reconcile: true, fullSync: true });
  }, 120_000);
});
