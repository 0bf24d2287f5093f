import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { redisConnectionOptions } from '@app/messaging';
import { FakeNotion, insertDelivery, insertProject } from '@app/testing';
import { testEnv } from '../jest/test-env.js';
import { balanceLedger } from './ledger.js';

/**
 * The ledger catches what it is there to catch (a check that cannot fail
 * proves nothing): rows written by hand, no apps running.
 */
describe('chaos ledger', () => {
  const env = testEnv();
  const notion = new FakeNotion();
  let pg: Client;
  let queue: Queue;
  const projects: string[] = [];

  beforeAll(async () => {
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    queue = new Queue(QueueName.NotionSync, {
      prefix: loadConfig(env).redis.keyPrefix,
      connection: redisConnectionOptions(env.REDIS_URL!),
    });
  });

  afterAll(async () => {
    // Its stuck delivery must not reach the relays of the scenarios that run next.
    for (const id of projects) await pg.query('DELETE FROM projects WHERE id = $1', [id]);
    await queue?.close();
    await pg?.end();
  });

  const eventOf = async (deliveryId: string) =>
    (await pg.query<{ event_id: string }>('SELECT event_id FROM webhook_deliveries WHERE id = $1', [deliveryId]))
      .rows[0]!.event_id;
  const settle = (deliveryId: string, status: string, reason: string | null = null) =>
    pg.query('UPDATE webhook_deliveries SET status = $2, reason = $3 WHERE id = $1', [deliveryId, status, reason]);
  const mirror = (projectId: string, pageId: string, title: string) =>
    pg.query(
      `INSERT INTO notion_pages (project_id, page_id, title, created_time, last_edited_time, fetched_at, synced_at)
       VALUES ($1, $2, $3, now(), now(), now(), now())`,
      [projectId, pageId, title],
    );

  it('reports lost, stuck, unexplained and unacknowledged deliveries, and stale or missing pages', async () => {
    const projectId = await insertProject(pg);
    projects.push(projectId);
    const { dataSourceIds } = notion.addDatabase('Ledger', ['Tasks']);
    const [current, stale, absent, poisoned] = notion.addPages(dataSourceIds[0]!, 4, { title: (i) => `Title ${i}` });

    const ok = await insertDelivery(pg, projectId, { entityId: current!.id });
    await settle(ok.deliveryId, 'processed');
    await mirror(projectId, current!.id, current!.title);
    const staleTitle = await insertDelivery(pg, projectId, { entityId: stale!.id });
    await settle(staleTitle.deliveryId, 'processed');
    await mirror(projectId, stale!.id, 'an older title');
    const noRow = await insertDelivery(pg, projectId, { entityId: absent!.id });
    await settle(noRow.deliveryId, 'processed');
    const stuck = await insertDelivery(pg, projectId);
    const noJob = await insertDelivery(pg, projectId, { entityId: poisoned!.id });
    await settle(noJob.deliveryId, 'failed', 'sync-page failed: boom');
    const noReason = await insertDelivery(pg, projectId);
    await settle(noReason.deliveryId, 'failed');
    const unacknowledged = await insertDelivery(pg, projectId);
    await settle(unacknowledged.deliveryId, 'processed');
    const lost = randomUUID();

    const accepted: string[] = [lost];
    for (const d of [ok, staleTitle, noRow, stuck, noJob, noReason]) accepted.push(await eventOf(d.deliveryId));
    const summary = await balanceLedger({
      pg,
      queue,
      notion,
      projectId,
      accepted,
      label: 'ledger self-test (unbalanced on purpose)',
    });

    expect(summary).toMatchObject({
      accepted: 7,
      deliveries: 7,
      byStatus: { processed: 4, received: 1, failed: 2 },
      missing: [lost],
      unacknowledged: [await eventOf(unacknowledged.deliveryId)],
      duplicatePages: [],
      pagesChecked: 3,
    });
    expect([...summary.failedPages].sort()).toEqual([poisoned!.id, noReason.entityId].sort());
    expect([...summary.unexplained].sort()).toEqual(
      [
        `${await eventOf(stuck.deliveryId)} received: still in flight after the system settled`,
        `${await eventOf(noJob.deliveryId)} failed: failed ("sync-page failed: boom") but BullMQ holds no failed job for its page`,
        `${await eventOf(noReason.deliveryId)} failed: failed without a reason`,
      ].sort(),
    );
    expect([...summary.pageMismatches].sort()).toEqual(
      [`${absent!.id}: 0 live rows`, `${stale!.id}: mirror "an older title", Notion "${stale!.title}"`].sort(),
    );
  });
});
