import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source.options.js';

const logger = new Logger('Migrate');

/** Creates the database named in `DATABASE_URL` when it does not exist yet. */
export async function ensureDatabase(config: AppConfig): Promise<void> {
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
      logger.log(`Created database ${name}`);
    }
  } catch (err) {
    // Another process may have created it between our check and our CREATE.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}

/** Applies every pending migration; returns the names applied. */
export async function runMigrations(config: AppConfig): Promise<string[]> {
  const dataSource = new DataSource(buildDataSourceOptions(config, 'notion-sync-migrate'));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Reverts the last applied migration. */
export async function revertLastMigration(config: AppConfig): Promise<void> {
  const dataSource = new DataSource(buildDataSourceOptions(config, 'notion-sync-migrate'));
  await dataSource.initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
