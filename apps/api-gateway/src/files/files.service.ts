import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { FileLinkInvalidError, FileLinks, FileNotFoundError, FileUnavailableError } from '@app/mirror';
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
 * Serves file links: a signed ref is opened and checked against the live
 * mirror, then answered with a redirect to Notion's signed URL, refreshed
 * through Notion's API when it expires within `FILE_URL_REFRESH_MARGIN_SECONDS`.
 * A stranger's request costs one HMAC (a bad ref, no query); a valid ref one
 * indexed query, plus a paced Notion request when the URL must be refreshed.
 */
@Injectable()
export class FilesService {
  constructor(
    private readonly config: AppConfig,
    private readonly links: FileLinks,
    private readonly refresher: FileRefresher,
  ) {}

  async redirect(ref: string): Promise<FileRedirect> {
    const marginMs = this.config.content.fileUrlRefreshMarginSeconds * 1000;
    let file = await this.links.resolve(ref);
    if (!file.found) throw file.reason === 'tampered' ? new FileLinkInvalidError() : new FileNotFoundError();
    const fresh = (expiresAt: Date | null) => expiresAt === null || expiresAt.getTime() - Date.now() > marginMs;
    if (!fresh(file.expiresAt)) {
      const deadline = Date.now() + WAIT_FOR_REFRESH_MS;
      for (;;) {
        const outcome = await this.refresher.refresh(file.projectId, file.pageId, file.source);
        if (outcome === 'gone') throw new FileNotFoundError();
        if (outcome === 'unavailable') throw new FileUnavailableError();
        if (outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        file = await this.links.resolve(ref);
        if (!file.found) throw new FileNotFoundError();
        if (fresh(file.expiresAt)) break;
        // Refreshed, yet Notion's URL is still short-lived: better a short redirect than none.
        if (outcome === 'refreshed' && file.expiresAt!.getTime() > Date.now()) break;
        if (Date.now() > deadline) throw new FileUnavailableError();
      }
    }
    const untilRefresh = file.expiresAt ? (file.expiresAt.getTime() - Date.now() - marginMs) / 1000 : MAX_AGE_SECONDS;
    return { url: file.url, maxAgeSeconds: Math.max(0, Math.min(MAX_AGE_SECONDS, Math.floor(untilRefresh))) };
  }
}
