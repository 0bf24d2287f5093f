import { type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { AppConfig } from '@app/config';
import { JobName, QueueName } from '@app/contracts';
import { NotionSyncHandlers, type JobOutcome } from './notion-sync.handlers.js';

const JOB_NAMES = new Set<string>(Object.values(JobName));

@Processor(QueueName.NotionSync)
export class NotionSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly handlers: NotionSyncHandlers,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // The decorator is static; concurrency comes from config at boot.
    this.worker.concurrency = this.config.jobWorker.concurrency;
  }

  async process(job: Job): Promise<JobOutcome> {
    if (!JOB_NAMES.has(job.name)) {
      // A job this build does not know will never succeed here: fail it for good.
      throw new UnrecoverableError(`No handler for job "${job.name}"`);
    }
    const name = job.name as JobName;
    const handler = this.handlers[name] as (data: unknown) => Promise<JobOutcome>;
    return handler.call(this.handlers, job.data);
  }
}
