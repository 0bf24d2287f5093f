import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { JOB_QUEUE, JobName, QueueName, type JobPayloads } from '@app/contracts';

/** Typed producer: the job name picks its queue and its data type. */
@Injectable()
export class JobQueue {
  private readonly queues: Readonly<Record<QueueName, Queue>>;

  constructor(@InjectQueue(QueueName.NotionSync) notionSync: Queue) {
    this.queues = { [QueueName.NotionSync]: notionSync };
  }

  async add<J extends JobName>(name: J, data: JobPayloads[J], opts?: JobsOptions): Promise<string | undefined> {
    const job = await this.queues[JOB_QUEUE[name]].add(name, data, opts);
    return job.id;
  }

  /** The queue behind a name, for health checks, tests and tooling. */
  queue(name: QueueName): Queue {
    return this.queues[name];
  }
}
