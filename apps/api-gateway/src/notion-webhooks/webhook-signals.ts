import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { BusEvent, type NotionWebhookReceivedEvent } from '@app/contracts';
import { EventBus } from '@app/messaging';

/** How long a stored delivery's signal may wait for others to share its publish. */
export const SIGNAL_WINDOW_MS = 5;
/** Deliveries per message at most: a full batch goes at once (about 150 bytes each). */
export const MAX_SIGNAL_BATCH = 100;

/**
 * Tells the event-workers that deliveries are in the inbox, a few
 * milliseconds' worth per message (`notion.webhooks.received`) instead of one
 * publish per event: the publish (rxjs, JSON, a Redis write) was a tenth of
 * the intake's CPU per event. The wait adds at most SIGNAL_WINDOW_MS to the
 * lag. Fire and forget, as before: a signal lost (Redis down, a crash inside
 * the window) leaves its deliveries `received`, and the relay dispatches them.
 *
 * Chosen over Postgres LISTEN/NOTIFY: a NOTIFY per insert takes a
 * database-wide lock at commit (it serializes every notifying commit) and
 * adds work to Postgres, the largest cost per event already; the workers
 * would need a connection of their own outside the pool with its own
 * reconnects, beside the Redis transport they keep for other events.
 */
@Injectable()
export class WebhookSignals implements BeforeApplicationShutdown {
  private pending: NotionWebhookReceivedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly bus: EventBus) {}

  /** Signals a delivery committed to the inbox (call after the commit). */
  received(delivery: NotionWebhookReceivedEvent): void {
    this.pending.push(delivery);
    if (this.pending.length >= MAX_SIGNAL_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), SIGNAL_WINDOW_MS);
  }

  /** Publishes what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const deliveries = this.pending;
    this.pending = [];
    this.bus.emit(BusEvent.NotionWebhooksReceived, { deliveries });
  }

  /** Before the transport closes (EventBus closes it on shutdown). */
  beforeApplicationShutdown(): void {
    this.flush();
  }
}
