import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JobName } from '@app/contracts';

/** Every metric name starts with this, the default process metrics too. */
export const METRICS_PREFIX = 'notion_sync_';

/** What the webhook intake did with a request. */
export type DeliveryOutcome = 'accepted' | 'duplicate' | 'handshake' | 'rejected';
/** Why the intake refused one: a closed set, so the label stays bounded. */
export type DeliveryRejection =
  | 'unknown_project'
  | 'bad_signature'
  | 'malformed'
  | 'too_large'
  | 'rate_limited'
  | 'handshake_refused'
  | 'handshake_limited'
  | 'unavailable'
  | 'error';
/** What one dispatch of a delivery (event or relay) came to. */
export type DispatchOutcome = 'enqueued' | 'ignored' | 'skipped' | 'failed';
/**
 * completed; failed (for good); retried (an attempt failed, another follows);
 * delayed (rate limited by Notion: neither failed nor an attempt).
 */
export type JobOutcome = 'completed' | 'failed' | 'retried' | 'delayed';
/** What the event-worker's retention pass prunes. */
export type RetentionKind = 'inbox' | 'dead_letters' | 'tombstones';
/** The BullMQ states reported by `queue_jobs`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** What `queue_jobs` reads at scrape time: BullMQ's `Queue` fits. */
export interface CountableQueue {
  getJobCounts(...states: QueueState[]): Promise<Record<string, number>>;
}

/** How long a scrape waits for queue counts before it reports none (Redis down or slow). */
const QUEUE_COUNT_TIMEOUT_MS = 1000;
const JOB_NAMES = new Set<string>(Object.values(JobName));
// A job name from a newer producer must not open new series.
const jobLabel = (name: string) => (JOB_NAMES.has(name) ? name : 'unknown');

/**
 * One app's Prometheus metrics, on a registry of its own (never prom-client's
 * global one: tests run several apps in one process, and each must report only
 * its own). Labels take values from closed sets only (outcomes, reasons, job
 * names, HTTP status codes), never ids, so the number of series stays bounded.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Webhook requests by outcome; `reason` is set for rejected ones only. */
  readonly deliveries: Counter<'outcome' | 'reason'>;
  /** Deliveries the event-worker tried to dispatch, by outcome. */
  readonly dispatches: Counter<'outcome'>;
  /** Deliveries a relay pass re-dispatched (their event was lost or their job stalled). */
  readonly relayDispatches: Counter<'relay'>;
  readonly jobs: Counter<'name' | 'outcome'>;
  /** Jobs this app's stall checks moved back to wait because their lock had lapsed. */
  readonly jobStalls: Counter;
  readonly jobDuration: Histogram<'name' | 'outcome'>;
  /** Every HTTP request to Notion (the SDK's retries too), by status code, `network` or `timeout`. */
  readonly notionRequests: Counter<'status'>;
  /** From a delivery's `received_at` to the job that marked it processed (its row written). */
  readonly webhookToRowLag: Histogram;
  /** Jobs per queue and state, read from BullMQ when scraped. */
  readonly queueJobs: Gauge<'queue' | 'state'>;
  /** Rows the retention pass deleted, by kind. */
  readonly retentionPruned: Counter<'kind'>;
  /** Change streams open on this gateway. */
  readonly streamsOpen: Gauge;
  /** Change events sent on this gateway's streams (one per row per stream). */
  readonly streamEvents: Counter;
  /** Streams this gateway ended, by why: client (went away), slow, error, shutdown, deleted (the project). */
  readonly streamsEnded: Counter<'reason'>;
  /** From a delivery's receipt to the read that sends its row on the project's streams. */
  readonly webhookToEventLag: Histogram;

  private queues: Readonly<Record<string, CountableQueue>> = {};
  private counting?: Promise<void>;

  /**
   * @param app the `app` label on every series
   * @param options.defaultMetrics process metrics (CPU, memory, event loop, GC)
   */
  constructor(
    readonly app: string,
    options: { defaultMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ app });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });

    this.deliveries = new Counter({
      name: `${METRICS_PREFIX}deliveries_total`,
      help: 'Notion webhook requests by outcome (accepted, duplicate, handshake, rejected) and rejection reason',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.dispatches = new Counter({
      name: `${METRICS_PREFIX}dispatches_total`,
      help: 'Delivery dispatches by outcome (enqueued, ignored, skipped: another replica or done, failed: left for the relay)',
      labelNames: ['outcome'],
      registers,
    });
    this.relayDispatches = new Counter({
      name: `${METRICS_PREFIX}relay_dispatches_total`,
      help: 'Deliveries a relay enqueued because their event was lost or their job stalled',
      labelNames: ['relay'],
      registers,
    });
    this.jobs = new Counter({
      name: `${METRICS_PREFIX}jobs_total`,
      help: 'Jobs by name and outcome: completed, failed (for good), retried (an attempt failed), delayed (Notion rate limit)',
      labelNames: ['name', 'outcome'],
      registers,
    });
    this.jobStalls = new Counter({
      name: `${METRICS_PREFIX}jobs_stalled_total`,
      help: 'Jobs whose lock lapsed (their worker died, or its event loop or Redis stalled), moved back to wait by this worker',
      registers,
    });
    this.jobDuration = new Histogram({
      name: `${METRICS_PREFIX}job_duration_seconds`,
      help: 'Time one job attempt ran, by job name and how it ended (completed, failed, delayed)',
      labelNames: ['name', 'outcome'],
      // Page syncs take well under a second; full syncs of large databases, many minutes.
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
      registers,
    });
    this.notionRequests = new Counter({
      name: `${METRICS_PREFIX}notion_requests_total`,
      help: 'HTTP requests to the Notion API (retries included) by response status, or network / timeout',
      labelNames: ['status'],
      registers,
    });
    this.webhookToRowLag = new Histogram({
      name: `${METRICS_PREFIX}webhook_to_row_lag_seconds`,
      help: "Seconds from a webhook delivery's receipt to the sync job that wrote its page and marked it processed",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.queueJobs = new Gauge({
      name: `${METRICS_PREFIX}queue_jobs`,
      help: 'Jobs per BullMQ queue and state, read when scraped (absent while Redis does not answer within 1 s)',
      labelNames: ['queue', 'state'],
      registers,
      // prom-client awaits this on every scrape.
      collect: () => this.countQueues(),
    });
    this.streamsOpen = new Gauge({
      name: `${METRICS_PREFIX}streams_open`,
      help: 'Change streams (GET /projects/:id/changes/stream) open on this gateway',
      registers,
    });
    this.streamEvents = new Counter({
      name: `${METRICS_PREFIX}stream_events_total`,
      help: 'Change events sent on the change streams of this gateway (a row sent to 10 streams counts 10)',
      registers,
    });
    this.streamsEnded = new Counter({
      name: `${METRICS_PREFIX}streams_ended_total`,
      help: 'Change streams ended, by reason: client (it went away), slow (it did not read), error, shutdown, deleted (its project)',
      labelNames: ['reason'],
      registers,
    });
    this.webhookToEventLag = new Histogram({
      name: `${METRICS_PREFIX}webhook_to_event_lag_seconds`,
      help: "Seconds from a webhook delivery's receipt to the read that sends its page's row on the project's open streams",
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.retentionPruned = new Counter({
      name: `${METRICS_PREFIX}retention_pruned_total`,
      help: 'Rows the retention pass deleted, by kind: inbox (settled deliveries), dead_letters (resolved), tombstones',
      labelNames: ['kind'],
      registers,
    });
  }

  delivery(outcome: Exclude<DeliveryOutcome, 'rejected'>): void;
  delivery(outcome: 'rejected', reason: DeliveryRejection): void;
  delivery(outcome: DeliveryOutcome, reason?: DeliveryRejection): void {
    this.deliveries.inc({ outcome, reason: reason ?? '' });
  }

  dispatched(outcome: DispatchOutcome): void {
    this.dispatches.inc({ outcome });
  }

  relayed(relay: string, count: number): void {
    this.relayDispatches.inc({ relay }, count);
  }

  /** Counts a job's outcome, as BullMQ settled it. */
  job(name: string, outcome: JobOutcome): void {
    this.jobs.inc({ name: jobLabel(name), outcome });
  }

  /** A job's lock lapsed and a stall check moved it back to wait (BullMQ's `stalled` event carries no job name). */
  jobStalled(): void {
    this.jobStalls.inc();
  }

  /** How long one attempt of a job ran, and how it ended. */
  jobAttempt(name: string, outcome: 'completed' | 'failed' | 'delayed', seconds: number): void {
    this.jobDuration.observe({ name: jobLabel(name), outcome }, seconds);
  }

  /** @param status an HTTP status code, or why there was none */
  notionRequest(status: number | 'network' | 'timeout'): void {
    const label = typeof status === 'number' ? (status >= 100 && status <= 599 ? String(status) : 'other') : status;
    this.notionRequests.inc({ status: label });
  }

  webhookLag(lagsSeconds: readonly number[]): void {
    for (const lag of lagsSeconds) this.webhookToRowLag.observe(Math.max(lag, 0));
  }

  pruned(kind: RetentionKind, count: number): void {
    this.retentionPruned.inc({ kind }, count);
  }

  /** Reports these queues' job counts on every scrape (`queue_jobs`). */
  watchQueues(queues: Readonly<Record<string, CountableQueue>>): void {
    this.queues = queues;
  }

  /** The exposition text and its content type, for a `/metrics` route. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * Counts each queue's jobs within `QUEUE_COUNT_TIMEOUT_MS`; on a timeout or
   * an error the gauge is left empty (a stale count would lie) and the rest
   * of the scrape goes on. A count still pending from an earlier scrape is not
   * doubled up.
   */
  private async countQueues(): Promise<void> {
    const entries = Object.entries(this.queues);
    if (entries.length === 0) return;
    this.counting ??= (async () => {
      const counts = await Promise.all(
        entries.map(async ([queue, q]) => [queue, await q.getJobCounts(...QUEUE_STATES)] as const),
      );
      this.queueJobs.reset();
      for (const [queue, byState] of counts) {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, byState[state] ?? 0);
      }
    })().finally(() => (this.counting = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), QUEUE_COUNT_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.counting, timeout]);
    } catch {
      this.queueJobs.reset();
    } finally {
      clearTimeout(timer);
    }
  }
}
