import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import {
  FileLinkInvalidError,
  FileLinks,
  FileNotFoundError,
  FileUnavailableError,
  type ResolvedFile,
} from '@app/mirror';
import { FileRefresher } from '@app/sync';

/** Where a file link sends the client, and for how long it may keep that answer. */
export interface FileRedirect {
  readonly url: string;
  readonly maxAgeSeconds: number;
}

/** How long a request waits for another replica's refresh of the same file. */
const WAIT_FOR_REFRESH_MS = 5000;
const POLL_MS = 200;
/** A redirect is cached at most this long (the link is checked against the mirror again after it). */
const MAX_AGE_SECONDS = 60;
/**
 * A URL that was already due for a refresh when it was stored came from a
 * refresh that could not do better (the file left the part of the page the
 * cache names, or Notion signs it for less than the margin): for this long, a
 * link to it costs no Notion request.
 */
const REFRESH_COOLDOWN_MS = 30_000;

type Found = Extract<ResolvedFile, { found: true }>;

/**
 * Serves file links: a signed ref is opened and checked against the live
 * mirror, then answered with a redirect to Notion's signed URL, refreshed
 * through Notion's API when it expires within `FILE_URL_REFRESH_MARGIN_SECONDS`.
 * A stranger's request costs one HMAC (a bad ref, no query); a valid ref one
 * indexed query, plus at most one paced Notion request (a refresh), and none
 * for 30 s after a refresh that could not get a fresher URL.
 */
@Injectable()
export class FilesService {
  /** A URL expiring within this is refreshed first (`FILE_URL_REFRESH_MARGIN_SECONDS`). */
  private readonly marginMs: number;

  constructor(
    config: AppConfig,
    private readonly links: FileLinks,
    private readonly refresher: FileRefresher,
  ) {
    this.marginMs = config.content.fileUrlRefreshMarginSeconds * 1000;
  }

  async redirect(ref: string): Promise<FileRedirect> {
    const opened = await this.links.resolve(ref);
    if (!opened.found) throw opened.reason === 'tampered' ? new FileLinkInvalidError() : new FileNotFoundError();
    let file: Found = opened;
    if (!this.fresh(file)) file = await this.refreshed(ref, file);
    const untilRefresh = file.expiresAt
      ? (file.expiresAt.getTime() - Date.now() - this.marginMs) / 1000
      : MAX_AGE_SECONDS;
    return { url: file.url, maxAgeSeconds: Math.max(0, Math.min(MAX_AGE_SECONDS, Math.floor(untilRefresh))) };
  }

  private fresh(file: Found): boolean {
    return file.expiresAt === null || file.expiresAt.getTime() - Date.now() > this.marginMs;
  }

  /**
   * The file after one refresh (this request's, or another replica's under
   * way): a URL that still has not expired is served, even if short-lived; an
   * expired one means Notion no longer shows the file there (404).
   */
  private async refreshed(ref: string, file: Found): Promise<Found> {
    const staleWhenSeen = file.expiresAt !== null && file.seenAt.getTime() >= file.expiresAt.getTime() - this.marginMs;
    if (!staleWhenSeen || Date.now() - file.seenAt.getTime() >= REFRESH_COOLDOWN_MS) {
      const outcome = await this.refresher.refresh(file.projectId, file.pageId, file.source);
      if (outcome === 'gone') throw new FileNotFoundError();
      if (outcome === 'unavailable') throw new FileUnavailableError();
      const deadline = Date.now() + WAIT_FOR_REFRESH_MS;
      for (;;) {
        const again = await this.links.resolve(ref);
        if (!again.found) throw new FileNotFoundError();
        file = again;
        if (outcome === 'refreshed' || this.fresh(file)) break;
        // Another replica refreshes it: wait for its result, without asking Notion again.
        if (Date.now() > deadline) throw new FileUnavailableError();
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
    if (file.expiresAt && file.expiresAt.getTime() <= Date.now()) throw new FileNotFoundError();
    return file;
  }
}
