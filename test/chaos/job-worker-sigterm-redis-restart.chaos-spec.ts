import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ThrowawayRedis, waitFor } from '@app/testing';
import { type ChaosProject, ChaosStack, report } from './chaos-stack.js';
import { balanceStackLedger, expectBalanced, waitForSettled } from './ledger.js';

/**
 * SIGTERM of the job-worker just after Redis came back (empty) from an outage,
 * while BullMQ's connections still wait to reconnect: ioredis backs off
 * exponentially (BullMQ's retry strategy: e^attempt ms, at least 1 s), so
 * after 8 s down the next attempt is seconds away. A close begun then used to
 * hang until the grace timer exited 1. It must exit 0 within the grace period;
 * the jobs lost with Redis are enqueued again by the relay, and a new
 * job-worker settles every delivery.
 */
describe('chaos: SIGTERM of the job-worker while it reconnects to a restarted Redis', () => {
  const redis = new ThrowawayRedis();
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 20;
  const GRACE_MS = 6000;

  beforeAll(async () => {
    await redis.start();
    await stack.start({ SHUTDOWN_GRACE_MS: String(GRACE_MS), RELAY_STALE_ENQUEUED_MS: '5000' }, redis.url);
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.stop();
    await redis.stop();
  }, 60_000);

  it('exits 0 within the grace period, and a new job-worker settles every delivery', async () => {
    const jobWorker = stack.apps.find((a) => a.name === 'job-worker')!;
    // Slow page fetches: jobs are active when Redis goes away.
    stack.notion.injectLatency({ ms: 3000, count: Infinity, path: /^\/v1\/pages\// });
    const sent = await Promise.all(project.pages.map((p, i) => stack.editAndNotify(project, p.id, `Restart ${i}`)));
    expect(sent.map((s) => s.status)).toEqual(Array(PAGES).fill(200));
    await waitFor(async () => (await stack.activeJobIds(project.id)).length > 0, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'active jobs',
    });

    await redis.stop();
    await sleep(8000);
    await redis.start();
    const signalledAt = Date.now();
    const exit = await jobWorker.stop('SIGTERM', 30_000);
    const exitMs = Date.now() - signalledAt;
    report(`job-worker SIGTERM after a Redis restart: exited ${JSON.stringify(exit)} in ${exitMs} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(GRACE_MS);
    expect(jobWorker.lines.some((l) => l.includes('exiting anyway'))).toBe(false);

    stack.notion.clearInjections();
    await stack.startApp('job-worker');
    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, PAGES, { timeoutMs: 60_000 });
    report(`job-worker SIGTERM after a Redis restart: all settled ${Math.round(settleMs / 1000)} s after the restart`);
    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: PAGES, byStatus: { processed: PAGES }, pagesChecked: PAGES });
  }, 150_000);
});
