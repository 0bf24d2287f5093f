import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Extension handler jobs (`@OnNotionEvent`) not yet finished for a delivery
 * that no sync job covers: it is processed when the count reaches zero.
 */
export class AddDeliveryPendingHandlers1764403200000 implements MigrationInterface {
  name = 'AddDeliveryPendingHandlers1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN pending_handlers integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN pending_handlers`);
  }
}
