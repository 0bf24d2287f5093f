import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '@app/config';
import { MIGRATIONS } from './migrations/index.js';

/** Entities are registered here as domain libs add them (never by glob). */
export const ENTITIES: NonNullable<DataSourceOptions['entities']> = [];

export function buildDataSourceOptions(config: AppConfig, applicationName = 'notion-sync'): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // The schema belongs to the migrations alone.
    synchronize: false,
    migrationsRun: false,
    applicationName,
    poolSize: config.database.poolSize,
    connectTimeoutMS: config.database.connectTimeoutMs,
    extra: {
      // Bounded waits everywhere: a stalled Postgres must turn into an error the
      // caller can answer (503), never a request that hangs.
      statement_timeout: config.database.statementTimeoutMs,
      query_timeout: config.database.statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: config.database.statementTimeoutMs * 2,
    },
  };
}
