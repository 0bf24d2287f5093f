import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@app/testing';
import { type ChaosProject, ChaosStack, report } from './chaos-stack.js';
import { balanceStackLedger, deliveryCounts, expectBalanced, waitForSettled } from './ledger.js';

/**
 * `kill -9` of the job-worker while it runs jobs: nothing completes them, their
 * locks lapse, and BullMQ's stall recovery (in a new job-worker) runs them
 * again. With the default JOB_LOCK_DURATION_MS (8 s) and
 * JOB_STALLED_INTERVAL_MS (2 s) that takes at most about 10 s after the kill.
 */
describe('chaos: kill -9 of the job-worker in the middle of jobs', () => {
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 30;

  beforeAll(async () => {
    await stack.start();
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('runs the killed jobs again within 15 s of the kill, through stall recovery, and the ledger balances', async () => {
    const jobWorker = stack.apps.find((a) => a.name === 'job-worker')!;
    // Page fetches hang for 3 s: jobs are caught in the middle.
    stack.notion.injectLatency({ ms: 3000, count: Infinity, path: /^\/v1\/pages\// });
    const sent = await Promise.all(project.pages.map((p, i) => stack.editAndNotify(project, p.id, `After kill ${i}`)));
    expect(sent.map((s) => s.status)).toEqual(Array(PAGES).fill(200));

    // Wait for a full set of active jobs (JOB_WORKER_CONCURRENCY, 10 by default).
    const active = await waitFor(
      async () => {
        const ids = await stack.activeJobIds(project.id);
        return ids.length >= 10 ? ids : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: '10 active jobs' },
    );
    const killedAt = Date.now();
    const exit = await jobWorker.stop('SIGKILL');
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    stack.notion.clearInjections();

    // Nothing finished them: they are still active in Redis, with their deliveries enqueued.
    for (const id of active) expect(await (await stack.queue.getJob(id))!.getState()).toBe('active');
    const counts = await deliveryCounts(stack.pg, project.id);
    expect(counts.processed ?? 0).toBeLessThanOrEqual(PAGES - active.length);

    await stack.startApp('job-worker');
    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, PAGES, { timeoutMs: 60_000 });

    // The killed jobs themselves completed, BullMQ counted their stall, and
    // each began its second run (processedOn, set when a job is taken) within
    // the deadline: a property of the lock and stall settings, which leave
    // several seconds to spare on a loaded machine.
    const restarted: number[] = [];
    for (const id of active) {
      const job = (await stack.queue.getJob(id))!;
      expect({ id, state: await job.getState(), stalled: job.stalledCounter }).toEqual({
        id,
        state: 'completed',
        stalled: 1,
      });
      restarted.push(job.processedOn! - killedAt);
    }
    report(
      `job-worker kill -9: ${active.length} jobs active at the kill ran again ` +
        `${(Math.min(...restarted) / 1000).toFixed(1)} to ${(Math.max(...restarted) / 1000).toFixed(1)} s after it; ` +
        `all deliveries settled ${Math.round((Date.now() - killedAt) / 1000)} s after it ` +
        `(${Math.round(settleMs / 1000)} s after the restart)`,
    );
    expect(Math.max(...restarted)).toBeLessThanOrEqual(15_000);
    expect(await stack.queue.getActiveCount()).toBe(0);

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: PAGES, byStatus: { processed: PAGES }, pagesChecked: PAGES });
  }, 120_000);
});
