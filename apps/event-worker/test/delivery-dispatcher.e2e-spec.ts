import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { JobName, QueueName } from '@app/contracts';
import { JobQueue, redisConnectionOptions } from '@app/messaging';
import { insertDelivery, insertProject } from '@app/testing';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';
import { createEventWorkerApp } from '../src/bootstrap.js';
import { DeliveryDispatcher } from '../src/notion-events/delivery-dispatcher.js';

/**
 * Batched dispatch on the real Postgres and Redis, with two event-workers in
 * process (two lease owners) and no job-worker: the jobs stay in the queue.
 */
describe('DeliveryDispatcher.dispatchMany', () => {
  // No relay pass during the spec: the tests drive every dispatch.
  const config = testConfig({ RELAY_INTERVAL_MS: '600000' });
  const apps: INestApplication[] = [];
  const dispatchers: DeliveryDispatcher[] = [];
  /** Every sync-page job add, by page id, across both apps. */
  const pageAdds: string[] = [];
  const projectIds: string[] = [];
  /** A page whose job add fails, as it would with Redis out of reach. */
  let failingPage: string | undefined;
  /** Runs once, before the next job add goes on. */
  let beforeAdd: (() => Promise<void>) | undefined;
  let pg: Client;
  let queue: Queue;

  const rows = async (ids: readonly string[]) =>
    (
      await pg.query<{
        id: string;
        status: string;
        lease_owner: string | null;
        lease_expires_at: Date | null;
        dispatch_attempts: number;
      }>(
        'SELECT id, status, lease_owner, lease_expires_at, dispatch_attempts FROM webhook_deliveries WHERE id = ANY($1)',
        [ids],
      )
    ).rows;

  const deliveries = async (n: number) => {
    const projectId = await insertProject(pg);
    projectIds.push(projectId);
    return Promise.all(Array.from({ length: n }, () => insertDelivery(pg, projectId)));
  };

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const app = await createEventWorkerApp(config);
      await app.init();
      apps.push(app);
      dispatchers.push(app.get(DeliveryDispatcher));
      const jobs = app.get(JobQueue);
      const add = jobs.addDeduplicated.bind(jobs);
      jest.spyOn(jobs, 'addDeduplicated').mockImplementation(async (name, data, delayMs) => {
        const hook = beforeAdd;
        beforeAdd = undefined;
        await hook?.();
        if (name === JobName.SyncPage && 'pageId' in data) {
          pageAdds.push(data.pageId);
          if (data.pageId === failingPage) throw new Error('Redis did not take the job');
        }
        return add(name, data, delayMs);
      });
    }
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
    queue = new Queue(QueueName.NotionSync, {
      prefix: config.redis.keyPrefix,
      connection: redisConnectionOptions(config.redis.url),
    });
  });

  afterAll(async () => {
    // No job-worker ran: the jobs added here must not run in a later suite's.
    const left = await queue?.getJobs(['waiting', 'prioritized', 'delayed']);
    await Promise.all((left ?? []).filter((j) => projectIds.includes(j.data.projectId)).map((j) => j.remove()));
    await queue?.close();
    for (const app of apps) await app.close();
    await pg?.end();
  });

  it('enqueues each delivery exactly once when two owners race on the same batch', async () => {
    const [a, b] = dispatchers;
    expect(a!.owner).not.toBe(b!.owner);
    // Both at once (they share the batch out), and b while a adds its jobs
    // (a's claims committed, its marks not yet written: a's leases stop b).
    const races = ['together', 'mid-way', 'together', 'mid-way'] as const;
    for (const race of races) {
      const batch = await deliveries(40);
      const ids = batch.map((d) => d.deliveryId);
      const reversed = [...ids].reverse();
      pageAdds.length = 0;
      let fromA: string[];
      let fromB: string[] = [];
      if (race === 'together') {
        [fromA, fromB] = await Promise.all([a!.dispatchMany(ids), b!.dispatchMany(reversed)]);
      } else {
        beforeAdd = async () => {
          fromB = await b!.dispatchMany(reversed);
        };
        fromA = await a!.dispatchMany(ids);
        expect(fromB).toEqual(Array(40).fill('skipped'));
      }
      fromB.reverse();
      // Each id enqueued by one of the two; the other found it taken.
      ids.forEach((_, i) => expect([fromA[i], fromB[i]].sort()).toEqual(['enqueued', 'skipped']));
      expect(pageAdds.sort()).toEqual(batch.map((d) => d.entityId).sort());
      const stored = await rows(ids);
      expect(stored.map((r) => r.status)).toEqual(Array(40).fill('enqueued'));
      // A replica that lost the claim never counted an attempt, and no lease is left behind.
      expect(stored.map((r) => [r.dispatch_attempts, r.lease_owner])).toEqual(Array(40).fill([1, null]));
    }
    const queued = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter(
      (j) => j.name === JobName.SyncPage && projectIds.includes(j.data.projectId),
    );
    expect(queued).toHaveLength(races.length * 40);
  });

  it('leaves only the delivery whose enqueue failed `received`, its lease released, for the relay', async () => {
    const batch = await deliveries(10);
    const ids = batch.map((d) => d.deliveryId);
    failingPage = batch[3]!.entityId;
    const outcomes = await dispatchers[0]!.dispatchMany(ids);
    failingPage = undefined;
    expect(outcomes).toEqual(ids.map((_, i) => (i === 3 ? 'failed' : 'enqueued')));
    const stored = Object.fromEntries((await rows(ids)).map((r) => [r.id, r]));
    for (const [i, id] of ids.entries()) {
      expect(stored[id]).toMatchObject({
        status: i === 3 ? 'received' : 'enqueued',
        lease_owner: null,
        lease_expires_at: null,
      });
    }
    // Released, not held until its lease ran out: the next dispatch takes it at once.
    expect(await dispatchers[1]!.dispatchMany([ids[3]!])).toEqual(['enqueued']);
  });
});
