/**
 * Names and defaults shared by Jest's global setup and teardown (plain ESM:
 * Jest loads those without the transform's `@app/*` and `.js` mappings) and the
 * specs (through test-env.ts).
 */
export const RUN_VARS = {
  databaseUrl: 'NOTION_SYNC_TEST_DATABASE_URL',
  keyPrefix: 'NOTION_SYNC_TEST_REDIS_KEY_PREFIX',
  channelPrefix: 'NOTION_SYNC_TEST_REDIS_CHANNEL_PREFIX',
  notionUrl: 'NOTION_SYNC_TEST_NOTION_URL',
};

/** Where the machine's servers are; CI and developers may point elsewhere. */
export const SERVER_URLS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** The built migration runner (`npm run build`). */
export { MIGRATE as MIGRATE_ENTRY } from '../../scripts/stack.mjs';
