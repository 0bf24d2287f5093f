/**
 * Static checks of the monitoring files in deploy/: the Grafana dashboard is
 * importable and every query names a metric the apps export, and the example
 * Prometheus config scrapes each app on the port it serves /metrics on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ENV_SCHEMA } from '../libs/config/src/env.schema.js';
import { Metrics } from '../libs/observability/src/metrics/metrics.js';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  uid: string;
  title: string;
  panels: Panel[];
}

const dashboard = JSON.parse(read('../deploy/grafana/notion-sync-dashboard.json')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
/** The metric names a PromQL expression reads (histogram series map to their histogram). */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\bnotion_sync_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));

describe('the Grafana dashboard', () => {
  it('asks for a Prometheus data source on import and uses it in every panel and query', () => {
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(queryPanels.length).toBeGreaterThan(0);
    for (const panel of queryPanels) {
      expect({ title: panel.title, uid: panel.datasource?.uid }).toEqual({
        title: panel.title,
        uid: '${DS_PROMETHEUS}',
      });
      expect({ title: panel.title, queries: panel.targets?.length ?? 0 }).not.toEqual({
        title: panel.title,
        queries: 0,
      });
    }
  });

  it('queries only metrics the apps export', async () => {
    const exported = new Set((await new Metrics('check').registry.getMetricsAsJSON()).map((m) => m.name));
    const unknown = exprs.flatMap(metricsIn).filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
    expect(exprs.every((expr) => metricsIn(expr).length > 0)).toBe(true);
  });

  it('shows every metric of the issue', () => {
    const shown = new Set(exprs.flatMap(metricsIn));
    const own = new Metrics('check', { defaultMetrics: false });
    const ours = [
      own.deliveries,
      own.dispatches,
      own.relayDispatches,
      own.jobs,
      own.jobDuration,
      own.notionRequests,
      own.webhookToRowLag,
      own.queueJobs,
    ].map((metric) => (metric as unknown as { name: string }).name);
    expect(ours.filter((name) => !shown.has(name))).toEqual([]);
    for (const name of ['notion_sync_process_resident_memory_bytes', 'notion_sync_process_cpu_seconds_total'])
      expect(shown).toContain(name);
  });

  it('lays panels out without overlaps inside the 24-column grid', () => {
    const boxes = dashboard.panels.map((p) => p.gridPos!);
    for (const [i, a] of boxes.entries()) {
      expect(a.x + a.w).toBeLessThanOrEqual(24);
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ a, b, overlap }).toEqual({ a, b, overlap: false });
      }
    }
  });
});

describe('deploy/prometheus.yml', () => {
  const config = parse(read('../deploy/prometheus.yml')) as {
    scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
  };

  it('scrapes /metrics of each app on its metrics port (the gateway on its admin port, never PORT)', () => {
    const targets = Object.fromEntries(
      config.scrape_configs.map((job) => [
        job.job_name,
        { path: job.metrics_path, targets: job.static_configs.flatMap((s) => s.targets) },
      ]),
    );
    expect(targets).toEqual({
      'notion-sync-api-gateway': { path: '/metrics', targets: [`api-gateway:${ENV_SCHEMA.ADMIN_PORT.default}`] },
      'notion-sync-event-worker': {
        path: '/metrics',
        targets: [`event-worker:${ENV_SCHEMA.EVENT_WORKER_HEALTH_PORT.default}`],
      },
      'notion-sync-job-worker': {
        path: '/metrics',
        targets: [`job-worker:${ENV_SCHEMA.JOB_WORKER_HEALTH_PORT.default}`],
      },
    });
    expect(ENV_SCHEMA.ADMIN_PORT.default).not.toBe(ENV_SCHEMA.PORT.default);
  });
});
