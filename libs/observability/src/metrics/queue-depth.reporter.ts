import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import { Metrics } from './metrics.js';

/**
 * Has `queue_jobs` read every queue's counts at scrape time. Both workers
 * report it, so the backlog stays visible while every job-worker is down;
 * dashboards take the max over instances.
 */
@Injectable()
export class QueueDepthReporter implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly jobs: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.metrics.enabled) return;
    this.metrics.watchQueues(Object.fromEntries(Object.values(QueueName).map((name) => [name, this.jobs.queue(name)])));
  }
}
