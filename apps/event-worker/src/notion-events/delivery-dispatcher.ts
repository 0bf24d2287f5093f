import { hostname } from 'node:os';
import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { JobName } from '@app/contracts';
import { NotionEventHandlerRegistry } from '@app/extensions';
import { InboxService, type ClaimedDelivery } from '@app/inbox';
import { JobQueue, PageFetchWindow } from '@app/messaging';
import { Metrics } from '@app/observability';
import { routeFor } from './event-routes.js';

export type DispatchOutcome = 'enqueued' | 'ignored' | 'skipped' | 'failed';

/**
 * Turns one inbox delivery into its job. Every step is idempotent: the claim
 * (a short lease in Postgres) lets one replica of several do it, jobs are
 * coalesced per entity by BullMQ deduplication, and a lost step is redone by
 * the relay.
 */
@Injectable()
export class DeliveryDispatcher {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  /** This replica, as lease owner. */
  readonly owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly jobs: JobQueue,
    private readonly pageFetches: PageFetchWindow,
    private readonly extensions: NotionEventHandlerRegistry,
    private readonly metrics: Metrics,
  ) {}

  /** Dispatches one delivery (see `claimAndRoute`), counting the outcome in `dispatches_total`. */
  async dispatch(deliveryId: string): Promise<DispatchOutcome> {
    let outcome: DispatchOutcome = 'failed';
    try {
      outcome = await this.claimAndRoute(deliveryId);
      return outcome;
    } finally {
      this.metrics.dispatched(outcome);
    }
  }

  private async claimAndRoute(deliveryId: string): Promise<DispatchOutcome> {
    const { leaseMs, relayStaleEnqueuedMs } = this.config.eventWorker;
    const delivery = await this.inbox.claim(deliveryId, this.owner, leaseMs, relayStaleEnqueuedMs);
    if (!delivery) return 'skipped'; // another replica has it, or it is done
    const log = { deliveryId, correlationId: delivery.correlationId, type: delivery.eventType };
    const route = routeFor(delivery.eventType, delivery.entityId);
    let handlers: string[];
    try {
      handlers = await this.enqueueHandlers(delivery);
    } catch (err) {
      return this.failDispatch(deliveryId, err as Error, log);
    }
    if ('ignore' in route && handlers.length > 0) {
      // No sync job covers it: it is done when its handler jobs are.
      await this.inbox.markAwaitingHandlers(deliveryId, this.owner, handlers.length);
      this.logger.log({ msg: 'Delivery enqueued for extension handlers', handlers, ...log });
      return 'enqueued';
    }
    if ('ignore' in route) {
      await this.inbox.markIgnored(deliveryId, this.owner, route.ignore);
      this.logger.log({ msg: 'Delivery ignored', reason: route.ignore, ...log });
      return 'ignored';
    }
    try {
      const { projectId, correlationId } = delivery;
      const entityId = delivery.entityId!;
      // One waiting job per entity; an event during a running job leaves exactly
      // one follow-up (keepLastIfActive), so no edit is missed. A page fetched
      // within the window is fetched again when the window closes, not now.
      const jobId =
        route.job === JobName.SyncPage
          ? await this.jobs.addDeduplicated(
              JobName.SyncPage,
              { projectId, pageId: entityId, correlationId },
              await this.pageFetches.delayFor(projectId, entityId),
            )
          : await this.jobs.addDeduplicated(JobName.SyncDatabase, { projectId, entityId, correlationId });
      await this.inbox.markEnqueued(deliveryId, this.owner);
      this.logger.log({ msg: 'Delivery enqueued', job: route.job, jobId, ...log });
      return 'enqueued';
    } catch (err) {
      return this.failDispatch(deliveryId, err as Error, log);
    }
  }

  /**
   * One job per `@OnNotionEvent()` handler of this event type, with a job id
   * fixed by the delivery and the handler, so a redispatch adds none twice.
   */
  private async enqueueHandlers(delivery: ClaimedDelivery): Promise<string[]> {
    const handlers = this.extensions.handlersFor(delivery.eventType);
    for (const handler of handlers) {
      await this.jobs.add(
        JobName.RunEventHandler,
        { deliveryId: delivery.id, projectId: delivery.projectId, handler, correlationId: delivery.correlationId },
        { jobId: `handler-${delivery.id}-${createHash('sha256').update(handler).digest('hex').slice(0, 16)}` },
      );
    }
    return handlers;
  }

  private async failDispatch(deliveryId: string, err: Error, log: Record<string, unknown>): Promise<DispatchOutcome> {
    // Left `received` for the relay; free the lease so it need not wait.
    this.logger.warn({ msg: 'Dispatch failed; the relay will retry', reason: err.message, ...log });
    await this.inbox.release(deliveryId, this.owner).catch(() => undefined);
    return 'failed';
  }
}
