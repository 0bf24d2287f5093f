import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How a request competes for its token's turns at the rate limiter.
 * `foreground` takes the next place in line (and a job may reserve it);
 * `background` takes only a turn nobody else wants (the line idle), so any
 * amount of it never delays foreground work by more than about one turn.
 */
export type NotionPriority = 'foreground' | 'background';

/** What the Notion clients know about the job a request is made for. */
export interface NotionJobScope {
  /** Names the job's reserved turns (its BullMQ job id: the same each time the job comes back). */
  readonly reservationId: string;
  /** The priority of every request the job makes. */
  readonly priority: NotionPriority;
  /** Set once the job sent a request: from then on a foreground job keeps its worker slot and waits for its turns. */
  requested: boolean;
}

/** Options of `runInNotionJob`. */
export interface NotionJobOptions {
  /** `foreground` (the default) or `background` (a backfill: yields every turn to foreground work). */
  readonly priority?: NotionPriority;
}

const scopes = new AsyncLocalStorage<NotionJobScope>();

/**
 * Runs one attempt of a job with its Notion requests tied to it. In the
 * foreground, the attempt's first request may leave the worker slot for a turn
 * that is further off (`NotionTurnDeferredError`); later ones wait in place, as
 * a job part-way through must (it holds a lock, a checkpoint, a fetch start).
 * In the background, any request may leave (`NotionTurnDeferredError`) when
 * the line does not go idle soon: such a job keeps its progress outside the
 * worker (in Postgres) and resumes from it.
 */
export function runInNotionJob<T>(
  reservationId: string,
  work: () => Promise<T>,
  { priority = 'foreground' }: NotionJobOptions = {},
): Promise<T> {
  return scopes.run({ reservationId, priority, requested: false }, work);
}

/** The job the current request is made for, if any. */
export function currentNotionJob(): NotionJobScope | undefined {
  return scopes.getStore();
}
