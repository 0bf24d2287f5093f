import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { JobName } from '@app/contracts';
import { DeadLetters } from '@app/dead-letters';
import { InboxService } from '@app/inbox';
import { MirrorWriter, ProjectSyncStore, type MirrorRow } from '@app/sync';
import type { NotionWebhookEnvelope } from '@app/notion';
import { Metrics } from '@app/observability';
import { insertDelivery, insertProject } from '@app/testing';
import { createGatewayApp } from '../apps/api-gateway/src/bootstrap.js';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { RetentionService } from '../apps/event-worker/src/retention/retention.service.js';
import { testConfig, testEnv } from './jest/test-env.js';

type Json = Record<string, any>;

/**
 * Retention on the real Postgres: the event-worker's pass prunes settled inbox
 * rows, resolved dead letters and old tombstones (recording each project's
 * purge watermark), and the gateway's change feed answers 410 to a client the
 * purge left behind. Rows are made old by moving their timestamps back.
 */
describe('retention', () => {
  // Passes are driven by the test: the timer's interval keeps it out of the way.
  // Small batches, so every pass below runs several.
  const config = testConfig({
    RETENTION_INTERVAL_SECONDS: '86400',
    RETENTION_BATCH_SIZE: '2',
    // The relays would dispatch the old in-flight deliveries below; they are not what this is about.
    RELAY_INTERVAL_MS: '600000',
    LOG_LEVEL: 'error',
  });
  const apps: INestApplication[] = [];
  let eventWorker: INestApplication;
  let gateway: NestFastifyApplication;
  let retention: RetentionService;
  let inbox: InboxService;
  let writer: MirrorWriter;
  let pg: Client;
  let base: string;

  const ago = (days: number) => `now() - make_interval(days => ${days})`;
  const exists = async (table: string, id: string) =>
    ((await pg.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rowCount ?? 0) > 0;

  beforeAll(async () => {
    eventWorker = await createEventWorkerApp(config);
    await eventWorker.init();
    gateway = await createGatewayApp(config);
    await gateway.listen(0, '127.0.0.1');
    apps.push(eventWorker, gateway);
    base = `${await gateway.getUrl()}/api/v1`;
    retention = eventWorker.get(RetentionService);
    inbox = eventWorker.get(InboxService);
    writer = gateway.get(MirrorWriter);
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await pg?.end();
  });

  describe('the inbox', () => {
    /** A delivery of `projectId` in `status`, received and settled `days` ago. */
    const delivery = async (projectId: string, status: string, days: number) => {
      const { deliveryId } = await insertDelivery(pg, projectId);
      await pg.query(
        `UPDATE webhook_deliveries SET status = $2, received_at = ${ago(days)},
           enqueued_at = CASE WHEN $2 <> 'received' THEN ${ago(days)} END,
           processed_at = CASE WHEN $2 IN ('processed', 'ignored', 'failed') THEN ${ago(days)} END
         WHERE id = $1`,
        [deliveryId, status],
      );
      return deliveryId;
    };

    it('prunes processed and ignored deliveries past RETENTION_INBOX_DAYS; keeps in-flight, failed and recent ones', async () => {
      const projectId = await insertProject(pg);
      const oldProcessed = await delivery(projectId, 'processed', 8);
      const oldIgnored = await delivery(projectId, 'ignored', 8);
      const kept = {
        recentProcessed: await delivery(projectId, 'processed', 6),
        oldReceived: await delivery(projectId, 'received', 30),
        oldEnqueued: await delivery(projectId, 'enqueued', 30),
        oldFailed: await delivery(projectId, 'failed', 30),
      };

      const report = await retention.pass();

      expect(report.inbox).toBeGreaterThanOrEqual(2);
      expect(await exists('webhook_deliveries', oldProcessed)).toBe(false);
      expect(await exists('webhook_deliveries', oldIgnored)).toBe(false);
      for (const [what, id] of Object.entries(kept)) {
        expect({ what, kept: await exists('webhook_deliveries', id) }).toEqual({ what, kept: true });
      }
    });

    it('still de-duplicates a redelivery within the window; past it, the row (and its protection) is gone', async () => {
      const projectId = await insertProject(pg);
      const event = (id: string): NotionWebhookEnvelope =>
        ({
          id,
          timestamp: new Date().toISOString(),
          type: 'page.properties_updated',
          entity: { id: randomUUID(), type: 'page' },
        }) as unknown as NotionWebhookEnvelope;
      const [recent, old] = [event(randomUUID()), event(randomUUID())];
      for (const e of [recent, old]) {
        const first = await inbox.record(projectId, e, e as unknown as Json, randomUUID());
        expect(first.duplicate).toBe(false);
      }
      // Processed a day and a half ago (Notion may still be retrying it), and eight days ago.
      await pg.query(
        `UPDATE webhook_deliveries SET status = 'processed',
           processed_at = CASE WHEN event_id = $2 THEN now() - interval '36 hours' ELSE ${ago(8)} END
         WHERE project_id = $1`,
        [projectId, recent.id],
      );

      await retention.pass();

      const again = await inbox.record(projectId, recent, recent as unknown as Json, randomUUID());
      expect(again.duplicate).toBe(true);
      const count = await pg.query(`SELECT event_id FROM webhook_deliveries WHERE project_id = $1`, [projectId]);
      expect(count.rows).toEqual([{ event_id: recent.id }]);
      // Why RETENTION_INBOX_DAYS is at least 2: the same event after its row is gone is new again.
      expect((await inbox.record(projectId, old, old as unknown as Json, randomUUID())).duplicate).toBe(false);
    });

    it('deletes in batches of the given size, oldest first', async () => {
      const projectId = await insertProject(pg);
      const ids: string[] = [];
      for (const days of [400, 300, 200, 100, 90]) ids.push(await delivery(projectId, 'processed', days));
      const left = async () =>
        (await pg.query(`SELECT id FROM webhook_deliveries WHERE project_id = $1`, [projectId])).rows.map((r) => r.id);

      expect(await inbox.pruneSettled(7, 2)).toBe(2);
      expect((await left()).sort()).toEqual(ids.slice(2).sort());
      // The pass runs batches of RETENTION_BATCH_SIZE (2 here) until none is left.
      expect((await retention.pass()).inbox).toBeGreaterThanOrEqual(3);
      expect(await left()).toEqual([]);
    });
  });

  describe('dead letters', () => {
    /** A recorded failure with its times moved back: [failed, retry requested, retried] in days ago. */
    const failure = async (projectId: string, failed: number, requested: number | null, retried: number | null) => {
      const jobId = randomUUID();
      await eventWorker.get(DeadLetters).record({
        job: { name: JobName.SyncPage, data: { projectId, pageId: randomUUID(), correlationId: randomUUID() } },
        jobId,
        reason: 'Notion answered 500',
        attempts: 8,
      });
      const { rows } = await pg.query<{ id: string }>(
        `UPDATE sync_failures SET failed_at = ${ago(failed)},
           retry_requested_at = ${requested === null ? 'NULL' : ago(requested)},
           retried_at = ${retried === null ? 'NULL' : ago(retried)}
         WHERE job_id = $1 RETURNING id`,
        [jobId],
      );
      return rows[0]!.id;
    };

    it('prunes dead letters whose retry was carried out past RETENTION_DEAD_LETTERS_DAYS, and only those', async () => {
      const projectId = await insertProject(pg);
      const resolved = await failure(projectId, 41, 40, 40);
      const kept = {
        neverRetried: await failure(projectId, 100, null, null),
        retryAskedNotCarriedOut: await failure(projectId, 41, 40, null),
        failedAgainAfterItsRetry: await failure(projectId, 39, 40, 40),
        retryAskedAgain: await failure(projectId, 41, 1, 40),
        retriedRecently: await failure(projectId, 11, 10, 10),
      };

      const report = await retention.pass();

      expect(report.deadLetters).toBeGreaterThanOrEqual(1);
      expect(await exists('sync_failures', resolved)).toBe(false);
      for (const [what, id] of Object.entries(kept)) {
        expect({ what, kept: await exists('sync_failures', id) }).toEqual({ what, kept: true });
      }
    });
  });

  describe('tombstones and the change feed', () => {
    const owner = `user_${randomUUID()}`;
    let projectId: string;
    const ids = { a: randomUUID(), b: randomUUID(), c: randomUUID(), d: randomUUID() };
    /** Versions: v0 the last live write, then the tombstones of b, c, d in that order. */
    let v0: bigint;
    let vB: string;
    let vC: string;
    let vD: string;

    const version = async (pageId: string) =>
      (
        await pg.query<{ version: string }>(
          `SELECT version::text FROM notion_pages WHERE project_id = $1 AND page_id = $2`,
          [projectId, pageId],
        )
      ).rows[0]?.version;
    const changes = async (after: string | bigint | number, user = owner) => {
      const token = signDevToken({
        secret: config.auth.mode === 'secret' ? config.auth.secret : '',
        sub: user,
        ttlSeconds: 600,
      });
      const res = await fetch(`${base}/projects/${projectId}/changes?after=${after}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Json };
    };
    const feedIds = (body: Json) => (body.items as Json[]).map((p) => p.id as string);

    beforeAll(async () => {
      projectId = await insertProject(pg, owner);
      await writer.upsert(
        projectId,
        Object.values(ids).map((id) => pageRow(id)),
        await writer.now(),
      );
      const { rows } = await pg.query<{ max: string }>(
        `SELECT max(version)::text AS max FROM notion_pages WHERE project_id = $1`,
        [projectId],
      );
      v0 = BigInt(rows[0]!.max);
      for (const id of [ids.b, ids.c, ids.d]) await writer.tombstone(projectId, id, await writer.now());
      [vB, vC, vD] = [(await version(ids.b))!, (await version(ids.c))!, (await version(ids.d))!];
      // b and c were deleted a month ago; d yesterday.
      await pg.query(
        `UPDATE notion_pages SET deleted_at = ${ago(31)} WHERE project_id = $1 AND page_id = ANY($2::uuid[])`,
        [projectId, [ids.b, ids.c]],
      );
      await pg.query(`UPDATE notion_pages SET deleted_at = ${ago(1)} WHERE project_id = $1 AND page_id = $2`, [
        projectId,
        ids.d,
      ]);
    });

    it('serves every tombstone before the purge', async () => {
      const res = await changes(v0);
      expect(res.status).toBe(200);
      expect(feedIds(res.body)).toEqual([ids.b, ids.c, ids.d]);
    });

    it('purges tombstones past RETENTION_TOMBSTONES_DAYS and records the greatest purged version', async () => {
      const store = gateway.get(ProjectSyncStore);
      expect(await store.purgeWatermark(projectId)).toBe('0');

      const report = await retention.pass();

      expect(report.tombstones).toBeGreaterThanOrEqual(2);
      expect(await version(ids.b)).toBeUndefined();
      expect(await version(ids.c)).toBeUndefined();
      expect(await version(ids.d)).toBe(vD);
      expect(await version(ids.a)).toBeDefined();
      expect(await store.purgeWatermark(projectId)).toBe(vC);
      // Nothing else is old enough: a second pass changes nothing.
      await retention.pass();
      expect(await store.purgeWatermark(projectId)).toBe(vC);
      expect(await version(ids.d)).toBe(vD);
    });

    it('answers 410 problem+json to a client behind the watermark: it would never learn of a purged deletion', async () => {
      for (const after of [v0, vB, BigInt(vC) - 1n, 1n]) {
        const res = await changes(after);
        expect({ after, status: res.status }).toEqual({ after, status: 410 });
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({
          type: 'urn:notion-sync:problem:changes-expired',
          title: 'Gone',
          status: 410,
          detail: expect.stringMatching(/start again from after=0/),
        });
      }
    });

    it('answers 200 from 0 (the live state and the tombstones left) and from the watermark or later', async () => {
      const fromZero = await changes(0);
      expect(fromZero.status).toBe(200);
      expect(feedIds(fromZero.body).sort()).toEqual([ids.a, ids.d].sort());
      // Equal: the client saw the purged tombstone with that very version.
      const atWatermark = await changes(vC);
      expect(atWatermark.status).toBe(200);
      expect(feedIds(atWatermark.body)).toEqual([ids.d]);
      const past = await changes(vD);
      expect(past.status).toBe(200);
      expect(past.body).toMatchObject({ items: [], nextAfter: vD, hasMore: false });
    });

    it('checks ownership first: 404 to another user, never 410', async () => {
      expect((await changes(v0, `user_${randomUUID()}`)).status).toBe(404);
    });

    it('feeds a page re-created after its purge at a new version, and keeps the 410 for clients behind', async () => {
      await writer.upsert(projectId, [pageRow(ids.b, '2026-04-01T10:00:00.000Z')], await writer.now());
      const vB2 = (await version(ids.b))!;
      expect(BigInt(vB2)).toBeGreaterThan(BigInt(vD));

      expect(feedIds((await changes(vC)).body)).toEqual([ids.d, ids.b]);
      expect(feedIds((await changes(0)).body).sort()).toEqual([ids.a, ids.b, ids.d].sort());
      expect((await changes(vB)).status).toBe(410);
    });

    it('never moves the watermark back', async () => {
      const store = gateway.get(ProjectSyncStore);
      await store.advancePurgeWatermark(projectId, '1');
      expect(await store.purgeWatermark(projectId)).toBe(vC);
    });
  });

  it('counts pruned rows per kind in the metrics', async () => {
    const body = (await eventWorker.get(Metrics).render()).body;
    for (const kind of ['inbox', 'dead_letters', 'tombstones']) {
      expect(body).toMatch(
        new RegExp(`^notion_sync_retention_pruned_total\\{kind="${kind}",app="event-worker"\\} [1-9]`, 'm'),
      );
    }
  });

  it('is safe on several replicas at once: each row deleted once, the watermark right', async () => {
    const second = await createEventWorkerApp(config);
    await second.init();
    apps.push(second);
    const projectId = await insertProject(pg);
    const deliveries: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { deliveryId } = await insertDelivery(pg, projectId);
      deliveries.push(deliveryId);
    }
    await pg.query(
      `UPDATE webhook_deliveries SET status = 'processed', processed_at = ${ago(30)} WHERE project_id = $1`,
      [projectId],
    );
    const pages = Array.from({ length: 7 }, () => randomUUID());
    await writer.upsert(
      projectId,
      pages.map((id) => pageRow(id)),
      await writer.now(),
    );
    for (const id of pages) await writer.tombstone(projectId, id, await writer.now());
    const { rows } = await pg.query<{ max: string }>(
      `UPDATE notion_pages SET deleted_at = ${ago(60)} WHERE project_id = $1 RETURNING version::text AS max`,
      [projectId],
    );
    const highest = rows.map((r) => BigInt(r.max)).reduce((a, b) => (a > b ? a : b));

    const reports = await Promise.all([retention.pass(), second.get(RetentionService).pass()]);

    expect(reports[0]!.inbox + reports[1]!.inbox).toBeGreaterThanOrEqual(9);
    expect(reports[0]!.tombstones + reports[1]!.tombstones).toBeGreaterThanOrEqual(7);
    const left = await pg.query(
      `SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE project_id = $1) AS deliveries,
              (SELECT count(*)::int FROM notion_pages WHERE project_id = $1) AS pages`,
      [projectId],
    );
    expect(left.rows[0]).toEqual({ deliveries: 0, pages: 0 });
    expect(await second.get(ProjectSyncStore).purgeWatermark(projectId)).toBe(highest.toString());
  });
});

/** A page as the sync engine would write it. */
function pageRow(pageId: string, lastEditedTime = '2026-03-01T10:00:00.000Z'): MirrorRow {
  return {
    pageId,
    dataSourceId: '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e',
    title: `Page ${pageId.slice(0, 4)}`,
    properties: {},
    url: null,
    icon: null,
    createdTime: '2026-01-01T09:00:00.000Z',
    lastEditedTime,
    inTrash: false,
  };
}
