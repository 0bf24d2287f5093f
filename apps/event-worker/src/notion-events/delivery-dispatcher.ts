import { hostname } from 'node:os';
import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { JobName } from '@app/contracts';
import { NotionEventHandlerRegistry } from '@app/extensions';
import { InboxService, type ClaimedDelivery } from '@app/inbox';
import { JobQueue, PageFetchWindow } from '@app/messaging';
import { Metrics } from '@app/observability';
import { CONTENT_EVENTS, routeFor } from './event-routes.js';

export type DispatchOutcome = 'enqueued' | 'ignored' | 'skipped' | 'failed';

/** Where one claimed delivery stands once its jobs are added: the batch writes the marks together. */
type Routed = { readonly delivery: ClaimedDelivery } & (
  | { readonly mark: 'enqueued'; readonly job: JobName; readonly jobId: string | undefined }
  | { readonly mark: 'ignored'; readonly reason: string }
  /** Settled on its own already: waiting for handler jobs, or failed and released. */
  | { readonly mark: 'none'; readonly outcome: DispatchOutcome }
);
type RoutedAs<M extends Routed['mark']> = Extract<Routed, { readonly mark: M }>;

/** What a log line about a delivery names. */
type DeliveryLog = Readonly<Record<string, unknown>>;

/**
 * Turns inbox deliveries into their jobs. Every step is idempotent: the claim
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

  /**
   * Dispatches a batch of deliveries: one claim for all of them, then each
   * claimed delivery's jobs (all at once), then one `enqueued` mark and one
   * `ignored` mark for the batch. A delivery whose jobs or mark fail is
   * released and left `received` for the relay; the others go on. Returns
   * each id's outcome, in order, each also counted in `dispatches_total`: an
   * id not claimed (another replica's, done, or listed twice) is `skipped`.
   * Rejects only when the claim fails (every id then counts as `failed`).
   */
  async dispatchMany(deliveryIds: readonly string[]): Promise<DispatchOutcome[]> {
    let outcomes: ReadonlyMap<string, DispatchOutcome>;
    try {
      outcomes = await this.claimAndRoute([...new Set(deliveryIds)]);
    } catch (err) {
      for (let i = 0; i < deliveryIds.length; i++) this.metrics.dispatched('failed');
      throw err;
    }
    const seen = new Set<string>();
    return deliveryIds.map((id) => {
      // A second copy of an id fares as a second dispatch of it would: the first took it.
      const outcome = seen.has(id) ? 'skipped' : (outcomes.get(id) ?? 'skipped');
      seen.add(id);
      this.metrics.dispatched(outcome);
      return outcome;
    });
  }

  /** The outcome of each delivery claimed; ids left out were not. */
  private async claimAndRoute(deliveryIds: readonly string[]): Promise<Map<string, DispatchOutcome>> {
    if (deliveryIds.length === 0) return new Map();
    const { leaseMs, relayStaleEnqueuedMs } = this.config.eventWorker;
    const claimed = await this.inbox.claimMany(deliveryIds, this.owner, leaseMs, relayStaleEnqueuedMs);
    const routed = await Promise.all(claimed.map((delivery) => this.route(delivery)));
    const settled = routed.filter((r): r is RoutedAs<'none'> => r.mark === 'none');
    const toEnqueue = routed.filter((r): r is RoutedAs<'enqueued'> => r.mark === 'enqueued');
    const toIgnore = routed.filter((r): r is RoutedAs<'ignored'> => r.mark === 'ignored');
    const marked = await Promise.all([
      this.mark(
        toEnqueue,
        'enqueued',
        () =>
          this.inbox.markEnqueuedMany(
            toEnqueue.map((r) => r.delivery.id),
            this.owner,
          ),
        (r) => ({ msg: 'Delivery enqueued', job: r.job, jobId: r.jobId }),
      ),
      this.mark(
        toIgnore,
        'ignored',
        () =>
          this.inbox.markIgnoredMany(
            toIgnore.map((r) => ({ id: r.delivery.id, reason: r.reason })),
            this.owner,
          ),
        (r) => ({ msg: 'Delivery ignored', reason: r.reason }),
      ),
    ]);
    return new Map([...settled.map((r): [string, DispatchOutcome] => [r.delivery.id, r.outcome]), ...marked.flat()]);
  }

  /**
   * One claimed delivery: its handler jobs, then its sync job, or why it is
   * ignored. Never rejects: a failure releases the delivery for the relay.
   */
  private async route(delivery: ClaimedDelivery): Promise<Routed> {
    const route = routeFor(delivery.eventType, delivery.entityId);
    try {
      const handlers = await this.enqueueHandlers(delivery);
      if ('ignore' in route && handlers.length > 0) {
        // No sync job covers it: it is done when its handler jobs are.
        await this.inbox.markAwaitingHandlers(delivery.id, this.owner, handlers.length);
        this.logger.log({ msg: 'Delivery enqueued for extension handlers', handlers, ...logOf(delivery) });
        return { delivery, mark: 'none', outcome: 'enqueued' };
      }
      if ('ignore' in route) return { delivery, mark: 'ignored', reason: route.ignore };
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
      if (CONTENT_EVENTS.has(delivery.eventType)) {
        // Before the mark: a failed add leaves the delivery to the relay, which adds both again (deduplicated).
        await this.jobs.addDeduplicated(
          JobName.SyncPageContent,
          { projectId, pageId: entityId, correlationId },
          await this.pageFetches.delayFor(projectId, entityId, 'content'),
        );
      }
      return { delivery, mark: 'enqueued', job: route.job, jobId };
    } catch (err) {
      return { delivery, mark: 'none', outcome: await this.failDispatch(delivery, err as Error) };
    }
  }

  /**
   * Writes one mark for a batch of routed deliveries and logs each of them;
   * when the mark fails, each is released for the relay. Returns the outcomes.
   */
  private async mark<R extends Routed>(
    routed: readonly R[],
    outcome: 'enqueued' | 'ignored',
    write: () => Promise<void>,
    line: (r: R) => DeliveryLog,
  ): Promise<Array<[string, DispatchOutcome]>> {
    if (routed.length === 0) return [];
    try {
      await write();
    } catch (err) {
      return Promise.all(
        routed.map(async (r): Promise<[string, DispatchOutcome]> => [
          r.delivery.id,
          await this.failDispatch(r.delivery, err as Error),
        ]),
      );
    }
    return routed.map((r) => {
      this.logger.log({ ...line(r), ...logOf(r.delivery) });
      return [r.delivery.id, outcome];
    });
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

  private async failDispatch(delivery: ClaimedDelivery, err: Error): Promise<DispatchOutcome> {
    // Left `received` for the relay; free the lease so it need not wait.
    this.logger.warn({ msg: 'Dispatch failed; the relay will retry', reason: err.message, ...logOf(delivery) });
    await this.inbox.release(delivery.id, this.owner).catch(() => undefined);
    return 'failed';
  }
}

const logOf = (delivery: ClaimedDelivery): DeliveryLog => ({
  deliveryId: delivery.id,
  correlationId: delivery.correlationId,
  type: delivery.eventType,
});
