import { describe, expect, it } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { JobName } from '@app/contracts';
import { Metrics, type CountableQueue } from './metrics.js';

/** The exposition lines of one metric (no HELP/TYPE comments). */
const lines = async (metrics: Metrics, name: string) =>
  (await metrics.render()).body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

const counts = (byState: Record<string, number>): CountableQueue => ({ getJobCounts: async () => byState });

describe('Metrics', () => {
  it('keeps each app on a registry of its own, never the global one', async () => {
    const gateway = new Metrics('api-gateway', { defaultMetrics: false });
    const worker = new Metrics('job-worker', { defaultMetrics: false });
    gateway.delivery('accepted');
    gateway.delivery('accepted');
    expect(await lines(gateway, 'notion_sync_deliveries_total')).toEqual([
      'notion_sync_deliveries_total{outcome="accepted",reason="",app="api-gateway"} 2',
    ]);
    expect(await lines(worker, 'notion_sync_deliveries_total')).toEqual([]);
    expect(await globalRegistry.metrics()).not.toContain('notion_sync_');
  });

  it('collects process metrics with the prefix, unless told not to', async () => {
    const body = (await new Metrics('x').render()).body;
    expect(body).toMatch(/^notion_sync_process_cpu_seconds_total\{app="x"\} /m);
    expect(body).toMatch(/^notion_sync_process_resident_memory_bytes\{app="x"\} /m);
    expect((await new Metrics('y', { defaultMetrics: false }).render()).body).not.toContain('process_cpu');
  });

  it('labels rejections by reason, and only rejections', async () => {
    const metrics = new Metrics('gw', { defaultMetrics: false });
    metrics.delivery('rejected', 'bad_signature');
    metrics.delivery('rejected', 'unknown_project');
    metrics.delivery('rejected', 'bad_signature');
    metrics.delivery('duplicate');
    expect((await lines(metrics, 'notion_sync_deliveries_total')).sort()).toEqual([
      'notion_sync_deliveries_total{outcome="duplicate",reason="",app="gw"} 1',
      'notion_sync_deliveries_total{outcome="rejected",reason="bad_signature",app="gw"} 2',
      'notion_sync_deliveries_total{outcome="rejected",reason="unknown_project",app="gw"} 1',
    ]);
  });

  it('keeps label values in closed sets: unknown job names and odd statuses fold into one', async () => {
    const metrics = new Metrics('jw', { defaultMetrics: false });
    metrics.job(JobName.SyncPage, 'completed');
    metrics.job('some-job-from-the-future', 'retried');
    metrics.jobAttempt('another-one', 'failed', 0.2);
    metrics.notionRequest(200);
    metrics.notionRequest(1234);
    metrics.notionRequest('network');
    expect((await lines(metrics, 'notion_sync_jobs_total')).sort()).toEqual([
      'notion_sync_jobs_total{name="sync-page",outcome="completed",app="jw"} 1',
      'notion_sync_jobs_total{name="unknown",outcome="retried",app="jw"} 1',
    ]);
    expect(await lines(metrics, 'notion_sync_job_duration_seconds_count')).toEqual([
      'notion_sync_job_duration_seconds_count{app="jw",name="unknown",outcome="failed"} 1',
    ]);
    expect((await lines(metrics, 'notion_sync_notion_requests_total')).sort()).toEqual([
      'notion_sync_notion_requests_total{status="200",app="jw"} 1',
      'notion_sync_notion_requests_total{status="network",app="jw"} 1',
      'notion_sync_notion_requests_total{status="other",app="jw"} 1',
    ]);
  });

  it('observes webhook-to-row lags in a histogram', async () => {
    const metrics = new Metrics('jw', { defaultMetrics: false });
    metrics.webhookLag([0.3, 4, 90]);
    expect(await lines(metrics, 'notion_sync_webhook_to_row_lag_seconds_count')).toEqual([
      'notion_sync_webhook_to_row_lag_seconds_count{app="jw"} 3',
    ]);
    expect(await lines(metrics, 'notion_sync_webhook_to_row_lag_seconds_bucket')).toContain(
      'notion_sync_webhook_to_row_lag_seconds_bucket{le="5",app="jw"} 2',
    );
  });

  it('reads queue depths when scraped', async () => {
    const metrics = new Metrics('ew', { defaultMetrics: false });
    expect(await lines(metrics, 'notion_sync_queue_jobs')).toEqual([]);
    const byState = { waiting: 7, active: 2, delayed: 1, failed: 3, completed: 40 };
    metrics.watchQueues({ 'notion-sync': counts(byState) });
    expect(await lines(metrics, 'notion_sync_queue_jobs')).toEqual([
      'notion_sync_queue_jobs{queue="notion-sync",state="waiting",app="ew"} 7',
      'notion_sync_queue_jobs{queue="notion-sync",state="active",app="ew"} 2',
      'notion_sync_queue_jobs{queue="notion-sync",state="delayed",app="ew"} 1',
      'notion_sync_queue_jobs{queue="notion-sync",state="failed",app="ew"} 3',
      'notion_sync_queue_jobs{queue="notion-sync",state="completed",app="ew"} 40',
    ]);
    byState.waiting = 0;
    expect(await lines(metrics, 'notion_sync_queue_jobs')).toContain(
      'notion_sync_queue_jobs{queue="notion-sync",state="waiting",app="ew"} 0',
    );
  });

  it('leaves queue depths out, and still answers, when Redis fails or hangs', async () => {
    const metrics = new Metrics('ew', { defaultMetrics: false });
    metrics.relayed('deliveries', 1);
    metrics.watchQueues({ 'notion-sync': counts({ waiting: 5 }) });
    expect(await lines(metrics, 'notion_sync_queue_jobs')).toHaveLength(5);

    metrics.watchQueues({ 'notion-sync': { getJobCounts: () => Promise.reject(new Error('Connection is closed')) } });
    expect(await lines(metrics, 'notion_sync_queue_jobs')).toEqual([]);
    expect(await lines(metrics, 'notion_sync_relay_dispatches_total')).toHaveLength(1);

    metrics.watchQueues({ 'notion-sync': { getJobCounts: () => new Promise<never>(() => undefined) } });
    const started = Date.now();
    const body = (await metrics.render()).body;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(body).not.toMatch(/^notion_sync_queue_jobs\{/m);
    expect(body).toMatch(/^notion_sync_relay_dispatches_total\{relay="deliveries",app="ew"\} 1$/m);
  });
});
