import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { JobName, QueueName } from '@app/contracts';
import { DeadLetters, type PendingRetry } from '@app/dead-letters';
import { InboxService } from '@app/inbox';
import { JobQueue } from '@app/messaging';
import { Periodic } from '../relay/periodic.js';

const BATCH = 100;

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
    const { job } = retry;
    if (!job) {
      // Written by a version whose jobs this one does not know: retrying it could only fail again.
      this.logger.warn({
        msg: 'Failed job record unreadable; not retried',
        jobName: retry.jobName,
        jobId: retry.jobId,
      });
      return;
    }
    if (job.name !== JobName.RunEventHandler) {
      if (retry.entityId) await this.inbox.reopenFailedFor(retry.projectId, retry.entityId);
      await this.queue.addDeduplicated(job.name, job.data);
      return;
    }
    const failed = await this.queue.queue(QueueName.NotionSync).getJob(retry.jobId);
    if (failed && (await failed.isFailed())) await failed.retry('failed');
    else this.logger.warn({ msg: 'Failed job no longer in the failed set; not retried', jobId: retry.jobId });
  }
}
