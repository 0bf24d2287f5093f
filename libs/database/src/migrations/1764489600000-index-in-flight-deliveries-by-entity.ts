import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs mark the in-flight deliveries about their entity (processed or failed);
 * without this index each of them scans every in-flight delivery.
 */
export class IndexInFlightDeliveriesByEntity1764489600000 implements MigrationInterface {
  name = 'IndexInFlightDeliveriesByEntity1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX webhook_deliveries_in_flight_entity_idx ON webhook_deliveries (project_id, entity_id, received_at)
      WHERE status IN ('received', 'enqueued')
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_in_flight_entity_idx`);
  }
}
