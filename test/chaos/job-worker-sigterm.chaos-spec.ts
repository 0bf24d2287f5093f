import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@app/testing';
import { type ChaosProject, ChaosStack, report } from './chaos-stack.js';
import { balanceStackLedger, deliveryCounts, expectBalanced, waitForSettled } from './ledger.js';

/**
 * SIGTERM of the job-worker with jobs active: it stops taking jobs, lets the
 * active ones finish within SHUTDOWN_GRACE_MS (less 2 s) and exits 0, leaving
 * nothing active for stall recovery; the jobs it did not take wait for the
 * next job-worker.
 */
describe('chaos: SIGTERM of the job-worker with jobs active', () => {
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 30;
  const GRACE_MS = 8000;

  beforeAll(async () => {
    await stack.start({ SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('drains the active jobs within the grace period, exits 0, and leaves no stalled job', async () => {
    const jobWorker = stack.apps.find((a) => a.name === 'job-worker')!;
    stack.notion.injectLatency({ ms: 2000, count: Infinity, path: /^\/v1\/pages\// });
    const sent = await Promise.all(project.pages.map((p, i) => stack.editAndNotify(project, p.id, `Drained ${i}`)));
    expect(sent.map((s) => s.status)).toEqual(Array(PAGES).fill(200));
    const active = await waitFor(
      async () => {
        const ids = await stack.activeJobIds(project.id);
        return ids.length >= 10 ? ids : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: '10 active jobs' },
    );

    const signalledAt = Date.now();
    const exit = await jobWorker.stop('SIGTERM', 30_000);
    const exitMs = Date.now() - signalledAt;
    report(
      `job-worker SIGTERM: ${active.length} jobs active at the signal; exited ${JSON.stringify(exit)} in ${exitMs} ms`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(GRACE_MS);
    expect(jobWorker.lines.some((l) => l.includes('Worker not closed after'))).toBe(false);

    // Nothing left active; what was active finished (or went back to wait), and its deliveries with it.
    expect(await stack.queue.getActiveCount()).toBe(0);
    const states = await Promise.all(active.map(async (id) => (await stack.queue.getJob(id))!.getState()));
    expect(states.filter((s) => s !== 'completed' && s !== 'waiting')).toEqual([]);
    const drained = states.filter((s) => s === 'completed').length;
    const counts = await deliveryCounts(stack.pg, project.id);
    report(
      `job-worker SIGTERM: ${drained} of them completed before the exit; deliveries then ${JSON.stringify(counts)}`,
    );
    expect(counts.processed ?? 0).toBeGreaterThanOrEqual(drained);
    expect(counts.processed ?? 0).toBeLessThan(PAGES); // the rest waits for the next job-worker

    stack.notion.clearInjections();
    await stack.startApp('job-worker');
    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, PAGES, { timeoutMs: 60_000 });
    report(`job-worker SIGTERM: all settled ${Math.round(settleMs / 1000)} s after the restart`);

    // No job of the project ever stalled.
    const jobs = (await stack.queue.getJobs(['completed'])).filter(
      (j) => (j.data as { projectId?: string }).projectId === project.id,
    );
    expect(jobs.filter((j) => j.stalledCounter > 0).map((j) => j.id)).toEqual([]);

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: PAGES, byStatus: { processed: PAGES }, pagesChecked: PAGES });
  }, 150_000);
});
