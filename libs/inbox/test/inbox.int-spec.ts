import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { ConfigModule } from '@app/config';
import { DatabaseModule, type SqlCondition } from '@app/database';
import { InboxModule, InboxService } from '@app/inbox';
import type { NotionWebhookEnvelope } from '@app/notion';
import { deliveryStatus, insertDelivery, insertProject, waitFor } from '@app/testing';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';

/** One inbox on the real database, and one project for every delivery of this file. */
let module: TestingModule;
let inbox: InboxService;
let pg: Client;
let projectId: string;

beforeAll(async () => {
  module = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(testConfig()), DatabaseModule.forRoot('inbox-int-spec'), InboxModule],
  }).compile();
  inbox = module.get(InboxService);
  pg = new Client({ connectionString: testEnv().DATABASE_URL });
  await pg.connect();
  projectId = await insertProject(pg);
});

afterAll(async () => {
  await pg?.end();
  await module?.close();
});

/** The inbox insert on the real database: one plain statement, conditional when asked. */
describe('InboxService.recordIf', () => {
  const envelope = (): NotionWebhookEnvelope => ({
    id: randomUUID(),
    type: 'page.properties_updated',
    timestamp: '2026-01-02T03:04:05.678Z',
    entity: { id: randomUUID(), type: 'page' },
  });
  /** A condition with parameters of its own, placed after the insert's. */
  const holds = (value: boolean): SqlCondition => ({
    sql: (n) => `$${n}::int = $${n + 1}::int`,
    params: [1, value ? 1 : 2],
  });

  it('stores the event while the condition holds, once; a redelivery is a duplicate of the same row', async () => {
    const event = envelope();
    const first = await inbox.recordIf(holds(true), projectId, event, { ...event }, 'corr-1');
    expect(first).toEqual({ deliveryId: expect.any(String), duplicate: false });
    const again = await inbox.recordIf(holds(true), projectId, event, { ...event }, 'corr-2');
    expect(again).toEqual({ deliveryId: first!.deliveryId, duplicate: true });
    const row = await inbox.find(first!.deliveryId);
    expect(row).toMatchObject({
      projectId,
      eventId: event.id,
      entityId: event.entity!.id,
      status: 'received',
      correlationId: 'corr-1',
      payload: event,
    });
    expect(row!.eventTimestamp!.toISOString()).toBe(event.timestamp);
  });

  it('stores nothing and says so when the condition does not hold, even for an event already stored', async () => {
    const event = envelope();
    expect(await inbox.recordIf(holds(false), projectId, event, { ...event }, 'corr')).toBeUndefined();
    const stored = await inbox.record(projectId, event, { ...event }, 'corr');
    expect(stored.duplicate).toBe(false);
    expect(await inbox.recordIf(holds(false), projectId, event, { ...event }, 'corr')).toBeUndefined();
  });

  it('keeps one row for the same event recorded 10 times at once', async () => {
    const event = envelope();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => inbox.recordIf(holds(true), projectId, event, { ...event }, 'corr')),
    );
    expect(new Set(results.map((r) => r!.deliveryId)).size).toBe(1);
    expect(results.filter((r) => !r!.duplicate)).toHaveLength(1);
  });
});

/** Batched claims and marks: each row keeps the conditions a single claim or mark had. */
describe('InboxService claims and marks in batches', () => {
  const LEASE_MS = 30_000;
  const STALE_MS = 60_000;
  const lease = async (id: string) =>
    (
      await pg.query<{ lease_owner: string | null; live: boolean | null; dispatch_attempts: number }>(
        'SELECT lease_owner, lease_expires_at > now() AS live, dispatch_attempts FROM webhook_deliveries WHERE id = $1',
        [id],
      )
    ).rows[0]!;
  const fresh = async (n: number) =>
    Promise.all(Array.from({ length: n }, async () => (await insertDelivery(pg, projectId)).deliveryId));

  it('claims what a single claim would: received or long enqueued, no live lease, never done', async () => {
    const [received, staleEnqueued, freshEnqueued, leased, expired, processed] = await fresh(6);
    await pg.query(
      `UPDATE webhook_deliveries SET status = 'enqueued', enqueued_at = now() - interval '1 hour' WHERE id = $1`,
      [staleEnqueued],
    );
    await pg.query(`UPDATE webhook_deliveries SET status = 'enqueued', enqueued_at = now() WHERE id = $1`, [
      freshEnqueued,
    ]);
    await pg.query(
      `UPDATE webhook_deliveries SET lease_owner = 'other', lease_expires_at = now() + interval '1 hour' WHERE id = $1`,
      [leased],
    );
    await pg.query(
      `UPDATE webhook_deliveries SET lease_owner = 'dead', lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [expired],
    );
    await pg.query(`UPDATE webhook_deliveries SET status = 'processed', processed_at = now() WHERE id = $1`, [
      processed,
    ]);
    const all = [received!, staleEnqueued!, freshEnqueued!, leased!, expired!, processed!];
    // A malformed id and one not in the inbox match nothing, and spoil nothing.
    const claimed = await inbox.claimMany([...all, 'not-a-uuid', randomUUID()], 'me', LEASE_MS, STALE_MS);
    expect(claimed.map((d) => d.id).sort()).toEqual([received!, staleEnqueued!, expired!].sort());
    expect(claimed.find((d) => d.id === received)).toMatchObject({ projectId, eventType: 'page.properties_updated' });
    for (const id of [received!, staleEnqueued!, expired!]) {
      expect(await lease(id)).toEqual({ lease_owner: 'me', live: true, dispatch_attempts: 1 });
    }
    expect(await lease(leased!)).toMatchObject({ lease_owner: 'other', dispatch_attempts: 0 });
    expect(await lease(freshEnqueued!)).toMatchObject({ lease_owner: null, dispatch_attempts: 0 });
    // Claimed now: a second claim, by anyone, gets none of them.
    expect(await inbox.claimMany(all, 'someone-else', LEASE_MS, STALE_MS)).toEqual([]);
  });

  it('gives each delivery to one of two owners claiming the same batch at once', async () => {
    const ids = await fresh(50);
    const [a, b] = await Promise.all([
      inbox.claimMany(ids, 'a', LEASE_MS, STALE_MS),
      inbox.claimMany([...ids].reverse(), 'b', LEASE_MS, STALE_MS),
    ]);
    expect([...a, ...b].map((d) => d.id).sort()).toEqual([...ids].sort());
  });

  it('skips a delivery another transaction holds, without waiting for it', async () => {
    const [held, free] = await fresh(2);
    const holder = new Client({ connectionString: testEnv().DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [held]);
      const claimed = await inbox.claimMany([held!, free!], 'me', LEASE_MS, STALE_MS);
      expect(claimed.map((d) => d.id)).toEqual([free]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await lease(held!)).toMatchObject({ lease_owner: null, dispatch_attempts: 0 });
  });

  it("marks enqueued only the owner's claimed deliveries, releasing their leases; a locked one once its lock is gone", async () => {
    const ids = await fresh(3);
    await inbox.claimMany(ids, 'me', LEASE_MS, STALE_MS);
    const [locked, taken] = await fresh(2);
    await inbox.claimMany([locked!], 'me', LEASE_MS, STALE_MS);
    await inbox.claimMany([taken!], 'other', LEASE_MS, STALE_MS);
    const holder = new Client({ connectionString: testEnv().DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [locked]);
      const marking = inbox.markEnqueuedMany([...ids, locked!, taken!], 'me');
      // The batch goes through; the locked row waits for its lock.
      await waitFor(async () =>
        (await Promise.all(ids.map((id) => deliveryStatus(pg, id)))).every((s) => s === 'enqueued'),
      );
      expect(await deliveryStatus(pg, locked!)).toBe('received');
      await holder.query('COMMIT');
      await marking;
    } finally {
      await holder.end();
    }
    for (const id of [...ids, locked!]) {
      expect(await deliveryStatus(pg, id)).toBe('enqueued');
      expect(await lease(id)).toMatchObject({ lease_owner: null, live: null });
    }
    // Not this owner's lease: untouched.
    expect(await deliveryStatus(pg, taken!)).toBe('received');
    expect(await lease(taken!)).toMatchObject({ lease_owner: 'other', live: true });
  });

  it('marks ignored, each with its reason, only received deliveries the owner holds', async () => {
    const [first, second, done] = await fresh(3);
    await inbox.claimMany([first!, second!, done!], 'me', LEASE_MS, STALE_MS);
    // A job marked it processed meanwhile: it stays processed.
    await pg.query(`UPDATE webhook_deliveries SET status = 'processed', processed_at = now() WHERE id = $1`, [done]);
    await inbox.markIgnoredMany(
      [
        { id: first!, reason: 'no job handles comment.created events' },
        { id: second!, reason: 'page.created event names no entity' },
        { id: done!, reason: 'never written' },
      ],
      'me',
    );
    const { rows } = await pg.query<{ id: string; status: string; reason: string | null; lease_owner: string | null }>(
      'SELECT id, status, reason, lease_owner FROM webhook_deliveries WHERE id = ANY($1)',
      [[first, second, done]],
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[first!]).toMatchObject({
      status: 'ignored',
      reason: 'no job handles comment.created events',
      lease_owner: null,
    });
    expect(byId[second!]).toMatchObject({ status: 'ignored', reason: 'page.created event names no entity' });
    expect(byId[done!]).toMatchObject({ status: 'processed', reason: null, lease_owner: 'me' });
  });
});
