/**
 * `node dist/apps/cli/apps/cli/src/migrate.js`: create the database if it is missing, then apply
 * pending migrations. Used by `npm start` and by the compose `migrate` service.
 * Pass `--no-create` where the database is provisioned by someone else.
 * `--summary` prints one JSON line on stdout instead of log lines
 * (`{"database", "created", "applied"}`): `npm start` and `npm run demo` put
 * it in their banner. Failures go to stderr either way.
 */
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@app/config';
import { ensureDatabase, runMigrations } from '@app/database';

const logger = new Logger('Migrate');
const config = loadConfigOrExit();
const summary = process.argv.includes('--summary');
const database = decodeURIComponent(new URL(config.database.url).pathname.replace(/^\//, ''));
try {
  const created = process.argv.includes('--no-create') ? false : await ensureDatabase(config);
  const applied = await runMigrations(config);
  if (summary) {
    process.stdout.write(`${JSON.stringify({ database, created, applied })}\n`);
  } else {
    if (created) logger.log(`Created database ${database}`);
    logger.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
  }
} catch (err) {
  logger.error(`Migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
