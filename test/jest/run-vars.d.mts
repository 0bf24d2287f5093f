export declare const RUN_VARS: {
  readonly databaseUrl: 'NOTION_SYNC_TEST_DATABASE_URL';
  readonly keyPrefix: 'NOTION_SYNC_TEST_REDIS_KEY_PREFIX';
  readonly channelPrefix: 'NOTION_SYNC_TEST_REDIS_CHANNEL_PREFIX';
  readonly notionUrl: 'NOTION_SYNC_TEST_NOTION_URL';
};
export declare const SERVER_URLS: { postgres: string; redis: string };
export declare const MIGRATE_ENTRY: string;
