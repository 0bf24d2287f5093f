import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { BusEvent, BusEventPayloads } from '@app/contracts';

export const EVENT_BUS_CLIENT = Symbol('EVENT_BUS_CLIENT');

/**
 * Typed publisher for the Redis transport. Emits are fire-and-forget: the
 * record of truth is already in Postgres when one is sent, so a failed emit is
 * logged and left to the relay, never surfaced to the caller.
 */
@Injectable()
export class EventBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);

  constructor(@Inject(EVENT_BUS_CLIENT) private readonly client: ClientProxy) {}

  onApplicationBootstrap(): void {
    // Connect eagerly so the first emit does not pay for the handshake; a Redis
    // that is down now is retried in the background by the client.
    this.client.connect().catch((err: Error) => this.logger.warn(`Redis transport not connected yet: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.close();
    } catch (err) {
      // With no offline queue, QUIT fails while Redis is down; the sockets are
      // closed either way, and shutting down is not an error.
      this.logger.warn(`Redis transport closed uncleanly: ${(err as Error).message}`);
    }
  }

  emit<E extends BusEvent>(event: E, payload: BusEventPayloads[E]): void {
    this.client.emit(event, payload).subscribe({
      error: (err: Error) => this.logger.warn(`Emit of ${event} dropped: ${err.message}`),
    });
  }

  /** Emit and wait for Redis to take it; for callers that want to know. */
  async emitAndWait<E extends BusEvent>(event: E, payload: BusEventPayloads[E]): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.client.emit(event, payload).subscribe({ complete: resolve, error: reject }),
    );
  }
}
