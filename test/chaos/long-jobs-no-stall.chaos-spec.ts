import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@app/testing';
import { type ChaosProject, ChaosStack, report } from './chaos-stack.js';
import { balanceStackLedger, expectBalanced, waitForSettled } from './ledger.js';

/**
 * The other side of a short lock (JOB_LOCK_DURATION_MS, 8 s by default): a
 * job-worker at full concurrency whose every job runs longer than the lock
 * keeps renewing it, so no job is taken for stalled and none runs twice.
 */
describe('chaos: a saturated job-worker with jobs longer than the lock', () => {
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 20; // two rounds of JOB_WORKER_CONCURRENCY (10)
  const FETCH_MS = 10_000;

  beforeAll(async () => {
    await stack.start();
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('renews every lock: no job stalls', async () => {
    const jobWorker = stack.apps.find((a) => a.name === 'job-worker')!;
    stack.notion.injectLatency({ ms: FETCH_MS, count: Infinity, path: /^\/v1\/pages\// });
    const sent = await Promise.all(project.pages.map((p, i) => stack.editAndNotify(project, p.id, `Long ${i}`)));
    expect(sent.map((s) => s.status)).toEqual(Array(PAGES).fill(200));
    await waitFor(async () => (await stack.activeJobIds(project.id)).length >= 10, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: '10 active jobs',
    });

    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, PAGES, { timeoutMs: 90_000 });
    const jobs = (await stack.queue.getJobs(['completed'])).filter(
      (j) => (j.data as { projectId?: string }).projectId === project.id && !j.repeatJobKey,
    );
    const longest = Math.max(...jobs.map((j) => j.finishedOn! - j.processedOn!));
    report(
      `long jobs: ${jobs.length} completed jobs, the longest ran ${longest} ms; settled in ${Math.round(settleMs / 1000)} s`,
    );
    expect(longest).toBeGreaterThan(8000); // longer than the lock: it had to be renewed
    expect(jobs.filter((j) => j.stalledCounter > 0).map((j) => j.id)).toEqual([]);
    expect(jobWorker.lines.filter((l) => l.includes('Job stalled'))).toEqual([]);

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: PAGES, byStatus: { processed: PAGES }, pagesChecked: PAGES });
  }, 150_000);
});
