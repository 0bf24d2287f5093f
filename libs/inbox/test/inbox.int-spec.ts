import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { ConfigModule } from '@app/config';
import { DatabaseModule, type SqlCondition } from '@app/database';
import { InboxModule, InboxService } from '@app/inbox';
import type { NotionWebhookEnvelope } from '@app/notion';
import { insertProject } from '@app/testing';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';

/** The inbox insert on the real database: one plain statement, conditional when asked. */
describe('InboxService.recordIf', () => {
  let module: TestingModule;
  let inbox: InboxService;
  let pg: Client;
  let projectId: string;
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
