import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ThrowawayRedis } from '@app/testing';
import { type ChaosProject, ChaosStack, report, stream } from './chaos-stack.js';
import { balanceStackLedger, deliveryCounts, expectBalanced, waitForSettled } from './ledger.js';

/**
 * Redis restarted (empty: the throwaway server keeps nothing on disk) during
 * a steady webhook stream. The intake writes to Postgres and keeps answering
 * 200; transport events and queued jobs are lost with Redis, and the relay
 * dispatches those deliveries again (`enqueued` ones once they are older than
 * RELAY_STALE_ENQUEUED_MS, shortened here from its 10 minutes).
 */
describe('chaos: Redis restarted during a steady webhook stream', () => {
  const redis = new ThrowawayRedis();
  const stack = new ChaosStack();
  let project: ChaosProject;
  const PAGES = 40;
  const RATE = 20;
  const EVENTS = 200; // 10 s
  const STOP_AT = 60; // 3 s in
  const START_AT = 120; // down for 3 s

  beforeAll(async () => {
    await redis.start();
    await stack.start({ RELAY_STALE_ENQUEUED_MS: '5000' }, redis.url);
    await stack.startAll();
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    const exits = await stack.stopApps();
    report(`redis restart: app exits ${JSON.stringify(exits)}`);
    await stack.stop();
    await redis.stop();
  }, 60_000);

  it('answers every webhook 200 through the restart, and processes everything afterwards', async () => {
    // Slow page fetches keep a backlog of queued jobs, which the restart loses.
    stack.notion.injectLatency({ ms: 500, count: Infinity, path: /^\/v1\/pages\// });
    let downFor = 0;
    let lostJobs = 0;
    const sent = await stream(
      EVENTS,
      RATE,
      (i) => stack.editAndNotify(project, project.pages[i % PAGES]!.id, `Event ${i}`),
      async (i) => {
        if (i === STOP_AT) {
          await redis.stop();
          downFor = Date.now();
        }
        if (i === START_AT) {
          lostJobs = (await deliveryCounts(stack.pg, project.id)).enqueued ?? 0;
          await redis.start();
          downFor = Date.now() - downFor;
        }
      },
    );
    expect(redis.running).toBe(true);
    expect(sent.filter((s) => s.status !== 200).map((s) => `${s.eventId}: ${s.status}`)).toEqual([]);
    const slowest = Math.max(...sent.map((s) => s.ms));
    const eventWorker = stack.apps.find((a) => a.name === 'event-worker')!;

    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, EVENTS, { timeoutMs: 90_000 });
    // The outage was real: the relay had to dispatch what the lost transport events and jobs left behind.
    const relayed = eventWorker.lines
      .filter((line) => line.includes('Relay dispatched deliveries'))
      .reduce((n, line) => n + ((JSON.parse(line) as { enqueued?: number }).enqueued ?? 0), 0);
    report(
      `redis restart: down ${downFor} ms, ${EVENTS} webhooks all 200 (slowest ${slowest} ms); ` +
        `${lostJobs} deliveries enqueued when it came back empty, ` +
        `${relayed} dispatched by the relay; all settled ${Math.round(settleMs / 1000)} s after the stream`,
    );
    expect(relayed).toBeGreaterThan(0);

    const ledger = await balanceStackLedger(
      stack,
      project.id,
      sent.map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: EVENTS, byStatus: { processed: EVENTS }, pagesChecked: PAGES });
  }, 150_000);
});
