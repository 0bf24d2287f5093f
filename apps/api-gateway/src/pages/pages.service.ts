import { Injectable } from '@nestjs/common';
import {
  ChangesExpiredError,
  MirrorReader,
  PageNotFoundError,
  type MirrorChanges,
  type MirrorPageView,
} from '@app/mirror';
import { InvalidCursorError, KeysetCursorCodec, ProjectsService } from '@app/projects';
import { ProjectSyncStore } from '@app/sync';

export interface ListPagesInput {
  readonly limit: number;
  readonly cursor?: string;
  readonly includeDeleted: boolean;
  readonly q?: string;
}

export interface PageList {
  readonly items: MirrorPageView[];
  readonly nextCursor: string | null;
}

/**
 * A cursor is valid only on the list it came from: one owner's one project.
 * The project id (fixed length) comes first, so no owner id can forge another
 * pair, and the prefix keeps these apart from the projects list's cursors.
 */
const cursorScope = (ownerId: string, projectId: string) => `pages:${projectId}:${ownerId}`;

/**
 * The owner's read API over the mirror: every call checks that the project is
 * the caller's (404 otherwise, as for one that does not exist) before reading.
 */
@Injectable()
export class PagesService {
  constructor(
    private readonly projects: ProjectsService,
    private readonly mirror: MirrorReader,
    private readonly cursors: KeysetCursorCodec,
    private readonly syncState: ProjectSyncStore,
  ) {}

  async list(ownerId: string, projectId: string, input: ListPagesInput): Promise<PageList> {
    await this.projects.get(ownerId, projectId);
    const scope = cursorScope(ownerId, projectId);
    const after = input.cursor === undefined ? undefined : this.cursors.decode(input.cursor, scope);
    if (input.cursor !== undefined && !after) throw new InvalidCursorError();
    const listing = await this.mirror.listPages(projectId, {
      limit: input.limit,
      after,
      includeDeleted: input.includeDeleted,
      q: input.q,
    });
    return {
      items: listing.items,
      nextCursor: listing.next ? this.cursors.encode(listing.next, scope) : null,
    };
  }

  async get(ownerId: string, projectId: string, pageId: string): Promise<MirrorPageView> {
    await this.projects.get(ownerId, projectId);
    const page = await this.mirror.getPage(projectId, pageId);
    if (!page) throw new PageNotFoundError();
    return page;
  }

  /**
   * The change feed after `after`, or `ChangesExpiredError` (410) when a
   * tombstone newer than `after` was purged: the client holds versions up to
   * `after`, so it would never learn of that deletion. `after` = 0 is always
   * valid (the client has nothing yet; the live rows are all it needs), and so
   * is `after` equal to the watermark (that tombstone was seen).
   */
  async changes(ownerId: string, projectId: string, after: string, limit: number): Promise<MirrorChanges> {
    await this.projects.get(ownerId, projectId);
    const feed = await this.mirror.changes(projectId, after, limit);
    // Read after the rows: a purge moves the watermark before it deletes, so a
    // tombstone this read missed is always covered by the watermark read next.
    if (after !== '0' && BigInt(after) < BigInt(await this.syncState.purgeWatermark(projectId))) {
      throw new ChangesExpiredError();
    }
    return feed;
  }
}
