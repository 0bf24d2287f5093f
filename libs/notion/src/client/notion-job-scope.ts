import { AsyncLocalStorage } from 'node:async_hooks';

/** What the Notion clients know about the job a request is made for. */
export interface NotionJobScope {
  /** Names the job's reserved turns (its BullMQ job id: the same each time the job comes back). */
  readonly reservationId: string;
  /** Set once the job sent a request: from then on it keeps its worker slot and waits for its turns. */
  requested: boolean;
}

const scopes = new AsyncLocalStorage<NotionJobScope>();

/**
 * Runs one attempt of a job with its Notion requests tied to it: the attempt's
 * first request may leave the worker slot for a turn that is further off
 * (`NotionTurnDeferredError`); later ones wait in place, as a job part-way
 * through must (it holds a lock, a checkpoint, a fetch start).
 */
export function runInNotionJob<T>(reservationId: string, work: () => Promise<T>): Promise<T> {
  return scopes.run({ reservationId, requested: false }, work);
}

/** The job the current request is made for, if any. */
export function currentNotionJob(): NotionJobScope | undefined {
  return scopes.getStore();
}
