import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Held while a full sync runs; release it in `finally`. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * One full sync per project at a time, across every job-worker: a Postgres
 * session advisory lock on a connection of its own. Scheduled, requested and
 * stall-recovered runs can overlap in BullMQ; the lock makes the later one
 * step aside. If the process dies, its connection closes and the lock with it.
 */
@Injectable()
export class FullSyncLock {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async tryAcquire(projectId: string): Promise<HeldLock | undefined> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const key = `full-sync:${projectId}`;
    try {
      const [row] = (await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [key])) as Array<{
        ok: boolean;
      }>;
      if (!row?.ok) {
        await runner.release();
        return undefined;
      }
    } catch (err) {
      await runner.release();
      throw err;
    }
    return {
      release: async () => {
        try {
          await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
        } finally {
          await runner.release();
        }
      },
    };
  }
}
