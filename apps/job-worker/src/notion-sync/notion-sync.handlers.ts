import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobPayloads } from '@app/contracts';

/** What a handler returns is kept as the job's return value (small: ids and counts). */
export interface JobOutcome {
  readonly deliveryIds: readonly string[];
}

type Handlers = { readonly [J in JobName]: (data: JobPayloads[J]) => Promise<JobOutcome> };

/**
 * The work behind each job name. The mapped type makes a job name without a
 * handler a compile error, so no job can be silently dropped.
 *
 * Foundation stage: placeholders that log and succeed. The webhook intake issue
 * makes them mark their deliveries processed; the sync engine gives them real work.
 */
@Injectable()
export class NotionSyncHandlers implements Handlers {
  private readonly logger = new Logger(NotionSyncHandlers.name);

  async [JobName.SyncPage](data: JobPayloads[JobName.SyncPage]): Promise<JobOutcome> {
    this.logger.log({ msg: 'sync-page (placeholder)', pageId: data.pageId, correlationId: data.correlationId });
    return { deliveryIds: data.deliveryIds };
  }

  async [JobName.SyncDatabase](data: JobPayloads[JobName.SyncDatabase]): Promise<JobOutcome> {
    this.logger.log({
      msg: 'sync-database (placeholder)',
      projectId: data.projectId,
      correlationId: data.correlationId,
    });
    return { deliveryIds: data.deliveryIds };
  }
}
