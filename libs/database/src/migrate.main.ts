/**
 * `node .../migrate.main.js`: create the database if it is missing, then apply
 * pending migrations. Used by `npm start` and by the compose `migrate` service.
 * Pass `--no-create` where the database is provisioned by someone else.
 */
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@app/config';
import { ensureDatabase, runMigrations } from './migrate.js';

const logger = new Logger('Migrate');
const config = loadConfigOrExit();
try {
  if (!process.argv.includes('--no-create')) await ensureDatabase(config);
  const applied = await runMigrations(config);
  logger.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
} catch (err) {
  logger.error(`Migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
