import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { JobName, QueueName, type JobPayloads } from '@app/contracts';
import { DeadLetters, type PendingRetry } from '@app/dead-letters';
import { InboxService } from '@app/inbox';
import { JobQueue } from '@app/messaging';
import { Periodic } from '../relay/periodic.js';

const BATCH = 100;
const SYNC_JOBS = new Set<string>([JobName.SyncPage, JobName.SyncDatabase, JobName.FullSync]);

/**
 * Carries out retries of dead letters (asked for by the owner through the API
 * or by an operator with `npm run replay`): a sync job is enqueued again
 * (deduplicated like any other) with its failed deliveries back in flight, so
 * its success marks them processed; an extension handler's job is moved back
 * from BullMQ's failed set. Every replica may run it: enqueuing is deduplicated
 * and marking a retry done only moves forward.
 */
@Injectable()
export class FailureRetryRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FailureRetryRelay.name);
  private readonly periodic = new Periodic('Dead-letter retry pass', this.logger);

  constructor(
    private readonly config: AppConfig,
    private readonly deadLetters: DeadLetters,
    private readonly inbox: InboxService,
    private readonly queue: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.eventWorker.relayIntervalMs, () => this.pass());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns how many retries it carried out. */
  async pass(): Promise<number> {
    const retries = await this.deadLetters.pendingRetries(BATCH);
    for (const retry of retries) {
      await this.retry(retry);
      await this.deadLetters.markRetried(retry);
    }
    if (retries.length) this.logger.log({ msg: 'Retried failed jobs', count: retries.length });
    return retries.length;
  }

  private async retry(retry: PendingRetry): Promise<void> {
    if (SYNC_JOBS.has(retry.jobName)) {
      if (retry.entityId) await this.inbox.reopenFailedFor(retry.projectId, retry.entityId);
      const name = retry.jobName as JobName.SyncPage | JobName.SyncDatabase | JobName.FullSync;
      await this.queue.addDeduplicated(name, retry.jobData as unknown as JobPayloads[typeof name]);
      return;
    }
    const job = await this.queue.queue(QueueName.NotionSync).getJob(retry.jobId);
    if (job && (await job.isFailed())) await job.retry('failed');
    else this.logger.warn({ msg: 'Failed job no longer in the failed set; not retried', jobId: retry.jobId });
  }
}
