import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '@app/config';

/** Held while a full sync runs; release it in `finally`. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * One full sync per project at a time, across every job-worker: a Postgres
 * session advisory lock. Scheduled, requested and stall-recovered runs can
 * overlap in BullMQ; the lock makes the later one step aside, or wait when the
 * run holding it began before a request (see `SyncEngine.full`). The lock lives on
 * a connection of its own, outside the pool: a pooled one would be held for the
 * whole run and, with several full syncs at once, starve the jobs' queries. If
 * the process dies, that connection closes and the lock with it.
 */
@Injectable()
export class FullSyncLock {
  private readonly logger = new Logger(FullSyncLock.name);

  constructor(private readonly config: AppConfig) {}

  async tryAcquire(projectId: string): Promise<HeldLock | undefined> {
    const client = new pg.Client({
      connectionString: this.config.database.url,
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
      keepAlive: true,
      application_name: 'job-worker full-sync lock',
    });
    // A dropped connection drops the lock too; the run notices nothing until it
    // ends, and a concurrent run may start: both are safe (idempotent writes).
    client.on('error', (err) => this.logger.warn(`Full-sync lock connection lost: ${err.message}`));
    const key = `full-sync:${projectId}`;
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`,
        [key],
      );
      if (!rows[0]?.ok) {
        await client.end();
        return undefined;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    // Ending the session releases its advisory locks.
    return { release: () => client.end().catch(() => undefined) };
  }
}
