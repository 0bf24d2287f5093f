import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '@app/config';
import { MIGRATIONS } from './migrations/index.js';
import { TimeoutSafeClient } from './timeout-safe-client.js';

export interface DataSourceOverrides {
  /** Shown in pg_stat_activity, so each app's connections are told apart. */
  readonly applicationName?: string;
  /** Entities for a data source outside Nest (the apps use `autoLoadEntities`). */
  readonly entities?: DataSourceOptions['entities'];
  /** Migrations may run long (index builds): no statement or query timeout. */
  readonly forMigrations?: boolean;
}

export function buildDataSourceOptions(
  config: AppConfig,
  { applicationName = 'notion-sync', entities = [], forMigrations = false }: DataSourceOverrides = {},
): DataSourceOptions {
  const timeouts = forMigrations
    ? { statement_timeout: 0 }
    : {
        // Bounded waits everywhere: a stalled Postgres must turn into an error the
        // caller can answer (503), never a request that hangs.
        statement_timeout: config.database.statementTimeoutMs,
        query_timeout: config.database.statementTimeoutMs + 1000,
        idle_in_transaction_session_timeout: config.database.statementTimeoutMs * 2,
      };
  return {
    type: 'postgres',
    url: config.database.url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // The schema belongs to the migrations alone.
    synchronize: false,
    migrationsRun: false,
    applicationName,
    poolSize: config.database.poolSize,
    connectTimeoutMS: config.database.connectTimeoutMs,
    // The schema belongs to the migrations: no extension installs either.
    installExtensions: false,
    extra: {
      ...timeouts,
      Client: TimeoutSafeClient,
      keepAlive: true,
    },
  };
}
