import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook inbox: every Notion event we accepted, committed before we answer
 * 200, so nothing accepted is ever lost. A delivery moves received -> enqueued
 * -> processed, or ends ignored or failed (with the reason).
 */
export class CreateWebhookDeliveries1764316800000 implements MigrationInterface {
  name = 'CreateWebhookDeliveries1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        -- Notion's event id: a redelivery carries the same one (replay protection).
        event_id text NOT NULL,
        event_type text NOT NULL,
        entity_id text,
        entity_type text,
        event_timestamp timestamptz,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'received',
        correlation_id text NOT NULL,
        -- A short lease by which one event-worker replica claims the dispatch.
        lease_owner text,
        lease_expires_at timestamptz,
        dispatch_attempts integer NOT NULL DEFAULT 0,
        received_at timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz,
        processed_at timestamptz,
        reason text,
        CONSTRAINT webhook_deliveries_status_check
          CHECK (status IN ('received', 'enqueued', 'processed', 'ignored', 'failed')),
        CONSTRAINT webhook_deliveries_event_unique UNIQUE (project_id, event_id)
      )
    `);
    // The relay scans only what is still in flight.
    await q.query(`
      CREATE INDEX webhook_deliveries_in_flight_idx ON webhook_deliveries (status, received_at)
      WHERE status IN ('received', 'enqueued')
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
  }
}
