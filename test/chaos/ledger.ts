import { expect } from '@jest/globals';
import type { Queue } from 'bullmq';
import type { Client } from 'pg';
import type { FakeNotion } from '@app/testing';
import { waitFor } from '@app/testing';
import { report, type ChaosStack } from './chaos-stack.js';

/**
 * The ledger that proves "nothing lost" after a chaos scenario: every event the
 * gateway accepted (answered 200 at some attempt) is explained by the system,
 * and the mirror holds what Notion holds.
 */
export interface LedgerSummary {
  readonly projectId: string;
  /** Distinct event ids answered 200 at some attempt. */
  readonly accepted: number;
  /** Rows in webhook_deliveries for the project. */
  readonly deliveries: number;
  /** Deliveries per status. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Accepted event ids with no delivery row (lost after a 200). */
  readonly missing: readonly string[];
  /** Rows whose event was never answered 200 (stored, yet Notion was told to retry). */
  readonly unacknowledged: readonly string[];
  /**
   * Deliveries the ledger cannot explain: still in flight after settling, of a
   * status other than processed/failed, failed without a reason, or failed
   * with no failed job for their page in BullMQ. `eventId status: why`.
   */
  readonly unexplained: readonly string[];
  /** Pages with more than one row (the primary key forbids it; checked anyway). */
  readonly duplicatePages: readonly string[];
  /** Pages the events named that Notion has, whose deliveries all succeeded. */
  readonly pagesChecked: number;
  /** Of those: `pageId: why` when the mirror has no single live row with Notion's latest title. */
  readonly pageMismatches: readonly string[];
  /** Pages with failed deliveries: their mirror rows are not expected to be current. */
  readonly failedPages: readonly string[];
}

interface DeliveryRow {
  event_id: string;
  entity_id: string | null;
  status: string;
  reason: string | null;
}

const IN_FLIGHT = ['received', 'enqueued'];

/**
 * Waits until none of the project's deliveries is in flight (received or
 * enqueued), at least `expected` rows exist, and BullMQ holds no unfinished
 * job of the project. Generous by default (a loaded machine, retries with
 * backoff, stall recovery). Returns the time it took.
 */
export async function waitForSettled(
  pg: Client,
  queue: Queue,
  projectId: string,
  expected: number,
  { timeoutMs = 120_000, what = 'deliveries settled' }: { timeoutMs?: number; what?: string } = {},
): Promise<number> {
  const started = Date.now();
  await waitFor(
    async () => {
      const { rows } = await pg.query<{ total: number; in_flight: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = ANY($2))::int AS in_flight
           FROM webhook_deliveries WHERE project_id = $1`,
        [projectId, IN_FLIGHT],
      );
      if (rows[0]!.total < expected || rows[0]!.in_flight > 0) return false;
      // And no job of the project left to run (a follow-up may outlive the deliveries it was added for);
      // the next runs of its schedules (delayed, minutes or a day away) do not count.
      const pending = await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
      return !pending.some(
        (j) => !j.repeatJobKey && (j.data as { projectId?: string } | undefined)?.projectId === projectId,
      );
    },
    { timeoutMs, intervalMs: 250, what: `${what} (${expected} deliveries of project ${projectId})` },
  );
  return Date.now() - started;
}

/** Per-status counts of the project's deliveries right now. */
export async function deliveryCounts(pg: Client, projectId: string): Promise<Record<string, number>> {
  const { rows } = await pg.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE project_id = $1 GROUP BY status',
    [projectId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/**
 * Balances the ledger of one project (call it once the system settled, see
 * `waitForSettled`), prints the summary and returns it for the spec's
 * assertions.
 */
/** `balanceLedger` of one project of a chaos stack, with the stack's own clients. */
export function balanceStackLedger(
  stack: Pick<ChaosStack, 'pg' | 'queue' | 'notion'>,
  projectId: string,
  accepted: Iterable<string>,
): Promise<LedgerSummary> {
  return balanceLedger({ pg: stack.pg, queue: stack.queue, notion: stack.notion, projectId, accepted });
}

export async function balanceLedger({
  pg,
  queue,
  notion,
  projectId,
  accepted,
  label = 'ledger',
}: {
  pg: Client;
  queue: Queue;
  notion: FakeNotion;
  projectId: string;
  accepted: Iterable<string>;
  /** How the printed summary line starts. */
  label?: string;
}): Promise<LedgerSummary> {
  const acceptedIds = new Set(accepted);
  const { rows } = await pg.query<DeliveryRow>(
    'SELECT event_id, entity_id, status, reason FROM webhook_deliveries WHERE project_id = $1',
    [projectId],
  );
  const byEvent = new Map<string, DeliveryRow[]>();
  for (const row of rows) byEvent.set(row.event_id, [...(byEvent.get(row.event_id) ?? []), row]);
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;

  const missing = [...acceptedIds].filter((id) => (byEvent.get(id)?.length ?? 0) !== 1);
  const unacknowledged = rows.filter((r) => !acceptedIds.has(r.event_id)).map((r) => r.event_id);

  // A failed delivery must have its failed job: the failed set holds a job for its page with a reason.
  const failedJobReasons = new Map<string, string[]>();
  if (rows.some((r) => r.status === 'failed')) {
    for (const job of await queue.getFailed(0, -1)) {
      const data = job.data as { projectId?: string; pageId?: string; entityId?: string };
      const entity = data.pageId ?? data.entityId;
      if (data.projectId !== projectId || !entity || !job.failedReason) continue;
      failedJobReasons.set(entity, [...(failedJobReasons.get(entity) ?? []), job.failedReason]);
    }
  }

  const unexplained: string[] = [];
  const failedPages = new Set<string>();
  for (const row of rows) {
    const why = (text: string) => unexplained.push(`${row.event_id} ${row.status}: ${text}`);
    if (row.status === 'processed') continue;
    if (row.status !== 'failed') {
      why(IN_FLIGHT.includes(row.status) ? 'still in flight after the system settled' : 'unexpected status');
      continue;
    }
    if (row.entity_id) failedPages.add(row.entity_id);
    if (!row.reason?.trim()) why('failed without a reason');
    else if (!row.entity_id || !failedJobReasons.has(row.entity_id))
      why(`failed ("${row.reason}") but BullMQ holds no failed job for its page`);
  }

  const { rows: dupes } = await pg.query<{ page_id: string }>(
    'SELECT page_id FROM notion_pages WHERE project_id = $1 GROUP BY page_id HAVING count(*) > 1',
    [projectId],
  );

  // Every page the accepted events named that Notion has: one live row, with Notion's latest title.
  const named = new Set(rows.filter((r) => acceptedIds.has(r.event_id) && r.entity_id).map((r) => r.entity_id!));
  const toCheck = [...named].filter((id) => !failedPages.has(id) && notion.getPage(id) !== undefined);
  const { rows: mirrored } = await pg.query<{ page_id: string; title: string; live: boolean }>(
    `SELECT page_id::text, title, deleted_at IS NULL AS live FROM notion_pages
      WHERE project_id = $1 AND page_id = ANY($2::uuid[])`,
    [projectId, toCheck],
  );
  const pageMismatches: string[] = [];
  for (const pageId of toCheck) {
    const mine = mirrored.filter((m) => m.page_id === pageId && m.live);
    const title = notion.getPage(pageId)!.title;
    if (mine.length !== 1) pageMismatches.push(`${pageId}: ${mine.length} live rows`);
    else if (mine[0]!.title !== title) pageMismatches.push(`${pageId}: mirror "${mine[0]!.title}", Notion "${title}"`);
  }

  const summary: LedgerSummary = {
    projectId,
    accepted: acceptedIds.size,
    deliveries: rows.length,
    byStatus,
    missing,
    unacknowledged,
    unexplained,
    duplicatePages: dupes.map((d) => d.page_id),
    pagesChecked: toCheck.length,
    pageMismatches,
    failedPages: [...failedPages],
  };
  const counts = Object.entries(byStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  report(
    `${label} ${projectId}: accepted ${summary.accepted}, deliveries ${summary.deliveries} (${counts}); ` +
      `missing ${missing.length}, unacknowledged ${unacknowledged.length}, unexplained ${unexplained.length}, ` +
      `duplicate pages ${summary.duplicatePages.length}, pages checked ${summary.pagesChecked} ` +
      `(mismatched ${pageMismatches.length}), failed pages ${summary.failedPages.length}`,
  );
  for (const line of [
    ...missing.map((id) => `${id}: accepted, no delivery row`),
    ...unexplained,
    ...pageMismatches,
  ].slice(0, 20))
    report(`  ${line}`);
  return summary;
}

/**
 * Asserts a balanced ledger: `accepted` events, one delivery each, exactly
 * `byStatus`, nothing missing, unacknowledged, unexplained or duplicated, and
 * each of `pagesChecked` pages current in the mirror.
 */
export function expectBalanced(
  summary: LedgerSummary,
  want: { accepted: number; byStatus: Record<string, number>; pagesChecked: number; failedPages?: string[] },
): void {
  expect({ ...summary, failedPages: [...summary.failedPages].sort() }).toEqual({
    projectId: summary.projectId,
    accepted: want.accepted,
    deliveries: want.accepted,
    byStatus: want.byStatus,
    missing: [],
    unacknowledged: [],
    unexplained: [],
    duplicatePages: [],
    pagesChecked: want.pagesChecked,
    pageMismatches: [],
    failedPages: [...(want.failedPages ?? [])].sort(),
  });
}
