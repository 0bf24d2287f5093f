import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { createEventWorkerApp } from '../apps/event-worker/src/bootstrap.js';
import { RelayService } from '../apps/event-worker/src/relay/relay.service.js';
import { createJobWorkerApp } from '../apps/job-worker/src/bootstrap.js';
import { testConfig, testEnv } from './jest/test-env.js';

/** The relay re-dispatches what the transport or the queue lost. */
describe('relay', () => {
  // Passes are driven by the test (a long interval keeps the timer out of the way).
  const config = testConfig({
    RELAY_INTERVAL_MS: '600000',
    RELAY_RECEIVED_GRACE_MS: '0',
    RELAY_STALE_ENQUEUED_MS: '60000',
  });
  const apps: INestApplication[] = [];
  let relay: RelayService;
  let pg: Client;

  beforeAll(async () => {
    const eventWorker = await createEventWorkerApp(config);
    await eventWorker.init();
    const jobWorker = await createJobWorkerApp(config);
    await jobWorker.init();
    apps.push(eventWorker, jobWorker);
    relay = eventWorker.get(RelayService);
    pg = new Client({ connectionString: testEnv().DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await pg?.end();
  });

  it('dispatches a delivery whose event was never heard, and one whose job was lost, but not one just enqueued', async () => {
    const projectId = await insertProject(pg);
    const unheard = await insertDelivery(pg, projectId);
    const lost = await insertDelivery(pg, projectId);
    const fresh = await insertDelivery(pg, projectId);
    // `lost` was enqueued an hour ago and its job vanished (Redis lost its data);
    // `fresh` was enqueued just now, and its job may well be on its way.
    await pg.query(
      `UPDATE webhook_deliveries SET status = 'enqueued', enqueued_at = now() - interval '1 hour' WHERE id = $1`,
      [lost.deliveryId],
    );
    await pg.query(`UPDATE webhook_deliveries SET status = 'enqueued', enqueued_at = now() WHERE id = $1`, [
      fresh.deliveryId,
    ]);

    expect(await relay.pass()).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (await deliveryStatus(pg, unheard.deliveryId)) === 'processed');
    await waitFor(async () => (await deliveryStatus(pg, lost.deliveryId)) === 'processed');
    expect(await deliveryStatus(pg, fresh.deliveryId)).toBe('enqueued');
  });

  it('takes over a delivery whose lease expired (its dispatcher died mid-way)', async () => {
    const projectId = await insertProject(pg);
    const d = await insertDelivery(pg, projectId);
    await pg.query(
      `UPDATE webhook_deliveries SET lease_owner = 'dead-replica', lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [d.deliveryId],
    );
    await relay.pass();
    await waitFor(async () => (await deliveryStatus(pg, d.deliveryId)) === 'processed');
  });

  it('leaves a delivery alone while another replica holds its lease', async () => {
    const projectId = await insertProject(pg);
    const d = await insertDelivery(pg, projectId);
    await pg.query(
      `UPDATE webhook_deliveries SET lease_owner = 'busy-replica', lease_expires_at = now() + interval '1 hour' WHERE id = $1`,
      [d.deliveryId],
    );
    await relay.pass();
    expect(await deliveryStatus(pg, d.deliveryId)).toBe('received');
  });
});
