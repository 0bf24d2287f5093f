import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NotionWebhookEnvelope } from '@app/notion';

export interface RecordedDelivery {
  readonly deliveryId: string;
  /** True when this event id was already in the inbox (a redelivery): nothing was added. */
  readonly duplicate: boolean;
}

/** The durable inbox of Notion webhook deliveries. */
@Injectable()
export class InboxService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Inserts the delivery unless its event id is already recorded for the
   * project, in one statement that commits on return: the caller may answer
   * Notion 200 only after this resolves. Throws when Postgres cannot commit
   * (bounded by the connection and statement timeouts).
   */
  async record(
    projectId: string,
    event: NotionWebhookEnvelope,
    payload: Record<string, unknown>,
    correlationId: string,
  ): Promise<RecordedDelivery> {
    const rows: Array<{ id: string; inserted: boolean }> = await this.db.query(
      `WITH inserted AS (
         INSERT INTO webhook_deliveries
           (project_id, event_id, event_type, entity_id, entity_type, event_timestamp, payload, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (project_id, event_id) DO NOTHING
         RETURNING id
       )
       SELECT id, true AS inserted FROM inserted
       UNION ALL
       SELECT id, false AS inserted FROM webhook_deliveries
        WHERE project_id = $1 AND event_id = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`,
      [
        projectId,
        event.id,
        event.type,
        event.entity?.id ?? null,
        event.entity?.type ?? null,
        event.timestamp,
        JSON.stringify(payload),
        correlationId,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('Inbox insert returned no row');
    return { deliveryId: row.id, duplicate: !row.inserted };
  }
}
