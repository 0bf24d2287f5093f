import { deleteKeys, dropDatabase } from './cleanup.mjs';
import { RUN_VARS } from './run-vars.mjs';

/** Drops this run's database and deletes its Redis keys; nothing else. */
export default async function globalTeardown() {
  await new Promise((resolve) => (globalThis.__fixtureNotion ? globalThis.__fixtureNotion.close(resolve) : resolve()));
  const dbUrl = process.env[RUN_VARS.databaseUrl];
  if (dbUrl && !process.env.KEEP_TEST_DATABASE) await dropDatabase(new URL(dbUrl).pathname.slice(1));
  const prefix = process.env[RUN_VARS.keyPrefix];
  if (prefix) await deleteKeys(prefix);
}
