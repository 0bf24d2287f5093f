import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signWebhookPayload } from '@notionhq/client';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { AppProcess, FIXTURE_NOTION_TOKEN, freePort, waitFor } from '@app/testing';
import { AdminServer, BULL_BOARD_PATH } from '../apps/api-gateway/src/admin/admin-server.js';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { processEnv, testConfig, testEnv } from './jest/test-env.js';

const ADMIN = { username: 'ops', password: 'correct-horse-battery-staple' };
const basic = (username: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the Prometheus text format (enough of it for these checks). */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`Not an exposition line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The sum of a metric's samples whose labels include `labels` (0 when there are none). */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

/**
 * The admin surface and the metrics, in one process: the gateway's admin port
 * (/metrics, Bull Board behind HTTP Basic), /metrics on each worker's health
 * port, and counters that move with a real webhook -> dispatch -> job round
 * trip. The public port serves none of it.
 */
describe('metrics and the admin surface', () => {
  // No relay: full syncs that earlier suites' projects still request must not
  // crowd the job-worker while this suite waits for its own job.
  const quiet = { RELAY_RECEIVED_GRACE_MS: '3600000' };
  const config = testConfig({ ...quiet, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  const apps: INestApplication[] = [];
  let gateway: NestFastifyApplication;
  let publicUrl: string;
  let adminUrl: string;
  let eventWorkerUrl: string;
  let jobWorkerUrl: string;
  /** A gateway without admin credentials, and apps with METRICS_ENABLED=false. */
  let plainGateway: INestApplication;
  let offGateway: INestApplication;
  let offWorkerUrl: string;
  let pg: Client;

  const scrape = async (base: string) => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };
  const adminPortOf = (app: INestApplication) => app.get(AdminServer).port();

  beforeAll(async () => {
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
    gateway = await createGatewayApp(config);
    await gateway.listen(0, '127.0.0.1');
    publicUrl = await gateway.getUrl();
    adminUrl = `http://127.0.0.1:${adminPortOf(gateway)}`;
    const eventWorker = await createEventWorkerApp(config);
    await eventWorker.startAllMicroservices();
    await eventWorker.listen(0, '127.0.0.1');
    eventWorkerUrl = await eventWorker.getUrl();
    const jobWorker = await createJobWorkerApp(config);
    await jobWorker.listen(0, '127.0.0.1');
    jobWorkerUrl = await jobWorker.getUrl();
    apps.push(gateway, eventWorker, jobWorker);

    // Started here and closed in afterAll: a gateway closed right after it
    // started can leave its event-bus connection open (its connect is not awaited).
    plainGateway = await createGatewayApp(testConfig(quiet));
    await plainGateway.init();
    const off = testConfig({ ...quiet, METRICS_ENABLED: 'false', RELAY_INTERVAL_MS: '600000' });
    offGateway = await createGatewayApp(off);
    await offGateway.init();
    // No microservice started: it must not take deliveries from the worker above.
    const offWorker = await createEventWorkerApp(off);
    await offWorker.listen(0, '127.0.0.1');
    offWorkerUrl = await offWorker.getUrl();
    apps.push(plainGateway, offGateway, offWorker);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await pg?.end();
  });

  const createProject = async (webhookSecret: string) => {
    const secret = config.auth.mode === 'secret' ? config.auth.secret : '';
    const token = signDevToken({ secret, sub: `owner-${randomUUID()}`, ttlSeconds: 600 });
    const res = await fetch(`${publicUrl}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'metrics',
        notionDatabaseId: randomUUID(),
        notionToken: FIXTURE_NOTION_TOKEN,
        notionWebhookSecret: webhookSecret,
      }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; webhook: { url: string } };
    // The secret URL from the create answer, aimed at this gateway.
    return { projectId: created.id, hook: `${publicUrl}${new URL(created.webhook.url).pathname}` };
  };
  const postWebhook = (hook: string, raw: string, signature?: string) =>
    fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature && { 'x-notion-signature': signature }) },
      body: raw,
    });
  const pageEvent = () => ({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    workspace_id: randomUUID(),
    subscription_id: randomUUID(),
    integration_id: randomUUID(),
    type: 'page.properties_updated',
    authors: [{ id: randomUUID(), type: 'person' }],
    attempt_number: 1,
    entity: { id: randomUUID(), type: 'page' },
    data: { parent: { id: randomUUID(), type: 'database' }, updated_properties: ['title'] },
  });

  describe('the public port', () => {
    it('serves neither /metrics nor Bull Board, with or without credentials', async () => {
      for (const path of ['/metrics', BULL_BOARD_PATH, `${BULL_BOARD_PATH}/api/queues`, '/api/v1/metrics']) {
        const res = await fetch(`${publicUrl}${path}`, { headers: basic(ADMIN.username, ADMIN.password) });
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
      // The same paths are live on the admin port: the 404s above are not an accident of the paths.
      expect((await fetch(`${adminUrl}/metrics`)).status).toBe(200);
      expect(
        (await fetch(`${adminUrl}${BULL_BOARD_PATH}`, { headers: basic(ADMIN.username, ADMIN.password) })).status,
      ).toBe(200);
    });
  });

  describe('Bull Board on the admin port', () => {
    it('asks for credentials (401 with a Basic challenge) without them, or with wrong ones', async () => {
      const cases: Array<[string, Record<string, string>]> = [
        ['none', {}],
        ['wrong password', basic(ADMIN.username, `${ADMIN.password}x`)],
        ['wrong user', basic('root', ADMIN.password)],
        ['a bearer token', { authorization: 'Bearer abc' }],
      ];
      for (const [what, headers] of cases) {
        for (const path of [BULL_BOARD_PATH, `${BULL_BOARD_PATH}/api/queues`]) {
          const res = await fetch(`${adminUrl}${path}`, { headers });
          expect({ what, path, status: res.status }).toEqual({ what, path, status: 401 });
          expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
          expect(await res.text()).not.toContain('__UI_CONFIG__');
        }
      }
    });

    it('serves the board and its queues with the right credentials', async () => {
      const page = await fetch(`${adminUrl}${BULL_BOARD_PATH}`, { headers: basic(ADMIN.username, ADMIN.password) });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<title>notion-sync</title>');

      const api = await fetch(`${adminUrl}${BULL_BOARD_PATH}/api/queues`, {
        headers: basic(ADMIN.username, ADMIN.password),
      });
      expect(api.status).toBe(200);
      const { queues } = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
      expect(queues.map((q) => [q.name, q.readOnlyMode])).toEqual([['notion-sync', true]]);
    });

    it('is absent (404) when the admin credentials are unset, while /metrics stays', async () => {
      const base = `http://127.0.0.1:${adminPortOf(plainGateway)}`;
      const res = await fetch(`${base}${BULL_BOARD_PATH}`, { headers: basic(ADMIN.username, ADMIN.password) });
      expect(res.status).toBe(404);
      expect((await fetch(`${base}${BULL_BOARD_PATH}/api/queues`)).status).toBe(404);
      expect(valueOf(await scrape(base), 'notion_sync_process_cpu_seconds_total')).toBeGreaterThan(0);
    });
  });

  describe('/metrics', () => {
    it("is served on each worker's health port, with process metrics labelled by app", async () => {
      for (const [base, app] of [
        [adminUrl, 'api-gateway'],
        [eventWorkerUrl, 'event-worker'],
        [jobWorkerUrl, 'job-worker'],
      ] as const) {
        const samples = await scrape(base);
        expect({ app, cpu: valueOf(samples, 'notion_sync_process_cpu_seconds_total', { app }) > 0 }).toEqual({
          app,
          cpu: true,
        });
        expect(samples.every((s) => s.labels.app === app)).toBe(true);
      }
      // Both workers report queue depths (read from Redis when scraped).
      for (const base of [eventWorkerUrl, jobWorkerUrl]) {
        const states = (await scrape(base))
          .filter((s) => s.name === 'notion_sync_queue_jobs' && s.labels.queue === 'notion-sync')
          .map((s) => s.labels.state)
          .sort();
        expect(states).toEqual(['active', 'completed', 'delayed', 'failed', 'waiting']);
      }
    });

    it('counts accepted, duplicate and rejected deliveries by reason', async () => {
      const webhookSecret = `secret_${randomUUID()}`;
      const { hook } = await createProject(webhookSecret);
      const before = await scrape(adminUrl);
      const raw = JSON.stringify(pageEvent());
      const signature = await signWebhookPayload({ body: raw, verificationToken: webhookSecret });

      expect((await postWebhook(hook, raw, signature)).status).toBe(200);
      expect((await postWebhook(hook, raw, signature)).status).toBe(200);
      expect((await postWebhook(hook, raw, 'sha256=00')).status).toBe(401);
      expect((await postWebhook(hook, raw)).status).toBe(401);
      expect((await postWebhook(`${publicUrl}/api/v1/webhooks/notion/${randomUUID()}`, raw, signature)).status).toBe(
        404,
      );
      expect(
        (
          await postWebhook(
            hook,
            '{"not":"an event"}',
            await signWebhookPayload({ body: '{"not":"an event"}', verificationToken: webhookSecret }),
          )
        ).status,
      ).toBe(400);

      const after = await scrape(adminUrl);
      const delta = (labels: Record<string, string>) =>
        valueOf(after, 'notion_sync_deliveries_total', labels) -
        valueOf(before, 'notion_sync_deliveries_total', labels);
      expect({
        accepted: delta({ outcome: 'accepted' }),
        duplicate: delta({ outcome: 'duplicate' }),
        badSignature: delta({ outcome: 'rejected', reason: 'bad_signature' }),
        unknownProject: delta({ outcome: 'rejected', reason: 'unknown_project' }),
        malformed: delta({ outcome: 'rejected', reason: 'malformed' }),
        rejected: delta({ outcome: 'rejected' }),
      }).toEqual({ accepted: 1, duplicate: 1, badSignature: 2, unknownProject: 1, malformed: 1, rejected: 4 });
    });

    it('shows a delivery dispatched, its job completed and its webhook-to-row lag', async () => {
      const webhookSecret = `secret_${randomUUID()}`;
      const { projectId, hook } = await createProject(webhookSecret);
      const event = pageEvent();
      const [ewBefore, jwBefore] = [await scrape(eventWorkerUrl), await scrape(jobWorkerUrl)];
      const raw = JSON.stringify(event);
      const signature = await signWebhookPayload({ body: raw, verificationToken: webhookSecret });
      expect((await postWebhook(hook, raw, signature)).status).toBe(200);

      // The fixture Notion knows no page: the job tombstones it and marks the delivery processed.
      await waitFor(
        async () => {
          const { rows } = await pg.query<{ status: string }>(
            'SELECT status FROM webhook_deliveries WHERE project_id = $1 AND event_id = $2',
            [projectId, event.id],
          );
          return rows[0]?.status === 'processed';
        },
        // Generous: jobs left by earlier suites of the run may be ahead of it.
        { what: 'the delivery to be processed', timeoutMs: 45_000 },
      );
      // The job's completion is counted on BullMQ's event, just after the delivery is marked.
      const jw = await waitFor(
        async () => {
          const samples = await scrape(jobWorkerUrl);
          const done = { name: 'sync-page', outcome: 'completed' };
          return valueOf(samples, 'notion_sync_jobs_total', done) > valueOf(jwBefore, 'notion_sync_jobs_total', done)
            ? samples
            : undefined;
        },
        { what: 'the completed job in jobs_total' },
      );
      const ew = await scrape(eventWorkerUrl);

      const grew = (now: Sample[], then: Sample[], name: string, labels: Record<string, string> = {}) =>
        valueOf(now, name, labels) - valueOf(then, name, labels);
      expect(grew(ew, ewBefore, 'notion_sync_dispatches_total', { outcome: 'enqueued' })).toBeGreaterThanOrEqual(1);
      expect(grew(jw, jwBefore, 'notion_sync_webhook_to_row_lag_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(
        grew(jw, jwBefore, 'notion_sync_job_duration_seconds_count', { name: 'sync-page', outcome: 'completed' }),
      ).toBeGreaterThanOrEqual(1);
      // The page fetch reached (fixture) Notion, which answered 404.
      expect(grew(jw, jwBefore, 'notion_sync_notion_requests_total', { status: '404' })).toBeGreaterThanOrEqual(1);
      // Receipt to processing took some time (a lag of 0 would mean the wrong timestamps).
      expect(grew(jw, jwBefore, 'notion_sync_webhook_to_row_lag_seconds_sum')).toBeGreaterThan(0);
    }, 90_000);
  });

  describe('METRICS_ENABLED=false', () => {
    it('serves no /metrics on a worker, and starts no admin server without credentials', async () => {
      expect((await fetch(`${offWorkerUrl}/health/live`)).status).toBe(200);
      expect((await fetch(`${offWorkerUrl}/metrics`)).status).toBe(404);
      expect(adminPortOf(offGateway)).toBeUndefined();
      expect(adminPortOf(plainGateway)).toEqual(expect.any(Number));
    });
  });
});

/** A GET from a chosen loopback address, so one test can play several clients of the admin port. */
function getFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter?: string; challenge?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          retryAfter: res.headers['retry-after'],
          challenge: res.headers['www-authenticate'],
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The hardened admin surface: the admin port on ADMIN_HOST (not HOST),
 * METRICS_TOKEN on every /metrics, and failed Bull Board logins limited per
 * client address.
 */
describe('the admin surface with ADMIN_HOST, METRICS_TOKEN and failed logins', () => {
  const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
  // 127.0.0.0/8 is all loopback on Linux: an address no other app of the run binds.
  const ADMIN_HOST = '127.0.0.3';
  const config = testConfig({
    RELAY_RECEIVED_GRACE_MS: '3600000',
    RELAY_INTERVAL_MS: '600000',
    ADMIN_HOST,
    METRICS_TOKEN,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  });
  const apps: INestApplication[] = [];
  let adminUrl: string;
  let workerUrl: string;

  beforeAll(async () => {
    const gateway = await createGatewayApp(config);
    apps.push(gateway);
    await gateway.init();
    adminUrl = `http://${ADMIN_HOST}:${gateway.get(AdminServer).port()}`;
    // No microservice started: it must not take deliveries from other suites' workers.
    const worker = await createEventWorkerApp(config);
    apps.push(worker);
    await worker.listen(0, '127.0.0.1');
    workerUrl = await worker.getUrl();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('listens on ADMIN_HOST, not HOST', async () => {
    const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('serves /metrics on the admin port and on a worker health port only with the bearer token', async () => {
    for (const base of [adminUrl, workerUrl]) {
      const cases: Array<[string, Record<string, string>]> = [
        ['none', {}],
        ['a wrong token', { authorization: `Bearer ${METRICS_TOKEN}x` }],
        ['a prefix of it', { authorization: `Bearer ${METRICS_TOKEN.slice(0, 8)}` }],
        ['Basic credentials', basic(ADMIN.username, ADMIN.password)],
      ];
      for (const [what, headers] of cases) {
        const res = await fetch(`${base}/metrics`, { headers });
        expect({ base, what, status: res.status }).toEqual({ base, what, status: 401 });
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
        expect(await res.text()).not.toContain('notion_sync_');
      }
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect({ base, status: res.status }).toEqual({ base, status: 200 });
      expect(parseMetrics(await res.text()).length).toBeGreaterThan(0);
    }
    // Health stays open: probes carry no token.
    expect((await fetch(`${workerUrl}/health/live`)).status).toBe(200);
  });

  it('refuses a client after 10 failed Bull Board logins (429, Retry-After), right credentials included, and only that client', async () => {
    const board = `${adminUrl}${BULL_BOARD_PATH}`;
    const [attacker, operator] = ['127.0.0.4', '127.0.0.5'];
    // Requests without credentials ask for the challenge: they are not failed logins.
    for (let i = 0; i < 12; i++) expect((await getFrom(attacker, board)).status).toBe(401);
    for (let i = 0; i < 10; i++) {
      const answer = await getFrom(attacker, board, basic(ADMIN.username, `guess-${i}`));
      expect({ i, status: answer.status }).toEqual({ i, status: 401 });
    }
    const limited = await getFrom(attacker, board, basic(ADMIN.username, 'guess-10'));
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(15 * 60);
    expect((await getFrom(attacker, board, basic(ADMIN.username, ADMIN.password))).status).toBe(429);
    expect((await getFrom(attacker, `${board}/api/queues`)).status).toBe(429);

    expect((await getFrom(operator, board, basic(ADMIN.username, ADMIN.password))).status).toBe(200);
    expect((await getFrom(operator, board)).status).toBe(401);
    // Metrics are not behind the Basic login, so the limit does not reach them.
    const scrape = await getFrom(attacker, `${adminUrl}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(scrape.status).toBe(200);
  });
});

/**
 * The built gateway as a real process: the admin server listens on ADMIN_PORT
 * beside the public port, serves Bull Board's real assets, and closes with the
 * app on SIGTERM.
 */
describe('the built gateway', () => {
  let gateway: AppProcess | undefined;

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
  });

  it("serves the admin port with Bull Board's assets, and shuts it down cleanly", async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    gateway = AppProcess.start(
      'api-gateway',
      processEnv({
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
      }),
    );
    await gateway.waitForReady(port);
    const admin = `http://127.0.0.1:${adminPort}`;
    expect((await fetch(`${admin}${BULL_BOARD_PATH}`)).status).toBe(401);
    const page = await fetch(`${admin}${BULL_BOARD_PATH}`, { headers: basic(ADMIN.username, ADMIN.password) });
    expect(page.status).toBe(200);
    const html = await page.text();
    const css = /href="(static\/css\/[^"]+\.css)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    const asset = await fetch(`${admin}${BULL_BOARD_PATH}/${css}`, { headers: basic(ADMIN.username, ADMIN.password) });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${admin}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

    expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await expect(fetch(`${admin}/metrics`)).rejects.toThrow();
    expect(gateway.errorLines()).toEqual([]);
  });
});
