/**
 * The anchor on its own, measured at the start of every bench run that does
 * not include the ingest benchmark (which measures it twice, around the
 * gateway): every result file then carries an anchor from its own run, so
 * figures compare as ratios on a noisy machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { INGEST } from './ingest.mjs';
import { ANCHOR_DESCRIPTION, runJsonScript, startAnchor, cpuAccount } from './lib/procs.mjs';
import { BenchStack } from './lib/stack.mjs';

export async function anchorBenchmark() {
  const stack = await BenchStack.create('anchor');
  const project = { id: randomUUID(), verificationToken: `secret_${randomBytes(16).toString('hex')}` };
  const anchor = await startAnchor(stack.databaseUrl, project);
  try {
    const cpu = cpuAccount({ anchor: anchor.pid });
    const databaseId = randomUUID();
    const dataSourceId = randomUUID();
    const out = await runJsonScript('load-generator.mjs', {
      url: anchor.url,
      connections: INGEST.connections,
      durationSec: INGEST.durationSec,
      warmupSec: INGEST.warmupSec,
      verificationToken: project.verificationToken,
      pages: Array.from({ length: INGEST.pages }, () => ({ pageId: randomUUID(), databaseId, dataSourceId })),
    });
    const { rows } = await stack.query(
      `SELECT count(*)::int AS n FROM unnest($1::text[]) AS e(id)
        WHERE NOT EXISTS (SELECT 1 FROM bench_anchor_inbox a WHERE a.project_id = $2 AND a.event_id = e.id)`,
      [out.accepted, project.id],
    );
    return {
      what: ANCHOR_DESCRIPTION,
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
