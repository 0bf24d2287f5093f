import type { JobItem } from '@app/contracts';

/** A job that failed for good, as the owner and operators see it. */
export interface SyncFailureView {
  readonly id: string;
  /** The job's name (`sync-page`, `sync-database`, `full-sync`, `run-event-handler`). */
  readonly job: string;
  /** The page, database or delivery it was about, when it names one. */
  readonly entityId: string | null;
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: Date;
  /** Set while a retry is asked for and not yet carried out. */
  readonly retryRequestedAt: Date | null;
  /** When the event-worker last enqueued a retry of it. */
  readonly retriedAt: Date | null;
}

/** What the dead-letter record needs from a failed job. Ids only: job data never holds secrets. */
export interface FailedJob {
  /** The job, typed (its project and subject come from its data). */
  readonly job: JobItem;
  readonly jobId: string;
  readonly reason: string;
  readonly attempts: number;
}

/** A retry the event-worker has to carry out. */
export interface PendingRetry {
  readonly id: string;
  readonly projectId: string;
  /** The stored job, typed; undefined when the record no longer reads as a job this version knows. */
  readonly job: JobItem | undefined;
  /** As stored, for the log when `job` is undefined. */
  readonly jobName: string;
  readonly jobId: string;
  readonly entityId: string | null;
  /** Exact (microseconds) text of `retry_requested_at`. */
  readonly requestedAt: string;
}
