import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { ProjectSyncStore } from '@app/sync';
import { Periodic } from '../relay/periodic.js';
import { SyncRequestDispatcher } from './sync-request.dispatcher.js';

const BATCH = 200;
/** How often job schedulers are checked (one cheap lookup per project). */
const REPAIR_EVERY_MS = 5 * 60_000;

/**
 * The safety net for sync requests, like the delivery relay: requests whose
 * bus event was lost are enqueued after RELAY_RECEIVED_GRACE_MS. At startup
 * and every five minutes it also re-creates job schedulers that Redis lost
 * (never moving existing ones), except for projects whose token Notion rejected.
 */
@Injectable()
export class SyncRequestRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncRequestRelay.name);
  private readonly periodic = new Periodic('Sync request relay pass', this.logger);

  constructor(
    private readonly config: AppConfig,
    private readonly store: ProjectSyncStore,
    private readonly dispatcher: SyncRequestDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    let repairedAt = 0;
    this.periodic.start(
      this.config.eventWorker.relayIntervalMs,
      async () => {
        // At startup and every few minutes: Redis may have lost its data while we ran.
        if (Date.now() - repairedAt >= REPAIR_EVERY_MS) {
          await this.repairSchedulers();
          repairedAt = Date.now();
        }
        await this.pass();
      },
      { now: true },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns how many requests it enqueued. */
  async pass(): Promise<number> {
    const before = new Date(Date.now() - this.config.eventWorker.relayReceivedGraceMs);
    const requests = await this.store.pendingRequests(before, BATCH);
    for (const request of requests) await this.dispatcher.enqueue(request, 'relay');
    if (requests.length) this.logger.log({ msg: 'Relay enqueued full syncs', count: requests.length });
    return requests.length;
  }

  /**
   * Re-creates the job schedulers Redis lost, never moving existing ones; not
   * for projects whose token Notion rejected (their schedules stay off until
   * the owner asks for a sync or sets a new token, which re-creates them).
   */
  async repairSchedulers(): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const ids = await this.store.scheduledProjectIds(after, BATCH);
      for (const id of ids) await this.dispatcher.ensureSchedulers(id, { replace: false });
      if (ids.length < BATCH) return;
      after = ids[ids.length - 1]!;
    }
  }
}
