import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { loadConfig } from '@app/config';
import { AppProcess, FakeNotion, freePort, waitFor } from '@app/testing';
import { processEnv, testEnv } from './jest/test-env.js';

type Json = Record<string, any>;

const REPLAY_MAIN = 'dist/apps/cli/apps/cli/src/replay.js';

/**
 * Dead letters end to end: a page Notion keeps failing ends as a recorded
 * failure its owner can see and retry (API) and an operator can replay (CLI);
 * the retry lands the page and settles its deliveries.
 */
describe('dead letters (three apps, fake Notion)', () => {
  const notion = new FakeNotion();
  const env = testEnv();
  const config = loadConfig(env);
  const apps: AppProcess[] = [];
  let base: string;
  let shared: Record<string, string>;
  let pg: Client;
  const bearer = (sub: string) =>
    signDevToken({ secret: config.auth.mode === 'secret' ? config.auth.secret : '', sub, ttlSeconds: 3600 });
  const owner = `auth0|${randomUUID()}`;

  const call = async (method: string, path: string, user = owner): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${bearer(user)}` } });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };

  let project: { id: string; webhook: { url: string; verificationToken: string } };
  let pages: Array<{ id: string }>;

  const deliveryStatuses = async (pageId: string) =>
    (
      await pg.query<{ status: string }>(
        `SELECT status FROM webhook_deliveries WHERE project_id = $1 AND entity_id = $2 ORDER BY received_at`,
        [project.id, pageId],
      )
    ).rows.map((r) => r.status);
  const title = async (pageId: string) => (await call('GET', `/projects/${project.id}/pages/${pageId}`)).body.title;

  /** Notion fails every fetch of `pageId` until `clearInjections()`; an edit of it then fails for good. */
  const poison = async (pageId: string, newTitle: string) => {
    notion.injectFailure({ status: 500, count: 1_000_000, path: new RegExp(`/v1/pages/${pageId}`) });
    await notion.editAndNotify(pageId, { title: newTitle }, project.webhook);
    await waitFor(async () => (await deliveryStatuses(pageId)).includes('failed') || undefined, {
      timeoutMs: 30_000,
      what: 'the poisoned delivery to fail',
    });
  };

  beforeAll(async () => {
    await notion.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    shared = {
      NOTION_API_BASE_URL: notion.url,
      RELAY_INTERVAL_MS: '300',
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '50',
      NOTION_MAX_RETRIES: '0',
    };
    const [ew, jw] = [await freePort(), await freePort()];
    apps.push(AppProcess.start('api-gateway', processEnv({ ...shared, PORT: String(port) })));
    apps.push(AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: String(ew) })));
    apps.push(AppProcess.start('job-worker', processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: String(jw) })));
    await Promise.all([apps[0]!.waitForReady(port), apps[1]!.waitForReady(ew), apps[2]!.waitForReady(jw)]);
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();

    const token = `secret_${randomBytes(12).toString('hex')}`;
    const verificationToken = `secret_${randomBytes(12).toString('hex')}`;
    const { databaseId, dataSourceIds } = notion.addDatabase('Tasks', ['Tasks']);
    notion.share(token, databaseId);
    pages = notion.addPages(dataSourceIds[0]!, 4);
    const res = await fetch(`${base}/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer(owner)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Poison',
        notionDatabaseId: databaseId,
        notionToken: token,
        notionWebhookSecret: verificationToken,
      }),
    });
    const created = (await res.json()) as Json;
    const id = created.id as string;
    // The secret URL from the create answer, aimed at this gateway.
    const hook = `${base.replace(/\/api\/v1$/, '')}${new URL((created.webhook as Json).url as string).pathname}`;
    project = { id, webhook: { url: hook, verificationToken } };
    await waitFor(async () => (await call('GET', `/projects/${id}`)).body.sync?.pageCount === 4 || undefined, {
      timeoutMs: 30_000,
      what: 'the first full sync',
    });
  }, 60_000);

  afterAll(async () => {
    await pg?.end();
    await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
  }, 60_000);

  it('records a page that keeps failing, lets everything else flow, and retries it on request', async () => {
    const [bad, good] = [pages[0]!, pages[1]!];
    await poison(bad.id, 'Fixed later');
    await notion.editAndNotify(good.id, { title: 'Flows' }, project.webhook);
    await waitFor(async () => (await title(good.id)) === 'Flows' || undefined, { what: 'the healthy page' });

    const listed = await call('GET', `/projects/${project.id}/sync/failures`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    const failure = listed.body.items[0] as Json;
    expect(failure).toMatchObject({
      job: 'sync-page',
      entityId: bad.id,
      attempts: 2,
      retryRequestedAt: null,
      retriedAt: null,
    });
    expect(failure.reason).toMatch(/500 internal_server_error/);
    expect(await deliveryStatuses(bad.id)).toEqual(['failed']);
    // One page's failure is its dead letter, not the project's error: its text
    // came from an event, which anyone holding the webhook URL can send.
    const { sync } = (await call('GET', `/projects/${project.id}`)).body;
    expect(sync).toMatchObject({ status: 'idle', lastError: null, pageCount: 4 });
    expect(await title(bad.id)).not.toBe('Fixed later');

    // Notion recovers; the owner asks for a retry.
    notion.clearInjections();
    const retry = await call('POST', `/projects/${project.id}/sync/failures/${failure.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.retryRequestedAt).toEqual(expect.any(String));
    await waitFor(async () => (await title(bad.id)) === 'Fixed later' || undefined, {
      timeoutMs: 30_000,
      what: 'the retried page',
    });
    await waitFor(async () => (await deliveryStatuses(bad.id)).every((s) => s === 'processed') || undefined, {
      what: 'its delivery processed',
    });
    const after = (await call('GET', `/projects/${project.id}/sync/failures`)).body.items as Json[];
    expect(after).toHaveLength(1);
    expect(after[0]!.retriedAt).toEqual(expect.any(String));
  }, 90_000);

  it('replays every failure of a project from the operator CLI', async () => {
    const bad = pages[2]!;
    await poison(bad.id, 'Replayed');
    notion.clearInjections();
    const run = spawnSync(process.execPath, [REPLAY_MAIN, '--project', project.id], {
      env: processEnv(shared),
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/1 failed job\(s\) of project .* queued for retry/);
    await waitFor(async () => (await title(bad.id)) === 'Replayed' || undefined, {
      timeoutMs: 30_000,
      what: 'the replayed page',
    });
    const usage = spawnSync(process.execPath, [REPLAY_MAIN], { env: processEnv(shared), encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/usage: npm run replay -- --project/);
  }, 90_000);

  it('answers 404 for another user, an unknown failure, and 400 for a malformed id', async () => {
    expect((await call('GET', `/projects/${project.id}/sync/failures`, 'someone-else')).status).toBe(404);
    expect((await call('POST', `/projects/${project.id}/sync/failures/${randomUUID()}/retry`)).status).toBe(404);
    const bad = await call('POST', `/projects/${project.id}/sync/failures/not-a-uuid/retry`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail ?? bad.body.errors).toBeDefined();
  });
});
