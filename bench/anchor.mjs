/**
 * The anchor on its own, measured at the start of every bench run that does
 * not include the ingest benchmark (which measures it twice, around the
 * gateway): every result file then carries an anchor from its own run, so
 * figures compare as ratios on a noisy machine.
 */
import { randomUUID } from 'node:crypto';
import { INGEST } from './ingest.mjs';
import { runJsonScript, startAnchor, cpuAccount } from './lib/procs.mjs';
import { BenchStack } from './lib/stack.mjs';

export async function anchorBenchmark() {
  const stack = await BenchStack.create('anchor');
  const anchor = await startAnchor(stack.databaseUrl);
  try {
    const cpu = cpuAccount({ anchor: anchor.pid });
    const databaseId = randomUUID();
    const dataSourceId = randomUUID();
    const out = await runJsonScript('load-generator.mjs', {
      url: `http://127.0.0.1:${anchor.port}/inbox`,
      connections: INGEST.connections,
      durationSec: INGEST.durationSec,
      warmupSec: INGEST.warmupSec,
      verificationToken: 'secret_anchor',
      pages: Array.from({ length: INGEST.pages }, () => ({ pageId: randomUUID(), databaseId, dataSourceId })),
    });
    const { rows } = await stack.query(
      `SELECT count(*)::int AS n FROM unnest($1::text[]) AS e(id)
        WHERE NOT EXISTS (SELECT 1 FROM bench_anchor_inbox a WHERE a.event_id = e.id)`,
      [out.accepted],
    );
    return {
      what: 'plain Fastify 5 + pg pool 20, one INSERT ... ON CONFLICT DO NOTHING per request',
      connections: INGEST.connections,
      durationSec: INGEST.durationSec,
      okPerSecond: out.measured.okPerSecond,
      latencyMs: out.measured.latencyMs,
      missing: rows[0].n,
      cpu: cpu.stop(),
    };
  } finally {
    await anchor.stop();
    await stack.destroy();
  }
}
