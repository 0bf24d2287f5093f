import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChaosProject, ChaosStack, report, stream } from './chaos-stack.js';
import { balanceStackLedger, expectBalanced, waitForSettled } from './ledger.js';

/**
 * A poison page: Notion answers 500 to every fetch of it. Its jobs fail after
 * JOB_ATTEMPTS attempts and stay in BullMQ's failed set, its deliveries end
 * `failed` with the reason, and every other page's deliveries are processed
 * as if nothing happened.
 */
describe('chaos: a poison page that always fails', () => {
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 20;
  const RATE = 20;
  const EVENTS = 100;
  const ATTEMPTS = 3;

  beforeAll(async () => {
    // No SDK retries of the 500s: each attempt is one request, so the job's attempts are what is counted.
    await stack.start({ JOB_ATTEMPTS: String(ATTEMPTS), JOB_BACKOFF_MS: '200', NOTION_MAX_RETRIES: '0' });
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('ends the poison deliveries failed with their reason after the attempts, and everything else flows', async () => {
    const poison = project.pages[0]!.id;
    stack.notion.injectFailure({ status: 500, count: Infinity, path: new RegExp(`^/v1/pages/${poison}`) });
    // Every fifth event is about the poison page, spread over the stream (before, during and after its retries).
    const sent = await stream(EVENTS, RATE, (i) =>
      stack.editAndNotify(project, project.pages[i % 5 === 0 ? 0 : 1 + (i % (PAGES - 1))]!.id, `Event ${i}`),
    );
    expect(sent.map((s) => s.status)).toEqual(Array(EVENTS).fill(200));
    const poisoned = sent.filter((s) => s.pageId === poison).length;

    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, EVENTS, { timeoutMs: 90_000 });
    report(
      `poison page: ${poisoned} of ${EVENTS} events about it; all settled ${Math.round(settleMs / 1000)} s after the stream`,
    );

    // Its jobs failed for good, after all their attempts, each with the reason.
    const failedJobs = (await stack.queue.getFailed(0, -1)).filter(
      (j) => (j.data as { projectId?: string }).projectId === project.id,
    );
    report(
      `poison page: failed jobs ${JSON.stringify(failedJobs.map((j) => ({ id: j.id, attemptsMade: j.attemptsMade, reason: j.failedReason })))}`,
    );
    expect(failedJobs.length).toBeGreaterThanOrEqual(1);
    for (const job of failedJobs) {
      expect({ page: (job.data as { pageId?: string }).pageId, attemptsMade: job.attemptsMade }).toEqual({
        page: poison,
        attemptsMade: ATTEMPTS,
      });
      expect(job.failedReason).toMatch(/\S/);
    }
    // Each attempt asked Notion once (no SDK retries), and was refused.
    const fetches = stack.notion.requests.filter((r) => r.path === `/v1/pages/${poison}`);
    expect(fetches.map((r) => r.status)).toEqual(Array(failedJobs.length * ATTEMPTS).fill(500));
    const { rows } = await stack.pg.query<{ reason: string | null }>(
      `SELECT DISTINCT reason FROM webhook_deliveries WHERE project_id = $1 AND status = 'failed'`,
      [project.id],
    );
    expect(rows.map((r) => r.reason)).toEqual([expect.stringMatching(/^sync-page failed: \S/)]);

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, {
      accepted: EVENTS,
      byStatus: { processed: EVENTS - poisoned, failed: poisoned },
      pagesChecked: PAGES - 1,
      failedPages: [poison],
    });
  }, 150_000);
});
