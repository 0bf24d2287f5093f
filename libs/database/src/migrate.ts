import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source.options.js';

/** Any constant: every migration runner of this project takes the same lock. */
const MIGRATION_LOCK_KEY = 7_451_030_417;

/** Creates the database named in `DATABASE_URL` when it does not exist yet; true when it did. */
export async function ensureDatabase(config: AppConfig): Promise<boolean> {
  const target = new URL(config.database.url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(target);
  admin.pathname = '/postgres';
  const client = new Client({
    connectionString: admin.toString(),
    connectionTimeoutMillis: config.database.connectTimeoutMs,
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      // Identifiers cannot be bound parameters; quote it the way Postgres does.
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return true;
    }
    return false;
  } catch (err) {
    // Another process may have created it between our check and our CREATE.
    if ((err as { code?: string }).code !== '42P04') throw err;
    return false;
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` on a migration data source while holding a Postgres advisory
 * lock, so runners started together (replicas, compose and a manual run) apply
 * each migration once: TypeORM's executor takes no lock of its own.
 */
async function withMigrationLock<T>(config: AppConfig, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const lock = new Client({
    connectionString: config.database.url,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
  });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const dataSource = new DataSource(
      buildDataSourceOptions(config, { applicationName: 'notion-sync-migrate', forMigrations: true }),
    );
    await dataSource.initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}

/** Applies every pending migration; returns the names applied. */
export async function runMigrations(config: AppConfig): Promise<string[]> {
  return withMigrationLock(config, async (dataSource) => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  });
}

/** Reverts the last applied migration. */
export async function revertLastMigration(config: AppConfig): Promise<void> {
  await withMigrationLock(config, (dataSource) => dataSource.undoLastMigration({ transaction: 'each' }));
}
