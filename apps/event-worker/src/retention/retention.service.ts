import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DeadLetters } from '@app/dead-letters';
import { InboxService } from '@app/inbox';
import { MirrorRetention, ProjectSyncStore, type ExpiredTombstone } from '@app/sync';
import { Metrics, type RetentionKind } from '@app/observability';
import { Periodic } from '../relay/periodic.js';

/** Rows one retention pass deleted, by kind. */
export interface RetentionReport {
  readonly inbox: number;
  readonly deadLetters: number;
  readonly tombstones: number;
}

/** One batch: how many rows it deleted, and whether more may be waiting. */
interface Batch {
  readonly deleted: number;
  readonly more: boolean;
}

/**
 * Keeps the tables that only grow from growing for ever: every
 * `RETENTION_INTERVAL_SECONDS` it deletes settled inbox rows (after
 * `RETENTION_INBOX_DAYS`), resolved dead letters (`RETENTION_DEAD_LETTERS_DAYS`)
 * and tombstones (`RETENTION_TOMBSTONES_DAYS`, recording each project's purge
 * watermark first), in batches of `RETENTION_BATCH_SIZE`, each its own short
 * statement, so no lock is held for long. Every replica may run it at once:
 * batches skip rows another replica is deleting, and a tombstone purged twice
 * moves the watermark to the same place.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly periodic = new Periodic('Retention pass', this.logger);
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly deadLetters: DeadLetters,
    private readonly mirror: MirrorRetention,
    private readonly syncState: ProjectSyncStore,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.retention.intervalSeconds * 1000, () => this.pass());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /**
   * One pass over the three kinds, each until nothing old is left (or the app
   * stops). A kind that fails does not keep the others from running; the pass
   * then throws, naming it.
   */
  async pass(): Promise<RetentionReport> {
    const { inboxDays, deadLettersDays, tombstonesDays, batchSize } = this.config.retention;
    const failures: string[] = [];
    const run = async (kind: RetentionKind, batch: () => Promise<Batch>): Promise<number> => {
      try {
        return await this.drain(kind, batch);
      } catch (err) {
        failures.push(`${kind}: ${(err as Error).message}`);
        return 0;
      }
    };
    const upTo = (deleted: number): Batch => ({ deleted, more: deleted === batchSize });
    const report: RetentionReport = {
      inbox: await run('inbox', async () => upTo(await this.inbox.pruneSettled(inboxDays, batchSize))),
      deadLetters: await run('dead_letters', async () =>
        upTo(await this.deadLetters.pruneResolved(deadLettersDays, batchSize)),
      ),
      tombstones: await run('tombstones', () => this.purgeTombstones(tombstonesDays, batchSize)),
    };
    if (report.inbox || report.deadLetters || report.tombstones) {
      this.logger.log({ msg: 'Retention pruned old rows', ...report });
    }
    if (failures.length) throw new Error(`retention of ${failures.join('; ')}`);
    return report;
  }

  private async drain(kind: RetentionKind, batch: () => Promise<Batch>): Promise<number> {
    let total = 0;
    for (;;) {
      const { deleted, more } = await batch();
      total += deleted;
      if (deleted) this.metrics.pruned(kind, deleted);
      if (!more || this.stopping) return total;
    }
  }

  /**
   * One batch of tombstones: for each project in it, the purge watermark moves
   * up to the greatest version first, then the rows go. A crash in between
   * leaves the watermark ahead of the rows (a client may get a 410 a little
   * early), never behind (a client missing a deletion unwarned).
   */
  private async purgeTombstones(maxAgeDays: number, limit: number): Promise<Batch> {
    const expired = await this.mirror.expired(maxAgeDays, limit);
    const byProject = new Map<string, ExpiredTombstone[]>();
    for (const t of expired) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t]);
    let deleted = 0;
    for (const [projectId, tombstones] of byProject) {
      const highest = tombstones.reduce((max, t) => (BigInt(t.version) > BigInt(max) ? t.version : max), '0');
      await this.syncState.advancePurgeWatermark(projectId, highest);
      deleted += await this.mirror.purge(projectId, tombstones, maxAgeDays);
    }
    // Rows found but none deleted: another replica holds them; it will finish them.
    return { deleted, more: expired.length === limit && deleted > 0 };
  }
}
