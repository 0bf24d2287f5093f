import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { tooManyRequests } from './rate-limit.guard.js';

/**
 * Manual full syncs per project (`SYNC_REQUEST_LIMIT` per
 * `SYNC_REQUEST_WINDOW_SECONDS`), counted in the throttler's Redis storage like
 * the other limits. Keyed by project, not by user: a full sync re-reads the
 * whole database on the project's integration token, whoever asks. Call it
 * only once the caller is known to own the project, so a stranger's id answers
 * 404 and never spends (or reveals) the owner's budget.
 */
@Injectable()
export class SyncRequestLimiter {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  /** Counts one request; beyond the limit, a 429 with `Retry-After`, and nothing else happens. */
  async take(projectId: string, reply: FastifyReply): Promise<void> {
    const { limit, windowSeconds } = this.config.gateway.syncRequests;
    const record = await this.storage.increment(`sync-request:${projectId}`, windowSeconds * 1000, limit, 0, 'sync');
    if (record.isBlocked) {
      tooManyRequests(
        reply,
        record.timeToBlockExpire,
        `Too many sync requests for this project (${limit} per ${windowSeconds} s): retry after the time in Retry-After`,
      );
    }
  }
}
