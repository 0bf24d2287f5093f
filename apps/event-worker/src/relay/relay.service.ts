import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { InboxService } from '@app/inbox';
import { Metrics } from '@app/observability';
import { DeliveryDispatcher } from '../notion-events/delivery-dispatcher.js';
import { Periodic } from './periodic.js';

/** Deliveries one relay pass dispatches at most. */
const BATCH = 200;

/**
 * The safety net under the Redis transport (at most once, lost when no
 * event-worker listens): every `RELAY_INTERVAL_MS` it dispatches deliveries
 * still `received` after a grace period, or `enqueued` so long that their job
 * must have been lost (Redis lost its data, a process died between steps).
 */
@Injectable()
export class RelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RelayService.name);
  private readonly periodic = new Periodic('Relay pass', this.logger);

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.eventWorker.relayIntervalMs, () => this.pass());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns how many deliveries it enqueued. */
  async pass(): Promise<number> {
    const { relayReceivedGraceMs, relayStaleEnqueuedMs } = this.config.eventWorker;
    const ids = await this.inbox.findStalled(relayReceivedGraceMs, relayStaleEnqueuedMs, BATCH);
    const outcomes = await this.dispatcher.dispatchMany(ids);
    const enqueued = outcomes.filter((outcome) => outcome === 'enqueued').length;
    this.metrics.relayed('deliveries', enqueued);
    if (enqueued) this.logger.log({ msg: 'Relay dispatched deliveries', enqueued, candidates: ids.length });
    return enqueued;
  }
}
