import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChaosProject, ChaosStack, report, stream } from './chaos-stack.js';
import { balanceStackLedger, deliveryCounts, expectBalanced, waitForSettled } from './ledger.js';

/**
 * `kill -9` of the event-worker while webhooks arrive: the gateway needs only
 * Postgres, so every webhook is still accepted; what the dead worker never
 * dispatched (its transport events are gone, some deliveries hold its lease)
 * is dispatched by the relay of the next one.
 */
describe('chaos: kill -9 of the event-worker while webhooks arrive', () => {
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 40;
  const EVENTS = 120;
  const RATE = 20;
  const KILL_AT = 30;

  beforeAll(async () => {
    await stack.start();
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('accepts every webhook while it is down, and the relay of the next one dispatches them all', async () => {
    const eventWorker = stack.apps.find((a) => a.name === 'event-worker')!;
    let killedAt = 0;
    const sent = await stream(
      EVENTS,
      RATE,
      (i) => stack.editAndNotify(project, project.pages[i % PAGES]!.id, `Event ${i}`),
      async (i) => {
        if (i !== KILL_AT) return;
        expect(await eventWorker.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
        killedAt = Date.now();
      },
    );
    expect(sent.filter((s) => s.status !== 200).map((s) => `${s.eventId}: ${s.status}`)).toEqual([]);
    expect(killedAt).toBeGreaterThan(0);

    // With no event-worker, what arrived after the kill waits in the inbox.
    const waiting = await deliveryCounts(stack.pg, project.id);
    expect(waiting.received ?? 0).toBeGreaterThanOrEqual(EVENTS - KILL_AT - 5);

    const restartedAt = Date.now();
    await stack.startApp('event-worker');
    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, EVENTS, { timeoutMs: 90_000 });
    report(
      `event-worker kill -9: ${waiting.received ?? 0} deliveries waiting at the restart; all settled ` +
        `${Math.round((restartedAt - killedAt + settleMs) / 1000)} s after the kill ` +
        `(${Math.round(settleMs / 1000)} s after the restart)`,
    );

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: EVENTS, byStatus: { processed: EVENTS }, pagesChecked: PAGES });
  }, 150_000);
});
