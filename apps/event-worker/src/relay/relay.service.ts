import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { InboxService } from '@app/inbox';
import { DeliveryDispatcher } from '../notion-events/delivery-dispatcher.js';

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
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly dispatcher: DeliveryDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // Never two passes at once in one process.
      this.running ??= this.pass()
        .then(() => undefined)
        .catch((err: Error) => this.logger.warn(`Relay pass failed: ${err.message}`))
        .finally(() => (this.running = undefined));
    }, this.config.eventWorker.relayIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many deliveries it enqueued. */
  async pass(): Promise<number> {
    const { relayReceivedGraceMs, relayStaleEnqueuedMs } = this.config.eventWorker;
    const ids = await this.inbox.findStalled(relayReceivedGraceMs, relayStaleEnqueuedMs, BATCH);
    let enqueued = 0;
    for (const id of ids) if ((await this.dispatcher.dispatch(id)) === 'enqueued') enqueued++;
    if (enqueued) this.logger.log({ msg: 'Relay dispatched deliveries', enqueued, candidates: ids.length });
    return enqueued;
  }
}
