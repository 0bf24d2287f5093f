import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { AppConfig } from '@app/config';
import { asJobItem, JobName, jobSubject, QueueName, type JobItem } from '@app/contracts';
import { DeadLetters } from '@app/dead-letters';
import { InboxService } from '@app/inbox';
import { bullConnection, PageFetchWindow } from '@app/messaging';
import { classifyNotionError, NotionTurnDeferredError, runInNotionJob } from '@app/notion';
import { Metrics } from '@app/observability';
import { FullSyncBusyError, ProjectSyncStore } from '@app/sync';
import { NotionSyncHandlers, type JobOutcome } from './notion-sync.handlers.js';
import { SyncSchedulers } from './sync-schedulers.js';

/**
 * Jobs about the whole project: when one fails for good, the project is in
 * `error`. A page job that fails for good is a dead letter for that page only
 * (its reason may come from an event anyone holding the webhook key can send).
 */
const isProjectJob = (item: JobItem) => item.name === JobName.SyncDatabase || item.name === JobName.FullSync;

/** Body jobs: their failures are the page's or the project's content state, never its sync error. */
const isContentJob = (item: JobItem) => item.name === JobName.SyncPageContent || item.name === JobName.ContentBackfill;

/** True when `promise` settled within `ms`; never rejects. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Notion refused the project's token or database: failed for good at once (a
 * retry cannot help until the owner acts), and logged as a warning, not an
 * error: the system works, the project's setup does not (its sync state says why).
 */
export class NotionRefusedError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    // BullMQ recognises unrecoverable errors by name.
    this.name = 'UnrecoverableError';
  }
}

/** A job this build has no handler for (a newer producer during a rolling deploy). */
export class UnknownJobError extends Error {
  constructor(name: string) {
    super(`No handler for job "${name}" in this build; it will be retried (a newer worker may know it)`);
    this.name = 'UnknownJobError';
  }
}

/**
 * The BullMQ worker of the `notion-sync` queue. It is built here rather than by
 * `@Processor()` of @nestjs/bullmq: BullMQ reads the lock and stall settings in
 * the Worker constructor, which `@Processor()` takes from decorator options
 * fixed before config is loaded; and the worker's close must be ours alone
 * (see `beforeApplicationShutdown`).
 */
@Injectable()
export class NotionSyncProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NotionSyncProcessor.name);
  private worker?: Worker;

  constructor(
    private readonly config: AppConfig,
    private readonly handlers: NotionSyncHandlers,
    private readonly inbox: InboxService,
    private readonly syncState: ProjectSyncStore,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: Metrics,
    private readonly schedulers: SyncSchedulers,
    private readonly pageFetches: PageFetchWindow,
  ) {}

  /** Starts taking jobs once the whole app is up (handlers, database, queues). */
  onApplicationBootstrap(): void {
    const { concurrency, lockDurationMs, stalledIntervalMs } = this.config.jobWorker;
    const worker = new Worker(QueueName.NotionSync, (job, token) => this.process(job, token), {
      ...bullConnection(this.config.redis),
      concurrency,
      // A killed worker's jobs run again once their lock has lapsed and a stall
      // check (any worker's) has seen them twice: within about lockDuration +
      // stalledInterval. maxStalledCount stays BullMQ's 1: a job that stalls
      // twice (a page that kills its worker) fails for good.
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
      autorun: false,
    });
    worker.on('completed', (job) => this.onCompleted(job));
    worker.on('failed', (job, err) => void this.onFailed(job, err));
    worker.on('stalled', (jobId) => this.onStalled(jobId));
    worker.on('error', (err) => this.onError(err));
    this.worker = worker;
    worker.run().catch((err: Error) => this.logger.error(`Worker stopped: ${err.message}`, err.stack));
  }

  /**
   * Drain before anything else closes: queues and the database must still be
   * there for jobs that finish during shutdown. BullMQ's close stops taking jobs
   * and waits for the active ones; it gets the shutdown grace period less 2 s.
   * If it has not finished by then, the worker is left as it is and the app
   * closes the rest: the jobs it still holds stay active in Redis and run again
   * through stall recovery once their lock lapses (handlers are idempotent).
   * Waiting longer cannot help: a close after the first returns the same
   * promise (BullMQ has no later "force"), and a close that began while Redis
   * was down or being reconnected never ends (ioredis does not end a client
   * that is told to disconnect while it waits to reconnect, redis/ioredis#2169,
   * and the worker's queued commands wait for Redis without limit).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    // A content backfill's slice outlasts the drain: it ends at its next page.
    // Whatever happens there, the worker below must still be closed.
    try {
      this.handlers.stopping();
    } catch (err) {
      this.logger.warn(`Could not stop long jobs early: ${(err as Error).message}`);
    }
    const drainMs = Math.max(this.config.shutdownGraceMs - 2000, 0);
    if (await settlesWithin(this.worker.close(), drainMs)) return;
    this.logger.warn(
      `Worker not closed after ${drainMs} ms (jobs still running, or Redis out of reach): ` +
        'leaving its jobs to stall recovery',
    );
  }

  /** Runs one attempt (see `run`), timing it for `job_duration_seconds`. */
  async process(job: Job, token?: string): Promise<JobOutcome> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const outcome = await this.run(job, token);
      this.metrics.jobAttempt(job.name, 'completed', seconds());
      return outcome;
    } catch (err) {
      // A delayed job emits no worker event: it is counted here.
      const delayed = err instanceof DelayedError;
      this.metrics.jobAttempt(job.name, delayed ? 'delayed' : 'failed', seconds());
      if (delayed) this.metrics.job(job.name, 'delayed');
      throw err;
    }
  }

  private async run(job: Job, token?: string): Promise<JobOutcome> {
    const item = asJobItem(job.name, job.data);
    // Retryable rather than UnrecoverableError: during a rolling deploy an old
    // worker must not fail for good a job that a new one can run.
    if (!item) throw new UnknownJobError(job.name);
    if (item.name === JobName.RunEventHandler) return this.handlers[JobName.RunEventHandler](item.data);
    if ((item.name === JobName.SyncPage || item.name === JobName.SyncPageContent) && token) {
      const { projectId, pageId } = item.data;
      // The dispatcher delays jobs added within a page's fetch window; this
      // catches the rest (a delayed job promoted a little early, a retried
      // dead letter): while another job's window is open, wait for its end.
      const kind = item.name === JobName.SyncPage ? 'page' : 'content';
      const waitMs = await this.pageFetches.claim(projectId, pageId, String(job.id), kind);
      if (waitMs > 0) {
        await job.moveToDelayed(Date.now() + waitMs, token);
        this.logger.debug({ msg: 'Page fetched within its window; job delayed to its end', jobId: job.id, waitMs });
        throw new DelayedError();
      }
    }
    try {
      // The job id names the turns it reserves at the rate limit: the same when
      // it comes back. A backfill asks at background priority: it takes a turn
      // only when no other request of the token waits (see NotionRateLimiter).
      const priority = item.name === JobName.ContentBackfill ? 'background' : 'foreground';
      return await runInNotionJob(String(job.id), () => this.runSync(item), { priority });
    } catch (err) {
      if (err instanceof FullSyncBusyError && token) {
        // Waits for the run that holds the project's lock, out of the worker slot.
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        this.logger.debug({
          msg: 'Full sync delayed: a run that began before the request holds the lock',
          jobId: job.id,
          delayMs: err.retryAfterMs,
        });
        throw new DelayedError();
      }
      throw await this.sortNotionFailure(job, item, token, err);
    }
  }

  /** The sync job's handler, chosen by name (each name carries its own data type). */
  private runSync(item: Exclude<JobItem, { name: JobName.RunEventHandler }>): Promise<JobOutcome> {
    switch (item.name) {
      case JobName.SyncPage:
        return this.handlers[JobName.SyncPage](item.data);
      case JobName.SyncDatabase:
        return this.handlers[JobName.SyncDatabase](item.data);
      case JobName.FullSync:
        return this.handlers[JobName.FullSync](item.data);
      case JobName.SyncPageContent:
        return this.handlers[JobName.SyncPageContent](item.data);
      case JobName.ContentBackfill:
        return this.handlers[JobName.ContentBackfill](item.data);
    }
  }

  /**
   * What a failed Notion call means for the job: rate limited (after the SDK's
   * own retries), or its turn at our own limiter further off than a worker
   * slot should be held -> delayed until then, neither failed nor counted as
   * an attempt; the token refused -> failed for good at once, the project in
   * `error` and its scheduled syncs stopped (retrying cannot help until the
   * owner acts); the database not shared -> failed for good, the project in
   * `error` (a page job: that page's dead letter only); anything else -> an
   * ordinary retry with backoff.
   */
  private async sortNotionFailure(job: Job, item: JobItem, token: string | undefined, err: unknown): Promise<Error> {
    const aboutPage = item.name === JobName.SyncPage || item.name === JobName.SyncPageContent;
    const failure = classifyNotionError(err, { object: aboutPage ? 'page' : 'database' });
    const { projectId } = item.data;
    if (failure.kind === 'rate_limited' && token) {
      await job.moveToDelayed(Date.now() + failure.retryAfterMs, token);
      // Waiting for a reserved turn is the limiter doing its job, not news.
      const deferred = err instanceof NotionTurnDeferredError;
      this.logger[deferred ? 'debug' : 'warn']({
        msg: deferred ? 'Job delayed until its turn at the rate limit' : 'Rate limited by Notion; job delayed',
        job: job.name,
        jobId: job.id,
        delayMs: failure.retryAfterMs,
      });
      return new DelayedError();
    }
    if (failure.kind === 'unauthorized') {
      const started = new Date(job.processedOn ?? Date.now());
      if (await this.syncState.tokenRejected(projectId, failure.message, started)) {
        await this.schedulers.remove(projectId);
        this.logger.warn({ msg: 'Notion rejected the token; scheduled syncs stopped', projectId });
      }
      return new NotionRefusedError(failure.message);
    }
    if (failure.kind === 'not_shared') {
      if (isProjectJob(item)) await this.syncState.failed(projectId, failure.message);
      return new NotionRefusedError(failure.message);
    }
    if (failure.kind === 'unknown') return err instanceof Error ? err : new Error(failure.message);
    return new Error(failure.message);
  }

  onCompleted(job: Job): void {
    this.metrics.job(job.name, 'completed');
  }

  async onFailed(job: Job | undefined, err: Error): Promise<void> {
    const item = job ? asJobItem(job.name, job.data) : undefined;
    // BullMQ sets finishedOn only when a job failed for good: attempts spent,
    // an UnrecoverableError, or stalled too often.
    const final = job ? job.finishedOn != null : true;
    this.metrics.job(job?.name ?? 'unknown', final ? 'failed' : 'retried');
    if (final && job && item) await this.failedForGood(job, item, err);
    this.logger[final && !(err instanceof NotionRefusedError) ? 'error' : 'warn']({
      msg: final ? 'Job failed for good' : 'Job failed; will retry',
      job: job?.name,
      jobId: job?.id,
      attemptsMade: job?.attemptsMade,
      reason: err.message,
      correlationId: item?.data.correlationId,
    });
  }

  /**
   * What a job that failed for good leaves behind: its deliveries failed with
   * the reason (the ledger explains every accepted delivery), its dead letter,
   * and for a project job the project's error. A job whose record does not
   * read as a job of this version (UnknownJobError) leaves only its log line.
   */
  private async failedForGood(job: Job, item: JobItem, err: Error): Promise<void> {
    const reason = `${item.name} failed: ${err.message}`;
    const warn = (what: string) => (e: Error) => this.logger.warn(`Could not ${what}: ${e.message}`);
    const { projectId } = item.data;
    if (item.name === JobName.RunEventHandler) {
      // Fails the delivery only when it waits for handlers alone; a sync job owns the others.
      await this.inbox.handlerFailed(item.data.deliveryId, reason).catch(warn('mark the delivery failed'));
    } else if (!isContentJob(item)) {
      // Content jobs own no delivery: the page job settles them.
      const subject = jobSubject(item);
      if (subject) {
        const started = new Date(job.processedOn ?? Date.now());
        await this.inbox.markFailedFor(projectId, subject, started, reason).catch(warn('mark deliveries failed'));
      }
    }
    if (job.id) {
      // The dead letter: what the owner sees and can retry (GET .../sync/failures).
      await this.deadLetters
        .record({ job: item, jobId: job.id, reason: err.message, attempts: job.attemptsMade })
        .catch(warn('record the dead letter'));
    }
    if (isProjectJob(item)) {
      // A full sync's failure answers the requests before it, begun or not (see fullSyncFailed).
      const recorded =
        item.name === JobName.FullSync
          ? this.syncState.fullSyncFailed(projectId, err.message)
          : this.syncState.failed(projectId, err.message);
      await recorded.catch(warn('record the sync error'));
    }
  }

  /**
   * This worker's stall check moved a job back to wait: its lock lapsed, so its
   * worker died, or held its event loop (or lost Redis) for about half the lock.
   */
  onStalled(jobId: string): void {
    this.metrics.jobStalled();
    this.logger.warn({ msg: 'Job stalled: its lock lapsed; it runs again', jobId });
  }

  onError(err: Error): void {
    this.logger.warn(`Worker connection error: ${err.message}`);
  }
}
