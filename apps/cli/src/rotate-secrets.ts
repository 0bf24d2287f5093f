/**
 * `npm run secrets:rotate [-- --batch-size <n>]`: re-seals every stored secret
 * under the first key of ENCRYPTION_KEYS, so the keys after it can be removed.
 * Safe to re-run, and to run while the apps run. Prints counts per key id and
 * kind, never a secret. Exit 0 when every secret is under the first key, 1
 * when some are not (unreadable, or changed meanwhile by an app still sealing
 * under an old key), 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '@app/config';
import { buildDataSourceOptions } from '@app/database';
import { describeRotation, leftoverKeys, rotateSealedSecrets, SecretBox } from '@app/projects';

const USAGE = 'usage: npm run secrets:rotate [-- --batch-size <1 to 10000, default 500>]';

let batchSize = 500;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { 'batch-size': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (values['batch-size'] !== undefined) {
    batchSize = Number(values['batch-size']);
    if (!/^\d+$/.test(values['batch-size']) || batchSize < 1 || batchSize > 10_000) {
      throw new Error('--batch-size must be a whole number from 1 to 10000');
    }
  }
} catch (err) {
  process.stderr.write(`secrets:rotate: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

const config = loadConfigOrExit();
const db = new DataSource(buildDataSourceOptions(config, { applicationName: 'secrets-rotate' }));
try {
  await db.initialize();
  const report = await rotateSealedSecrets(db, new SecretBox(config), { batchSize });
  process.stdout.write(`${describeRotation(report).join('\n')}\n`);
  if (leftoverKeys(report).size > 0) process.exitCode = 1;
} catch (err) {
  process.stderr.write(`secrets:rotate: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  if (db.isInitialized) await db.destroy();
}
