import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { modifyRows, pgPool, pruneBatch, selectRows, UUID_PATTERN, type SqlCondition } from '@app/database';
import type { NotionWebhookEnvelope } from '@app/notion';
import { DeliveryStatus } from './delivery-status.js';
import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

/** A uuid as Postgres prints it: nothing else can be a delivery id. */

/** A delivery claimed for dispatch: what routing needs. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly projectId: string;
  readonly eventType: string;
  readonly entityId: string | null;
  readonly entityType: string | null;
  readonly correlationId: string;
  readonly status: DeliveryStatus;
}

export interface RecordedDelivery {
  readonly deliveryId: string;
  /** True when this event id was already in the inbox (a redelivery): nothing was added. */
  readonly duplicate: boolean;
}

/** A delivery a job marked processed. */
export interface ProcessedDelivery {
  readonly id: string;
  /** From its `received_at` to its `processed_at` (the database's clock for both). */
  readonly lagSeconds: number;
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
    const recorded = await this.recordIf(undefined, projectId, event, payload, correlationId);
    if (!recorded) throw new Error('An unconditional inbox insert was refused');
    return recorded;
  }

  /**
   * `record`, only while `condition` holds when the statement runs (the
   * intake's cached credentials still current): undefined, with nothing
   * stored, when it does not. One plain `pg` query (the intake's hot path:
   * no query runner, no entity), and a second only when a concurrent insert
   * of the same event won.
   */
  async recordIf(
    condition: SqlCondition | undefined,
    projectId: string,
    event: NotionWebhookEnvelope,
    payload: Record<string, unknown>,
    correlationId: string,
  ): Promise<RecordedDelivery | undefined> {
    const pool = pgPool(this.db);
    const { rows } = await pool.query<{ current: boolean; inserted: string | null; existing: string | null }>(
      `WITH current AS (SELECT ${condition ? condition.sql(9) : 'true'} AS ok),
       inserted AS (
         INSERT INTO webhook_deliveries
           (project_id, event_id, event_type, entity_id, entity_type, event_timestamp, payload, correlation_id)
         SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $7::jsonb, $8::text
           FROM current WHERE current.ok
         ON CONFLICT (project_id, event_id) DO NOTHING
         RETURNING id
       )
       SELECT (SELECT ok FROM current) AS current,
              (SELECT id FROM inserted) AS inserted,
              (SELECT id FROM webhook_deliveries
                WHERE project_id = $1 AND event_id = $2 AND NOT EXISTS (SELECT 1 FROM inserted)) AS existing`,
      [
        projectId,
        event.id,
        event.type,
        event.entity?.id ?? null,
        event.entity?.type ?? null,
        event.timestamp,
        JSON.stringify(payload),
        correlationId,
        ...(condition?.params ?? []),
      ],
    );
    const row = rows[0]!;
    if (!row.current) return undefined;
    if (row.inserted) return { deliveryId: row.inserted, duplicate: false };
    if (row.existing) return { deliveryId: row.existing, duplicate: true };
    // A concurrent insert of the same event committed while ours waited on it:
    // our statement's snapshot cannot see that row, a new statement can.
    const { rows: existing } = await pool.query<{ id: string }>(
      'SELECT id FROM webhook_deliveries WHERE project_id = $1 AND event_id = $2',
      [projectId, event.id],
    );
    if (!existing[0]) throw new Error('Inbox insert conflicted but the existing delivery is not visible');
    return { deliveryId: existing[0].id, duplicate: true };
  }

  /**
   * Claims deliveries for dispatch with a short lease, so that of several
   * event-worker replicas (all of which hear every event) one dispatches each,
   * in one statement for the batch. Claimable: `received`, or `enqueued`
   * longer ago than `staleEnqueuedMs` (its job was lost), and no live lease.
   * Returns the deliveries claimed; an id left out is another replica's, done,
   * or not in the inbox.
   */
  async claimMany(
    deliveryIds: readonly string[],
    owner: string,
    leaseMs: number,
    staleEnqueuedMs: number,
  ): Promise<ClaimedDelivery[]> {
    // Only a UUID names a delivery, and one malformed id would fail the array cast for the whole batch.
    const ids = deliveryIds.filter((id) => UUID_PATTERN.test(id));
    if (ids.length === 0) return [];
    const { rows } = await modifyRows<Record<string, string>>(
      this.db,
      `WITH claimable AS (
         SELECT id FROM webhook_deliveries
          WHERE id = ANY($1::uuid[])
            AND (status = 'received' OR (status = 'enqueued' AND enqueued_at < now() - make_interval(secs => $4::double precision / 1000)))
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          -- A row another statement holds (another replica's claim, a job marking it
          -- processed) is theirs: skipped, never waited for. Waiting on many rows, in
          -- whatever order the plan takes them, could deadlock with another batch.
          FOR NO KEY UPDATE SKIP LOCKED
       )
       UPDATE webhook_deliveries d
          SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
              dispatch_attempts = d.dispatch_attempts + 1
         FROM claimable
        WHERE d.id = claimable.id
        RETURNING d.id, d.project_id, d.event_type, d.entity_id, d.entity_type, d.correlation_id, d.status`,
      [ids, owner, leaseMs, staleEnqueuedMs],
    );
    return rows.map((row) => ({
      id: row.id!,
      projectId: row.project_id!,
      eventType: row.event_type!,
      entityId: row.entity_id ?? null,
      entityType: row.entity_type ?? null,
      correlationId: row.correlation_id!,
      status: row.status as DeliveryStatus,
    }));
  }

  /** After their jobs were added: `enqueued`, leases released. Only the lease holder may do it. */
  async markEnqueuedMany(deliveryIds: readonly string[], owner: string): Promise<void> {
    await this.markLeased(
      deliveryIds.map((id) => ({ id, reason: null })),
      owner,
      `status = 'enqueued', enqueued_at = now()`,
      [DeliveryStatus.Received, DeliveryStatus.Enqueued],
    );
  }

  /** No job applies: each delivery ends here, with its reason. Only the lease holder may do it. */
  async markIgnoredMany(deliveries: readonly { id: string; reason: string }[], owner: string): Promise<void> {
    await this.markLeased(deliveries, owner, `status = 'ignored', reason = marks.reason, processed_at = now()`, [
      DeliveryStatus.Received,
    ]);
  }

  /**
   * Sets `set` (which may read `marks.reason`) on the deliveries still leased
   * by `owner` and in one of `statuses`, releasing their leases: one statement
   * for the batch, which skips rows locked at that instant, then one per
   * skipped row, which waits for its lock. A statement never waits on two
   * rows: a job settling deliveries (`markProcessedFor`, and whatever settles
   * them inside a sync transaction) locks them in an order of its own, and a
   * batch waiting in another would deadlock with it.
   */
  private async markLeased(
    marks: readonly { id: string; reason: string | null }[],
    owner: string,
    set: string,
    statuses: readonly DeliveryStatus[],
  ): Promise<void> {
    const run = async (batch: readonly { id: string; reason: string | null }[], skipLocked: boolean) => {
      const { rows } = await modifyRows<{ id: string }>(
        this.db,
        `WITH marks AS (
           SELECT d.id, m.reason FROM webhook_deliveries d
             JOIN unnest($1::uuid[], $3::text[]) AS m (id, reason) ON d.id = m.id
            WHERE d.lease_owner = $2 AND d.status = ANY($4::text[])
            FOR NO KEY UPDATE OF d${skipLocked ? ' SKIP LOCKED' : ''}
         )
         UPDATE webhook_deliveries d
            SET ${set}, lease_owner = NULL, lease_expires_at = NULL
           FROM marks
          WHERE d.id = marks.id
          RETURNING d.id`,
        [batch.map((m) => m.id), owner, batch.map((m) => m.reason), statuses],
      );
      return rows.map((r) => r.id);
    };
    if (marks.length === 0) return;
    const marked = new Set(await run(marks, true));
    // Left out: locked a moment ago, or no longer ours (then this changes nothing either).
    await Promise.all(marks.filter((m) => !marked.has(m.id)).map((m) => run([m], false)));
  }

  /** Releases a lease early (the dispatch failed), so the relay can retry at once. */
  async release(deliveryId: string, owner: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2`,
      [deliveryId, owner],
    );
  }

  /** The database's clock: jobs compare it with `received_at`, never with a process clock. */
  async now(): Promise<Date> {
    const [row] = await selectRows<{ now: Date }>(this.db, 'SELECT now() AS now');
    return row!.now;
  }

  /**
   * Marks `processed` every delivery about this entity that was received
   * before `fetchStartedAt`: a fetch that started after an event arrived sees
   * the state that event announced (Notion's events are signals). Returns the
   * deliveries marked, with their lag. Deliveries still `received` are covered
   * too; their dispatch then finds nothing to do.
   */
  async markProcessedFor(projectId: string, entityId: string, fetchStartedAt: Date): Promise<ProcessedDelivery[]> {
    // The same SQL function a page job's mirror write calls in its own commit.
    const rows = await selectRows<{ delivery_id: string; lag_seconds: number }>(
      this.db,
      `SELECT delivery_id, lag_seconds FROM inbox_settle_processed($1, $2::jsonb)`,
      [projectId, JSON.stringify([{ entity_id: entityId, before: fetchStartedAt.toISOString() }])],
    );
    return rows.map((r) => ({ id: r.delivery_id, lagSeconds: r.lag_seconds }));
  }

  /**
   * Deliveries the relay should dispatch again: still `received` after
   * `receivedGraceMs` (the event was lost or its dispatch failed), or
   * `enqueued` for longer than `staleEnqueuedMs` (the job was lost). Oldest first.
   */
  async findStalled(receivedGraceMs: number, staleEnqueuedMs: number, limit: number): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(
      this.db,
      `SELECT id FROM webhook_deliveries
        WHERE ((status = 'received' AND received_at < now() - make_interval(secs => $1::double precision / 1000))
            OR (status = 'enqueued' AND enqueued_at < now() - make_interval(secs => $2::double precision / 1000)))
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
          -- Handler-only deliveries wait on their handler jobs, which BullMQ retries.
          AND pending_handlers = 0
        ORDER BY received_at
        LIMIT $3`,
      [receivedGraceMs, staleEnqueuedMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * A job gave up for good: its deliveries (about this entity, received before
   * its last attempt started, not yet done) end `failed` with the reason.
   */
  async markFailedFor(projectId: string, entityId: string, attemptStartedAt: Date, reason: string): Promise<string[]> {
    const { rows } = await modifyRows<{ id: string }>(
      this.db,
      `UPDATE webhook_deliveries
          SET status = 'failed', reason = $4, processed_at = now(), lease_owner = NULL, lease_expires_at = NULL
        WHERE project_id = $1 AND entity_id = $2
          AND status IN ('received', 'enqueued') AND received_at <= $3
        RETURNING id`,
      [projectId, entityId, attemptStartedAt, reason.slice(0, 2000)],
    );
    return rows.map((r) => r.id);
  }

  /**
   * A failed job is retried: its failed deliveries (about this entity) are in
   * flight again, so the retry's success marks them processed. Returns their ids.
   */
  async reopenFailedFor(projectId: string, entityId: string): Promise<string[]> {
    const { rows } = await modifyRows<{ id: string }>(
      this.db,
      `UPDATE webhook_deliveries
          SET status = 'enqueued', reason = NULL, processed_at = NULL, enqueued_at = now()
        WHERE project_id = $1 AND entity_id = $2 AND status = 'failed' AND pending_handlers = 0
        RETURNING id`,
      [projectId, entityId],
    );
    return rows.map((r) => r.id);
  }

  /** Handler jobs were added for a delivery no sync job covers: it waits for them. */
  async markAwaitingHandlers(deliveryId: string, owner: string, handlers: number): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries
          SET status = 'enqueued', enqueued_at = now(), pending_handlers = $3, lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1 AND lease_owner = $2 AND status = 'received'`,
      [deliveryId, owner, handlers],
    );
  }

  /** One handler finished; the last one marks the delivery processed. */
  async handlerSucceeded(deliveryId: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries
          SET pending_handlers = pending_handlers - 1,
              status = CASE WHEN pending_handlers = 1 THEN 'processed' ELSE status END,
              processed_at = CASE WHEN pending_handlers = 1 THEN now() ELSE processed_at END
        WHERE id = $1 AND pending_handlers > 0 AND status = 'enqueued'`,
      [deliveryId],
    );
  }

  /** A handler gave up for good on a delivery that waits for handlers: it fails, with the reason. */
  async handlerFailed(deliveryId: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = 'failed', reason = $2, processed_at = now()
        WHERE id = $1 AND pending_handlers > 0 AND status = 'enqueued'`,
      [deliveryId, reason.slice(0, 2000)],
    );
  }

  /** The stored delivery, for an extension handler's context. */
  async find(deliveryId: string): Promise<WebhookDeliveryEntity | null> {
    return this.db.getRepository(WebhookDeliveryEntity).findOneBy({ id: deliveryId });
  }

  /**
   * Retention: deletes up to `limit` deliveries that ended `processed` or
   * `ignored` more than `maxAgeDays` ago, oldest first, in one short statement;
   * returns how many. The row is what makes a Notion redelivery a duplicate,
   * so `maxAgeDays` must stay well past Notion's retry window (about a day).
   * In-flight deliveries and `failed` ones (a retry reopens them) are kept.
   */
  pruneSettled(maxAgeDays: number, limit: number): Promise<number> {
    return pruneBatch(
      this.db,
      {
        table: 'webhook_deliveries',
        where: `status IN ('processed', 'ignored') AND processed_at < now() - make_interval(days => $1::int)`,
        orderBy: 'processed_at',
      },
      [maxAgeDays],
      limit,
    );
  }
}
