import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import {
  FileLinkInvalidError,
  FileNotFoundError,
  FileUnavailableError,
  type FileLinks,
  type ResolvedFile,
} from '@app/mirror';
import type { FileRefresher, RefreshOutcome } from '@app/sync';
import { FilesService } from './files.service.js';

const MIN = 60_000;
const at = (ms: number) => new Date(Date.now() + ms);
const found = (expiresInMs: number | null, seenAgoMs = 10 * MIN): ResolvedFile => ({
  found: true,
  projectId: 'p',
  pageId: 'pg',
  source: 'content',
  url: `https://files.example/cat.png?sig=${expiresInMs}`,
  expiresAt: expiresInMs === null ? null : at(expiresInMs),
  seenAt: at(-seenAgoMs),
});

/** A service over links that answer `answers` in turn (the last one repeats) and a refresher that answers `outcome`. */
function service(answers: ResolvedFile[], outcome: RefreshOutcome = 'refreshed') {
  const refreshes: string[] = [];
  let i = 0;
  const links = { resolve: async () => answers[Math.min(i++, answers.length - 1)]! } as unknown as FileLinks;
  const refresher = {
    refresh: async (projectId: string, pageId: string, source: string) => {
      refreshes.push(`${projectId}/${pageId}/${source}`);
      return outcome;
    },
  } as unknown as FileRefresher;
  // FILE_URL_REFRESH_MARGIN_SECONDS defaults to 300.
  return { files: new FilesService(loadConfig({}), links, refresher), refreshes };
}

describe('FilesService.redirect', () => {
  it('redirects to a URL that is far from expiry, asking Notion nothing, cached at most 60 s', async () => {
    const { files, refreshes } = service([found(60 * MIN)]);
    expect(await files.redirect('ref')).toEqual({
      url: 'https://files.example/cat.png?sig=3600000',
      maxAgeSeconds: 60,
    });
    expect(refreshes).toEqual([]);
  });

  it('refreshes a URL within the margin of its expiry once, then redirects to the new one', async () => {
    const { files, refreshes } = service([found(2 * MIN), found(60 * MIN)]);
    expect((await files.redirect('ref')).url).toBe('https://files.example/cat.png?sig=3600000');
    expect(refreshes).toEqual(['p/pg/content']);
  });

  it('answers 404 when a refresh brought no fresh URL and the old one expired (Notion no longer shows the file there)', async () => {
    const { files, refreshes } = service([found(-1000), found(-1000)]);
    await expect(files.redirect('ref')).rejects.toBeInstanceOf(FileNotFoundError);
    expect(refreshes).toHaveLength(1);
  });

  it('serves a URL still valid but short-lived after a refresh that could not do better, with max-age 0', async () => {
    const { files } = service([found(2 * MIN), found(MIN)]);
    expect(await files.redirect('ref')).toMatchObject({
      url: 'https://files.example/cat.png?sig=60000',
      maxAgeSeconds: 0,
    });
  });

  it('does not ask Notion again within 30 s of a refresh that got a URL already due for refresh', async () => {
    const { files, refreshes } = service([found(MIN, 5000)]);
    expect((await files.redirect('ref')).url).toBe('https://files.example/cat.png?sig=60000');
    expect(refreshes).toEqual([]);
  });

  it("waits for another replica's refresh without asking Notion again", async () => {
    const { files, refreshes } = service([found(MIN), found(MIN), found(MIN), found(60 * MIN)], 'busy');
    expect((await files.redirect('ref')).url).toBe('https://files.example/cat.png?sig=3600000');
    expect(refreshes).toHaveLength(1);
  });

  it('answers 404 for a page Notion no longer gives, 503 when Notion cannot be asked now', async () => {
    await expect(service([found(MIN)], 'gone').files.redirect('ref')).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(service([found(MIN)], 'unavailable').files.redirect('ref')).rejects.toBeInstanceOf(
      FileUnavailableError,
    );
  });

  it('answers 403 to a tampered ref and 404 to a revoked or gone one, asking Notion nothing', async () => {
    const tampered = service([{ found: false, reason: 'tampered' }]);
    await expect(tampered.files.redirect('ref')).rejects.toBeInstanceOf(FileLinkInvalidError);
    for (const reason of ['revoked', 'gone'] as const) {
      const { files, refreshes } = service([{ found: false, reason }]);
      await expect(files.redirect('ref')).rejects.toBeInstanceOf(FileNotFoundError);
      expect(refreshes).toEqual([]);
    }
  });

  it('redirects to a URL with no known expiry as it is', async () => {
    const { files, refreshes } = service([found(null)]);
    expect(await files.redirect('ref')).toEqual({ url: 'https://files.example/cat.png?sig=null', maxAgeSeconds: 60 });
    expect(refreshes).toEqual([]);
  });
});
