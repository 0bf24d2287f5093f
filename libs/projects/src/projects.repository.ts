import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import { exactTimestamp, modifyRows, selectRows, type SqlCondition } from '@app/database';
import type { KeysetPosition } from './keyset-cursor.js';
import { ProjectEntity } from './project.entity.js';
import { WebhookStatus } from './project.js';
import { ProjectAlreadyBoundError, ProjectQuotaExceededError } from './projects.errors.js';

/** Exact UTC text of created_at (microseconds), for keyset cursors. */
const CREATED_AT_TEXT = exactTimestamp('p.created_at');

type ProjectPatch = Partial<
  Pick<
    ProjectEntity,
    | 'name'
    | 'notionTokenCiphertext'
    | 'notionTokenKeyId'
    | 'webhookTokenCiphertext'
    | 'webhookTokenKeyId'
    | 'webhookStatus'
    | 'syncContent'
    | 'webhookKeyCiphertext'
    | 'webhookKeyKeyId'
    | 'webhookKeyHash'
    | 'webhookLegacyUrl'
  >
>;

/** What the webhook intake reads of a project. */
export type WebhookRow = Pick<
  ProjectEntity,
  'id' | 'webhookStatus' | 'webhookLegacyUrl' | 'webhookTokenCiphertext' | 'webhookTokenKeyId'
>;

/** See `ProjectsRepository.syncBindings`. */
export type SyncBindingRow =
  | { readonly now: Date; readonly current: true; readonly syncContent: boolean }
  | {
      readonly now: Date;
      readonly current: false;
      readonly syncContent: boolean;
      readonly notionDatabaseId: string;
      readonly notionToken: { readonly ciphertext: Buffer; readonly keyId: string };
    };

/** When `updateWebhookIf` may apply its patch. */
export interface WebhookCondition {
  readonly statuses: readonly WebhookStatus[];
  /** Only the owner's project (routes of the owner); absent for the system (the intake). */
  readonly ownerId?: string;
  /** Only if the stored webhook token is still this ciphertext (no handshake replaced it meanwhile). */
  readonly tokenCiphertext?: Buffer;
  /** Only if the project has no webhook key yet. */
  readonly keyMissing?: boolean;
}

/**
 * True while the project still has this webhook: its URL (the key's hash, or
 * the legacy URL of a verified webhook) and its token (the stored ciphertext,
 * which a handshake, a new secret or a reset replaces). A row read by the
 * statement's snapshot: a reset committed before the statement began makes
 * it false.
 */
export function webhookStillCurrent(webhook: {
  readonly projectId: string;
  readonly keyHash?: Buffer;
  readonly tokenVersion?: Buffer;
}): SqlCondition {
  const { projectId, keyHash, tokenVersion } = webhook;
  return {
    sql: (n) =>
      `EXISTS (SELECT 1 FROM projects WHERE id = $${n}::uuid AND webhook_token_ciphertext = $${n + 1}::bytea AND ${
        keyHash
          ? `webhook_key_hash = $${n + 2}::bytea`
          : `webhook_legacy_url AND webhook_status = '${WebhookStatus.Verified}'`
      })`,
    params: keyHash ? [projectId, tokenVersion ?? null, keyHash] : [projectId, tokenVersion ?? null],
  };
}

/**
 * Every query names the owner in its WHERE clause: another user's project is
 * indistinguishable from one that does not exist.
 */
@Injectable()
export class ProjectsRepository {
  constructor(@InjectRepository(ProjectEntity) private readonly repo: Repository<ProjectEntity>) {}

  /** Runs `work` in one transaction, with this repository and the transaction's manager bound to it. */
  transaction<T>(work: (projects: ProjectsRepository, manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction((m) => work(new ProjectsRepository(m.getRepository(ProjectEntity)), m));
  }

  /**
   * Inserts the row unless its owner already has `limit` projects. The owner's
   * advisory lock makes count and insert one step: two creates racing for the
   * last place cannot both win. `created` runs in the same transaction, after
   * the insert (what belongs to the project commits with it, or neither does).
   */
  async insert(
    row: Omit<ProjectEntity, 'createdAt' | 'updatedAt' | 'webhookLegacyUrl'>,
    limit: number,
    created: (manager: EntityManager) => Promise<void>,
  ): Promise<ProjectEntity> {
    try {
      await this.repo.manager.transaction(async (m) => {
        await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('projects-of:' || $1, 0))`, [row.ownerId]);
        const [{ n }] = await selectRows<{ n: number }>(
          m,
          `SELECT count(*)::int AS n FROM projects WHERE owner_id = $1`,
          [row.ownerId],
        );
        if (n >= limit) throw new ProjectQuotaExceededError(limit);
        await m.getRepository(ProjectEntity).insert(row);
        await created(m);
      });
    } catch (err) {
      if (
        err instanceof QueryFailedError &&
        (err.driverError as { constraint?: string }).constraint === 'projects_owner_database_unique'
      ) {
        throw new ProjectAlreadyBoundError();
      }
      throw err;
    }
    return (await this.findOwned(row.ownerId, row.id))!;
  }

  findOwned(ownerId: string, id: string): Promise<ProjectEntity | null> {
    return this.repo.findOneBy({ ownerId, id });
  }

  /** Newest first; `limit + 1` rows are fetched by the caller to know if more follow. */
  async listOwned(
    ownerId: string,
    limit: number,
    after?: KeysetPosition,
  ): Promise<Array<{ row: ProjectEntity; position: KeysetPosition }>> {
    const query = this.repo
      .createQueryBuilder('p')
      .addSelect(CREATED_AT_TEXT, 'cursor_at')
      .where('p.owner_id = :ownerId', { ownerId })
      .orderBy('p.created_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(limit);
    if (after) query.andWhere('(p.created_at, p.id) < (:at::timestamptz, :id::uuid)', { at: after.at, id: after.id });
    const { entities, raw } = await query.getRawAndEntities<{ cursor_at: string }>();
    return entities.map((row, i) => ({ row, position: { at: raw[i]!.cursor_at, id: row.id } }));
  }

  /** Returns the updated row, or null when the owner has no such project. */
  async updateOwned(ownerId: string, id: string, patch: ProjectPatch): Promise<ProjectEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update(ProjectEntity)
      .set({ ...patch, updatedAt: () => 'now()' })
      .where('id = :id AND owner_id = :ownerId', { id, ownerId })
      .execute();
    return result.affected ? this.findOwned(ownerId, id) : null;
  }

  /** Not owner-scoped: for the system (the webhook intake, the workers). */
  findById(id: string): Promise<ProjectEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * For sync jobs, in one round trip: per project, the database clock (the
   * fetch start the mirror orders writes by) and its Notion binding, the token
   * sealed, or only `current: true` when its token is still the known
   * ciphertext; undefined when the project is gone. One answer per id, in order.
   */
  async syncBindings(
    projects: ReadonlyArray<{ readonly id: string; readonly knownCiphertext: Buffer | null }>,
  ): Promise<Array<SyncBindingRow | undefined>> {
    const rows = await selectRows<{
      now: Date;
      found: boolean;
      current: boolean;
      content_sync: boolean;
      database_id: string | null;
      ciphertext: Buffer | null;
      key_id: string | null;
    }>(
      this.repo,
      `SELECT clock_timestamp() AS now, p.id IS NOT NULL AS found,
         coalesce(p.notion_token_ciphertext = k.known, false) AS current, p.content_sync,
         p.notion_database_id AS database_id,
         CASE WHEN p.notion_token_ciphertext IS DISTINCT FROM k.known THEN p.notion_token_ciphertext END AS ciphertext,
         CASE WHEN p.notion_token_ciphertext IS DISTINCT FROM k.known THEN p.notion_token_key_id END AS key_id
       FROM unnest($1::uuid[], $2::bytea[]) WITH ORDINALITY AS k(id, known, n)
       LEFT JOIN projects p ON p.id = k.id
       ORDER BY k.n`,
      [projects.map((p) => p.id), projects.map((p) => p.knownCiphertext)],
    );
    return rows.map((row): SyncBindingRow | undefined => {
      if (!row.found) return undefined;
      if (row.current) return { now: row.now, current: true, syncContent: row.content_sync };
      return {
        now: row.now,
        current: false,
        syncContent: row.content_sync,
        notionDatabaseId: row.database_id!,
        notionToken: { ciphertext: row.ciphertext!, keyId: row.key_id! },
      };
    });
  }

  /**
   * The webhook whose URL carries the key with this hash: only the columns the
   * intake needs, in one plain query (every request to the intake, strangers'
   * too, makes it: no query builder or entity mapping).
   */
  async findWebhookByKeyHash(hash: Buffer): Promise<WebhookRow | undefined> {
    const [row] = await selectRows<{
      id: string;
      webhook_status: WebhookStatus;
      webhook_legacy_url: boolean;
      webhook_token_ciphertext: Buffer | null;
      webhook_token_key_id: string | null;
    }>(
      this.repo,
      `SELECT id, webhook_status, webhook_legacy_url, webhook_token_ciphertext, webhook_token_key_id
       FROM projects WHERE webhook_key_hash = $1`,
      [hash],
    );
    return (
      row && {
        id: row.id,
        webhookStatus: row.webhook_status,
        webhookLegacyUrl: row.webhook_legacy_url,
        webhookTokenCiphertext: row.webhook_token_ciphertext,
        webhookTokenKeyId: row.webhook_token_key_id,
      }
    );
  }

  /**
   * Stores Notion's handshake token while the webhook is pending, at most
   * `limit` times per minute, in one statement. Says what happened:
   * `stored`, `limited` (with the seconds until the window ends), `verified`
   * (refused) or `missing`.
   */
  async storeHandshake(
    id: string,
    sealed: { ciphertext: Buffer; keyId: string },
    limit: number,
  ): Promise<
    { outcome: 'stored' } | { outcome: 'limited'; retryAfterSeconds: number } | { outcome: 'verified' | 'missing' }
  > {
    const fresh = `(webhook_handshake_window_at IS NULL OR webhook_handshake_window_at <= now() - interval '1 minute')`;
    const { affected: stored } = await modifyRows(
      this.repo,
      `UPDATE projects SET
         webhook_token_ciphertext = $2, webhook_token_key_id = $3, webhook_status = $4,
         webhook_handshakes = CASE WHEN ${fresh} THEN 1 ELSE webhook_handshakes + 1 END,
         webhook_handshake_window_at = CASE WHEN ${fresh} THEN now() ELSE webhook_handshake_window_at END,
         updated_at = now()
       WHERE id = $1 AND webhook_status IN ($5, $4) AND (${fresh} OR webhook_handshakes < $6)`,
      [id, sealed.ciphertext, sealed.keyId, WebhookStatus.AwaitingVerification, WebhookStatus.AwaitingHandshake, limit],
    );
    if (stored > 0) return { outcome: 'stored' };
    const [row] = await selectRows<{ status: WebhookStatus; wait: number | null }>(
      this.repo,
      `SELECT webhook_status AS status,
         ceil(extract(epoch FROM webhook_handshake_window_at + interval '1 minute' - now()))::int AS wait
       FROM projects WHERE id = $1`,
      [id],
    );
    if (!row) return { outcome: 'missing' };
    if (row.status === WebhookStatus.Verified) return { outcome: 'verified' };
    return { outcome: 'limited', retryAfterSeconds: Math.max(1, row.wait ?? 1) };
  }

  /**
   * Applies `patch` only while the webhook is in one of `when.statuses` (and
   * the other conditions hold), in one statement (no read-then-write race).
   * Returns whether a row changed.
   */
  async updateWebhookIf(id: string, when: WebhookCondition, patch: ProjectPatch): Promise<boolean> {
    const query = this.repo
      .createQueryBuilder()
      .update(ProjectEntity)
      .set({ ...patch, updatedAt: () => 'now()' })
      .where('id = :id AND webhook_status IN (:...statuses)', { id, statuses: when.statuses });
    if (when.ownerId !== undefined) query.andWhere('owner_id = :ownerId', { ownerId: when.ownerId });
    if (when.tokenCiphertext !== undefined)
      query.andWhere('webhook_token_ciphertext = :tokenCiphertext', { tokenCiphertext: when.tokenCiphertext });
    if (when.keyMissing) query.andWhere('webhook_key_hash IS NULL');
    return ((await query.execute()).affected ?? 0) > 0;
  }

  /** Which of `ids` are projects (not deleted). */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const rows = await selectRows<{ id: string }>(
      this.repo.manager,
      `SELECT id FROM projects WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** True when a row was deleted. */
  async deleteOwned(ownerId: string, id: string): Promise<boolean> {
    const result = await this.repo.delete({ ownerId, id });
    return (result.affected ?? 0) > 0;
  }
}
