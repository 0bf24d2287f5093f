import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TcpProxy } from '@app/testing';
import { type ChaosProject, ChaosStack, report, type SentEvent, stream } from './chaos-stack.js';
import { balanceStackLedger, expectBalanced, waitForSettled } from './ledger.js';

/**
 * Postgres taken away from the gateway during intake, twice: stopped
 * (connections reset and refused) and then partitioned (connections hang,
 * bytes dropped). The intake must never acknowledge what it did not store:
 * 200, or 503 with Retry-After. Notion retries a 503 with the same event id;
 * after Postgres is back every retry lands, and the ledger balances.
 */
describe('chaos: Postgres stopped during intake', () => {
  const stack = new ChaosStack();
  let proxy: TcpProxy;
  let project: ChaosProject;
  const PAGES = 40;
  const RATE = 20;
  const EVENTS = 200; // 10 s
  const OUTAGES: ReadonlyArray<{ mode: 'refuse' | 'partition'; from: number; to: number }> = [
    { mode: 'refuse', from: 30, to: 70 }, // 2 s
    { mode: 'partition', from: 120, to: 160 }, // 2 s
  ];
  const OUTAGE_MS = 2000;
  /** Notion's last attempt is the 8th. */
  const MAX_ATTEMPTS = 8;

  beforeAll(async () => {
    await stack.start();
    const db = new URL(stack.env.DATABASE_URL!);
    proxy = new TcpProxy(db.hostname, Number(db.port || 5432));
    db.port = String(await proxy.start());
    await stack.startAll({
      // Only the gateway goes through the proxy, with short timeouts so faults show within a second or two.
      'api-gateway': {
        DATABASE_URL: db.toString(),
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      },
    });
    project = await stack.createProject(PAGES);
  }, 90_000);

  afterAll(async () => {
    // Closing the proxy first resets connections a partition stranded, so the gateway's pool can close.
    await proxy?.close();
    await stack.forget(project?.id);
    await stack.stop();
  }, 60_000);

  it('answers 200 or 503 with Retry-After, never another status, and every retried delivery lands', async () => {
    const outageStart = new Map(OUTAGES.map((o) => [o.from, o]));
    const outageEnd = new Set(OUTAGES.map((o) => o.to));
    let cutAt = 0;
    const first = await stream(
      EVENTS,
      RATE,
      (i) => stack.editAndNotify(project, project.pages[i % PAGES]!.id, `Event ${i}`),
      async (i) => {
        const outage = outageStart.get(i);
        if (outage) {
          proxy.cut(outage.mode);
          cutAt = Date.now();
        }
        if (outageEnd.has(i)) {
          // At least OUTAGE_MS, even if the stream fell behind and is catching up.
          await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
          proxy.restore();
        }
      },
    );

    // Notion retries what was not acknowledged, same event id, next attempt number.
    const all: SentEvent[] = [...first];
    let pending = first.filter((s) => s.status !== 200);
    const unavailable = pending.length;
    for (let attempt = 2; pending.length > 0 && attempt <= MAX_ATTEMPTS; attempt++) {
      await sleep(Number(pending[0]!.retryAfter ?? 1) * 1000);
      const retried = await Promise.all(pending.map((s) => stack.redeliver(project, s)));
      all.push(...retried);
      pending = retried.filter((s) => s.status !== 200);
    }

    const statuses = all.reduce<Record<string, number>>(
      (acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }),
      {},
    );
    const attempts = Math.max(...all.map((s) => s.attemptNumber));
    report(
      `postgres outage: ${EVENTS} webhooks, ${unavailable} answered 503 at first; ` +
        `answers over ${attempts} attempts ${JSON.stringify(statuses)}; slowest ${Math.max(...all.map((s) => s.ms))} ms`,
    );
    const perOutage = OUTAGES.map((o) => ({
      mode: o.mode,
      unavailable: first.slice(o.from, o.to).filter((s) => s.status !== 200).length,
    }));
    report(`postgres outage: first-attempt 503s per outage ${JSON.stringify(perOutage)}`);
    // The faults were seen: webhooks sent in the first half second of each outage could not be stored...
    for (const o of OUTAGES) {
      const early = first.slice(o.from, o.from + 10).map((s) => s.status);
      expect({ mode: o.mode, early }).toEqual({ mode: o.mode, early: Array(10).fill(503) });
    }
    // ...as 503 with Retry-After, never as another status or a hang.
    const wrong = all.filter((s) => !(s.status === 200 || (s.status === 503 && s.retryAfter !== null)));
    expect(wrong.map((s) => `${s.eventId} attempt ${s.attemptNumber}: ${s.status} ${s.retryAfter}`)).toEqual([]);
    // Every event landed at some attempt.
    expect(pending.map((s) => s.eventId)).toEqual([]);

    const settleMs = await waitForSettled(stack.pg, stack.queue, project.id, EVENTS, { timeoutMs: 90_000 });
    report(`postgres outage: all settled ${Math.round(settleMs / 1000)} s after the last retry`);
    const ledger = await balanceStackLedger(
      stack,
      project.id,
      all.filter((s) => s.status === 200).map((s) => s.eventId),
    );
    expectBalanced(ledger, { accepted: EVENTS, byStatus: { processed: EVENTS }, pagesChecked: PAGES });
  }, 150_000);
});
