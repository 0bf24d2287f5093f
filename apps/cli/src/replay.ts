/**
 * `npm run replay -- --project <id>`: asks for a retry of every job of a
 * project that failed for good and was not retried since. The event-worker
 * carries the retries out (within RELAY_INTERVAL_MS); this only records the
 * request, so it is safe to run anywhere the database is reachable.
 */
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '@app/config';
import { buildDataSourceOptions, UUID_PATTERN } from '@app/database';
import { DeadLetters } from '@app/dead-letters';

const USAGE = 'usage: npm run replay -- --project <project id>';

const args = process.argv.slice(2);
const at = args.indexOf('--project');
const projectId = at >= 0 ? args[at + 1] : undefined;
if (!projectId || !UUID_PATTERN.test(projectId) || args.length !== 2) {
  process.stderr.write(
    `replay: ${projectId ? `not a project id: ${projectId}` : 'a project id is required'}\n${USAGE}\n`,
  );
  process.exit(2);
}

const config = loadConfigOrExit();
const db = new DataSource(buildDataSourceOptions(config, { applicationName: 'replay' }));
try {
  await db.initialize();
  const count = await new DeadLetters(db).requestRetryAll(projectId);
  process.stdout.write(`replay: ${count} failed job(s) of project ${projectId} queued for retry\n`);
} catch (err) {
  process.stderr.write(`replay: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  if (db.isInitialized) await db.destroy();
}
