import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { deduplicationId, JOB_QUEUE, JobName, QueueName, type JobPayloads } from '@app/contracts';
import { reportOutagesOnce } from './outages.js';

const ADD_TIMEOUT_MS = 5000;

/** Typed producer: the job name picks its queue and its data type. */
@Injectable()
export class JobQueue {
  private readonly queues: Readonly<Record<QueueName, Queue>>;

  private readonly logger = new Logger(JobQueue.name);

  constructor(@InjectQueue(QueueName.NotionSync) notionSync: Queue) {
    this.queues = { [QueueName.NotionSync]: notionSync };
    // Without a listener BullMQ prints every reconnect failure with console.error.
    for (const queue of Object.values(this.queues)) reportOutagesOnce(queue, this.logger);
  }

  /**
   * Adds a job, or rejects after `ADD_TIMEOUT_MS` while Redis is unreachable
   * (BullMQ would otherwise wait for the connection indefinitely). Callers keep
   * their record in Postgres and retry; a late add that still lands is harmless
   * because job handlers are idempotent and job ids are fixed.
   */
  async add<J extends JobName>(name: J, data: JobPayloads[J], opts?: JobsOptions): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not take job ${name} within ${ADD_TIMEOUT_MS} ms`)),
        ADD_TIMEOUT_MS,
      );
    });
    try {
      const job = await Promise.race([this.queues[JOB_QUEUE[name]].add(name, data, opts), timeout]);
      return job.id;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Adds a sync job deduplicated by the contract's id (`deduplicationId`): one
   * waiting job per entity; a job added while one runs leaves one follow-up.
   * With `delayMs`, the job waits that long; while it waits it absorbs later
   * adds like a waiting job. A follow-up left by a running job gets the delay
   * of the latest add, counted from when the running job ends.
   */
  addDeduplicated<J extends JobName>(
    name: J,
    data: JobPayloads[J],
    delayMs = 0,
    { priority }: { readonly priority?: number } = {},
  ): Promise<string | undefined> {
    const id = deduplicationId(name, data);
    return this.add(name, data, {
      ...(id && { deduplication: { id, keepLastIfActive: true } }),
      ...(delayMs > 0 && { delay: delayMs }),
      // BullMQ: a higher number is a lower priority; jobs without one go first.
      ...(priority !== undefined && { priority }),
    });
  }

  /**
   * Creates or updates a job scheduler (BullMQ 6) that adds `name` every
   * `everyMs`, the first time at `startDate` (else at once).
   */
  async upsertScheduler<J extends JobName>(
    id: string,
    everyMs: number,
    name: J,
    data: JobPayloads[J],
    startDate?: Date,
  ): Promise<void> {
    await this.queues[JOB_QUEUE[name]].upsertJobScheduler(id, { every: everyMs, startDate }, { name, data });
  }

  async hasScheduler(queue: QueueName, id: string): Promise<boolean> {
    return (await this.queues[queue].getJobScheduler(id)) != null;
  }

  async removeScheduler(queue: QueueName, id: string): Promise<void> {
    await this.queues[queue].removeJobScheduler(id);
  }

  /** The queue behind a name, for health checks, tests and tooling. */
  queue(name: QueueName): Queue {
    return this.queues[name];
  }
}
