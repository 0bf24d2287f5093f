import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import type { KeysetPosition } from './keyset-cursor.js';
import { ProjectEntity } from './project.entity.js';
import { ProjectAlreadyBoundError } from './projects.errors.js';

/** Exact UTC text of created_at (microseconds), for keyset cursors. */
const CREATED_AT_TEXT = `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

type ProjectPatch = Partial<
  Pick<
    ProjectEntity,
    | 'name'
    | 'notionTokenCiphertext'
    | 'notionTokenKeyId'
    | 'webhookTokenCiphertext'
    | 'webhookTokenKeyId'
    | 'webhookStatus'
  >
>;

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

  async insert(row: Omit<ProjectEntity, 'createdAt' | 'updatedAt' | `sync${string}`>): Promise<ProjectEntity> {
    try {
      await this.repo.insert(row);
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

  /** Not owner-scoped: for the public webhook route, which identifies the project by id alone. */
  findById(id: string): Promise<ProjectEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * Applies `patch` only while the webhook is in one of `fromStatuses`, in one
   * statement (no read-then-write race). Returns whether a row changed.
   */
  async updateWebhookIf(
    id: string,
    fromStatuses: readonly string[],
    patch: ProjectPatch,
    ownerId?: string,
    /** Only if the stored webhook token is still this ciphertext (no handshake replaced it meanwhile). */
    tokenCiphertext?: Buffer,
  ): Promise<boolean> {
    const query = this.repo
      .createQueryBuilder()
      .update(ProjectEntity)
      .set({ ...patch, updatedAt: () => 'now()' })
      .where('id = :id AND webhook_status IN (:...fromStatuses)', { id, fromStatuses });
    if (ownerId !== undefined) query.andWhere('owner_id = :ownerId', { ownerId });
    if (tokenCiphertext !== undefined)
      query.andWhere('webhook_token_ciphertext = :tokenCiphertext', { tokenCiphertext });
    return ((await query.execute()).affected ?? 0) > 0;
  }

  /** True when a row was deleted. */
  async deleteOwned(ownerId: string, id: string): Promise<boolean> {
    const result = await this.repo.delete({ ownerId, id });
    return (result.affected ?? 0) > 0;
  }
}
