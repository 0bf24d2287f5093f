import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from '@jest/globals';
import { signWebhookPayload } from '@notionhq/client';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { loadConfig } from '@app/config';
import { JobName, QueueName, syncIds } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { type AppName, AppProcess, type Exit, FakeNotion, type FakePage, freePort, waitFor } from '@app/testing';
import { processEnv, testEnv } from '../jest/test-env.js';

/**
 * Settings every chaos scenario starts from: a relay that reacts within
 * seconds, short job backoffs, and limits out of the way (pacing is not under
 * test here). Scenarios override what they exercise.
 */
export const CHAOS_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  RELAY_INTERVAL_MS: '500',
  RELAY_RECEIVED_GRACE_MS: '1000',
  // A delivery claimed by an event-worker that was then killed waits this long.
  DISPATCH_LEASE_MS: '5000',
  JOB_BACKOFF_MS: '200',
  NOTION_MAX_RETRIES: '1',
  NOTION_RATE_LIMIT_PER_SECOND: '100',
  NOTION_RATE_LIMIT_BURST: '100',
  THROTTLE_LIMIT: '1000000',
  THROTTLE_IP_LIMIT: '1000000',
};

/** One webhook request as Notion would send it, and what the gateway answered. */
export interface SentEvent {
  readonly eventId: string;
  readonly pageId: string;
  readonly attemptNumber: number;
  /** HTTP status, or 0 when no answer came within the deadline. */
  readonly status: number;
  readonly retryAfter: string | null;
  readonly ms: number;
  /** The envelope sent (a retry re-sends it with a higher `attempt_number`). */
  readonly envelope: Record<string, unknown>;
}

export interface ChaosProject {
  readonly id: string;
  readonly token: string;
  readonly databaseId: string;
  readonly dataSourceId: string;
  readonly webhookUrl: string;
  readonly verificationToken: string;
  readonly pages: FakePage[];
}

/** A webhook without an answer after this long counts as a failure (Notion gives up too). */
const WEBHOOK_DEADLINE_MS = 15_000;

/**
 * The three built apps as real processes against a FakeNotion of the
 * scenario's own, plus a Postgres client and a BullMQ queue handle for the
 * checks. Every process it starts is its own (`AppProcess`), and only those
 * are ever signalled.
 */
export class ChaosStack {
  readonly notion = new FakeNotion();
  readonly apps: AppProcess[] = [];
  readonly env = testEnv();
  pg!: Client;
  queue!: Queue;
  gateway!: AppProcess;
  base = '';
  private overrides: Record<string, string> = {};
  private bearer = '';

  /**
   * @param redisUrl the Redis every app and the queue handle use (a scenario's
   *   throwaway one, or the run's).
   */
  async start(overrides: Record<string, string> = {}, redisUrl = this.env.REDIS_URL!): Promise<this> {
    await this.notion.start();
    this.overrides = { ...CHAOS_ENV, NOTION_API_BASE_URL: this.notion.url, REDIS_URL: redisUrl, ...overrides };
    const config = loadConfig({ ...this.env, ...this.overrides });
    this.bearer = signDevToken({
      secret: config.auth.mode === 'secret' ? config.auth.secret : '',
      sub: `chaos-${randomUUID()}`,
      ttlSeconds: 3600,
    });
    this.pg = new Client({ connectionString: this.env.DATABASE_URL });
    await this.pg.connect();
    this.queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(redisUrl),
    });
    // Redis may be restarted under it: errors are expected, not fatal.
    this.queue.on('error', () => undefined);
    return this;
  }

  /** Starts one app and waits until it is ready; `extra` overrides this process's environment only. */
  async startApp(name: AppName, extra: Record<string, string> = {}): Promise<AppProcess> {
    const port = await freePort();
    const portVar =
      name === 'api-gateway' ? 'PORT' : name === 'event-worker' ? 'EVENT_WORKER_HEALTH_PORT' : 'JOB_WORKER_HEALTH_PORT';
    const app = AppProcess.start(name, processEnv({ ...this.overrides, ...extra, [portVar]: String(port) }));
    this.apps.push(app);
    await app.waitForReady(port);
    if (name === 'api-gateway') {
      this.gateway = app;
      this.base = `http://127.0.0.1:${port}/api/v1`;
    }
    return app;
  }

  /** Gateway, event-worker and job-worker, started together. */
  async startAll(extra: Partial<Record<AppName, Record<string, string>>> = {}): Promise<void> {
    await Promise.all([
      this.startApp('api-gateway', extra['api-gateway']),
      this.startApp('event-worker', extra['event-worker']),
      this.startApp('job-worker', extra['job-worker']),
    ]);
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.bearer}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WEBHOOK_DEADLINE_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /**
   * A Notion database of `pageCount` pages shared with a token of its own, and
   * a project bound to it whose webhook is verified (the secret is given at
   * creation); waits for the first full sync, so what follows is webhooks only.
   */
  async createProject(pageCount: number): Promise<ChaosProject> {
    const token = `secret_${randomBytes(12).toString('hex')}`;
    const verificationToken = `secret_${randomBytes(12).toString('hex')}`;
    const { databaseId, dataSourceIds } = this.notion.addDatabase('Chaos', ['Tasks']);
    this.notion.share(token, databaseId);
    const dataSourceId = dataSourceIds[0]!;
    const pages = this.notion.addPages(dataSourceId, pageCount, { title: (i) => `Page ${i}` });
    const res = await this.api('POST', '/projects', {
      name: 'Chaos',
      notionDatabaseId: databaseId,
      notionToken: token,
      notionWebhookSecret: verificationToken,
      // The scenarios count page jobs in every worker slot and their deliveries:
      // a body backfill would hold a slot of its own (bodies: test/content.e2e-spec.ts).
      syncContent: false,
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    await waitFor(
      async () => {
        const sync = (await this.api('GET', `/projects/${id}`)).body.sync as
          { status: string; pageCount: number; lastSyncedAt: string | null } | undefined;
        return sync?.status === 'idle' && sync.lastSyncedAt !== null && sync.pageCount === pageCount;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `project ${id} imported with ${pageCount} pages` },
    );
    // The secret URL from the create answer (PUBLIC_BASE_URL's origin), aimed at this stack.
    const webhookUrl = `${this.base.replace(/\/api\/v1$/, '')}${new URL((res.body.webhook as { url: string }).url).pathname}`;
    return { id, token, databaseId, dataSourceId, webhookUrl, verificationToken, pages };
  }

  /**
   * Edits the page in Notion and delivers `page.properties_updated` about it,
   * as `FakeNotion.editAndNotify` does (same envelope, from the fake's
   * `webhookOrigin`), but keeps the response headers (`Retry-After`) and bounds
   * the wait for an answer.
   */
  async editAndNotify(project: ChaosProject, pageId: string, title: string): Promise<SentEvent> {
    this.notion.editPage(pageId, { title });
    const origin = this.notion.webhookOrigin;
    const envelope = {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      workspace_id: origin.workspaceId,
      workspace_name: origin.workspaceName,
      subscription_id: origin.subscriptionId,
      integration_id: origin.integrationId,
      authors: origin.authors,
      attempt_number: 1,
      api_version: origin.apiVersion,
      entity: { id: pageId, type: 'page' },
      type: 'page.properties_updated',
      data: {
        parent: { id: project.databaseId, type: 'database', data_source_id: project.dataSourceId },
        updated_properties: ['title'],
      },
    };
    return this.deliver(project, envelope);
  }

  /** Notion's retry of an event: the same envelope (and id) with the next `attempt_number`. */
  redeliver(project: ChaosProject, sent: SentEvent): Promise<SentEvent> {
    return this.deliver(project, { ...sent.envelope, attempt_number: sent.attemptNumber + 1 });
  }

  private async deliver(project: ChaosProject, envelope: Record<string, unknown>): Promise<SentEvent> {
    const payload = JSON.stringify(envelope);
    const signature = await signWebhookPayload({ body: payload, verificationToken: project.verificationToken });
    const started = Date.now();
    const common = {
      eventId: envelope.id as string,
      pageId: (envelope.entity as { id: string }).id,
      attemptNumber: envelope.attempt_number as number,
      envelope,
    };
    try {
      const res = await fetch(project.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-notion-signature': signature },
        body: payload,
        signal: AbortSignal.timeout(WEBHOOK_DEADLINE_MS),
      });
      await res.arrayBuffer();
      return { ...common, status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
    } catch {
      return { ...common, status: 0, retryAfter: null, ms: Date.now() - started };
    }
  }

  /** Job ids of the queue's active page jobs for this project. */
  async activeJobIds(projectId: string): Promise<string[]> {
    const active = await this.queue.getActive();
    // Page jobs only: each settles deliveries, which the scenarios count.
    return active
      .filter((j) => j.name === JobName.SyncPage && (j.data as { projectId?: string }).projectId === projectId)
      .map((j) => j.id!);
  }

  /** Removes the project's job schedulers, so nothing of it runs after its scenario. */
  async forget(projectId: string | undefined): Promise<void> {
    if (!projectId || !this.queue) return;
    const ids = syncIds(projectId);
    await this.queue.removeJobScheduler(ids.reconcileScheduler).catch(() => undefined);
    await this.queue.removeJobScheduler(ids.fullSyncScheduler).catch(() => undefined);
  }

  /** SIGTERM to every app still running, in parallel; their exits. */
  async stopApps(): Promise<Exit[]> {
    return Promise.all(this.apps.filter((a) => a.running).map((a) => a.stop('SIGTERM', 20_000)));
  }

  async stop(): Promise<void> {
    await this.stopApps();
    await this.queue?.close().catch(() => undefined);
    await this.pg?.end().catch(() => undefined);
    await this.notion.stop();
  }

  /** Every app's error-level log lines, prefixed with the app name (for failure messages). */
  errorLines(): string[] {
    return this.apps.flatMap((a) => a.errorLines().map((line) => `${a.name}[${a.pid}]: ${line}`));
  }
}

/**
 * Calls `send(i)` for i = 0..count-1 at a steady `perSecond`, without waiting
 * for answers (a slow answer must not slow the stream, as with Notion), and
 * runs `beforeSend(i)` first (to inject a fault at a given point). Resolves
 * with every result, in order.
 */
export async function stream<T>(
  count: number,
  perSecond: number,
  send: (i: number) => Promise<T>,
  beforeSend: (i: number) => Promise<void> | void = () => undefined,
): Promise<T[]> {
  const started = Date.now();
  const pending: Array<Promise<T>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    await beforeSend(i);
    pending.push(send(i));
  }
  return Promise.all(pending);
}

/** Prints one line to the run's output (Jest keeps stdout of passing tests). */
export function report(line: string): void {
  process.stdout.write(`chaos: ${line}\n`);
}
