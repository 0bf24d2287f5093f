export { buildDataSourceOptions, type DataSourceOverrides } from './data-source.options.js';
export { DatabaseModule } from './database.module.js';
export { ensureDatabase, revertLastMigration, runMigrations } from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
export { pruneBatch, type PruneQuery } from './prune-batch.js';
export { exactTimestamp, modifyRows, selectRows, UUID_PATTERN, type SqlRunner } from './sql.js';
export { pgPool, type SqlCondition } from './plain-sql.js';
export { InFlightBatcher, type InFlightBatchOptions } from './in-flight-batcher.js';
