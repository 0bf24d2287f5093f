import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { loadConfig } from '@app/config';
import { SecretBox } from '@app/projects';

/** The Notion token of fixture projects; share it on a FakeNotion to let their jobs in. */
export const FIXTURE_NOTION_TOKEN = 'secret_fixture_notion_token';

/**
 * A project row for specs that need one to hang deliveries on: its Notion token
 * is FIXTURE_NOTION_TOKEN sealed with the development key (the test default),
 * and it asks for no full sync (those specs are not about syncing).
 */
export async function insertProject(
  pg: Client,
  ownerId = `owner-${randomUUID()}`,
  notionDatabaseId: string = randomUUID(),
): Promise<string> {
  const id = randomUUID();
  const token = new SecretBox(loadConfig({})).seal(FIXTURE_NOTION_TOKEN, { projectId: id, purpose: 'notion-token' });
  await pg.query(
    `WITH project AS (
       INSERT INTO projects (id, owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id)
       VALUES ($1, $2, 'fixture', $3, $4, $5) RETURNING id
     )
     INSERT INTO project_sync (project_id, requested_at) SELECT id, NULL FROM project`,
    [id, ownerId, notionDatabaseId, token.ciphertext, token.keyId],
  );
  return id;
}

export interface DeliveryFixture {
  readonly type?: string;
  readonly entityId?: string;
  readonly entityType?: string;
}

/** A `received` inbox row, as the intake would have committed it. */
export async function insertDelivery(
  pg: Client,
  projectId: string,
  { type = 'page.properties_updated', entityId = randomUUID(), entityType = 'page' }: DeliveryFixture = {},
): Promise<{ deliveryId: string; entityId: string; correlationId: string }> {
  const eventId = randomUUID();
  const correlationId = randomUUID();
  const payload = {
    id: eventId,
    type,
    timestamp: new Date().toISOString(),
    entity: { id: entityId, type: entityType },
  };
  const { rows } = await pg.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (project_id, event_id, event_type, entity_id, entity_type, event_timestamp, payload, correlation_id)
     VALUES ($1, $2, $3, $4, $5, now(), $6, $7) RETURNING id`,
    [projectId, eventId, type, entityId, entityType, JSON.stringify(payload), correlationId],
  );
  return { deliveryId: rows[0]!.id, entityId, correlationId };
}

export async function deliveryStatus(pg: Client, deliveryId: string): Promise<string | undefined> {
  const { rows } = await pg.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE id = $1', [
    deliveryId,
  ]);
  return rows[0]?.status;
}
