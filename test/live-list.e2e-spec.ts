import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { signDevToken } from '@app/auth';
import { loadConfig } from '@app/config';
import { FakeNotion, waitFor, type AppProcess } from '@app/testing';
import { serveLiveList } from '../examples/live-list/serve.mjs';
import { apiUser, bindNotionDatabase, type ApiCall, type BoundProject } from './jest/api-client.js';
import { launchChromium } from './jest/browser.js';
import { testEnv } from './jest/test-env.js';
import { startThreeApps, type ThreeApps } from './jest/three-apps.js';

/** Short, so that the page's ticket expires within the spec. */
const TICKET_TTL_SECONDS = 3;
/** The bound from an edit in Notion to the new title on screen (a generous one: the machine is shared). */
const LIVE_BOUND_MS = 3000;
const PAGES = 30;

/** What the spec reads of the page in functions run in the browser (the project's TypeScript has no DOM types). */
declare const document: {
  readonly body: { readonly dataset: Record<string, string | undefined> };
  querySelectorAll(selector: string): Iterable<{
    readonly dataset: Record<string, string | undefined>;
    readonly textContent: string | null;
  }>;
};

/** The list's state: `[page id, title]` sorted by id, and the version it stands at. */
interface ListState {
  readonly pages: Array<[string, string]>;
  readonly version: string;
}

/**
 * examples/live-list in a real headless browser (Debian's chromium through
 * playwright-core) against the three built apps and the fake Notion: the
 * page, served as its README says, lists a project's pages through the
 * change stream, shows an edit made in Notion within the bound, and
 * after its ticket has expired and the gateway has restarted (its EventSource's
 * own reconnect is then refused), renews the ticket and catches up with no
 * missing row; and when a deletion it missed was purged (410), starts over
 * from 0. The gateway runs as in production: CORS lets in the page's origin
 * through CORS_ORIGINS only.
 */
describe('the live list example in a browser (three apps, fake Notion, chromium)', () => {
  const notion = new FakeNotion();
  const env = testEnv();
  const config = loadConfig(env);
  const sub = `auth0|${randomUUID()}`;
  const token = signDevToken({
    secret: config.auth.mode === 'secret' ? config.auth.secret : '',
    sub,
    ttlSeconds: 3600,
  });
  const apps: AppProcess[] = [];
  let three: ThreeApps;
  let call: ApiCall;
  let site: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let project: BoundProject<string[]>;
  /** The page's stream requests, in order, with the status each was answered (undefined: no answer, yet or ever). */
  const streams: Array<{ after: string | null; ticket: string | null; status?: number }> = [];
  /** The tickets the page was given. */
  const tickets: string[] = [];
  const consoleErrors: string[] = [];

  /** The list as the page shows it. */
  const shown = async (): Promise<ListState> => {
    const { pages, version } = await page.evaluate(() => ({
      pages: [...document.querySelectorAll('#pages li')].map((li) => [li.dataset.pageId ?? '', li.textContent ?? '']),
      version: document.body.dataset.version ?? '',
    }));
    return { pages: (pages as Array<[string, string]>).sort(byId), version };
  };

  /** The list as the change feed has it: every row from 0 applied, tombstones removing theirs. */
  const fed = async (): Promise<ListState> => {
    const titles = new Map<string, string>();
    let after = '0';
    let version = '0';
    for (;;) {
      const { status, body } = await call('GET', `/projects/${project.id}/changes?after=${after}&limit=1000`);
      expect(status).toBe(200);
      for (const row of body.items as Array<{ id: string; title: string; deletedAt: string | null; version: string }>) {
        if (row.deletedAt) titles.delete(row.id);
        else titles.set(row.id, row.title);
        version = row.version;
      }
      after = body.nextAfter as string;
      if (!body.hasMore) break;
    }
    return { pages: [...titles].sort(byId), version };
  };

  /** Waits until the page shows exactly the feed's state, read once: call it once the feed has settled. */
  const showsTheFeed = async (what: string) => {
    const expected = await fed();
    let last: ListState | undefined;
    await waitFor(
      async () => {
        last = await shown();
        return last.version === expected.version && JSON.stringify(last.pages) === JSON.stringify(expected.pages);
      },
      { timeoutMs: 20_000, intervalMs: 100, what },
    ).catch(() => undefined);
    // The whole state on failure, not only "timed out".
    expect(last).toEqual(expected);
  };

  const status = () => page.locator('body').getAttribute('data-status');
  /** Waits until the page's status is `expected`; a timeout says what it shows instead. */
  const reaches = (expected: string, timeout: number) =>
    page
      .locator(`body[data-status="${expected}"]`)
      .waitFor({ timeout })
      .catch(async (err: Error) => {
        const shows = await page.locator('#status').textContent();
        throw new Error(`the page is not "${expected}" after ${timeout} ms: it shows "${shows}" (${err.message})`);
      });

  beforeAll(async () => {
    browser = await launchChromium();
    await notion.start();
    site = await serveLiveList({ port: 0 });
    three = await startThreeApps(config, notion.url, {
      CORS_ORIGINS: new URL(site.url).origin,
      STREAM_TICKET_TTL_SECONDS: String(TICKET_TTL_SECONDS),
    });
    apps.push(...three.apps);
    call = apiUser(config, `${three.origin}/api/v1`, sub);
    project = await bindNotionDatabase(notion, call, ['Tasks'], ([ds]) =>
      notion.addPages(ds!, PAGES, { title: (i) => `Task ${i}` }).map((p) => p.id),
    );
    await waitFor(
      async () => {
        const { sync } = (await call('GET', `/projects/${project.id}`)).body;
        return sync.status === 'idle' && sync.pageCount === PAGES && sync.contentPending === 0;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the first full sync' },
    );

    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!url.pathname.endsWith('/changes/stream')) return;
      streams.push({ after: url.searchParams.get('after'), ticket: url.searchParams.get('ticket') });
    });
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.endsWith('/changes/stream')) {
        const ticket = url.searchParams.get('ticket');
        const request = streams.findLast((s) => s.ticket === ticket && s.status === undefined);
        if (request) request.status = response.status();
      } else if (url.pathname.endsWith('/stream-tickets') && response.status() === 201) {
        void response.json().then((body: { ticket: string }) => tickets.push(body.ticket));
      }
    });
    const settings = new URLSearchParams({ api: `${three.origin}/api/v1`, project: project.id, token });
    await page.goto(`${site.url}#${settings}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    const exits = await Promise.all(apps.map((app) => app.stop('SIGTERM')));
    await notion.stop();
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('lists the pages from the stream, then shows an edit made in Notion within 3 s', async () => {
    await reaches('live', 20_000);
    await showsTheFeed('the replayed list');
    expect((await shown()).pages).toHaveLength(PAGES);
    expect(streams[0]).toMatchObject({ after: '0', status: 200 });

    for (const [i, title] of ['Renamed live', 'Renamed <b>again</b> & "quoted"'].entries()) {
      const pageId = project.seeded[i]!;
      const started = performance.now();
      await notion.editAndNotify(pageId, { title }, project.webhook);
      await page.waitForFunction(
        ([id, expected]) =>
          [...document.querySelectorAll('#pages li')].some(
            (li) => li.dataset.pageId === id && li.textContent === expected,
          ),
        [pageId, title],
        { polling: 'raf', timeout: 15_000 },
      );
      const ms = performance.now() - started;
      console.log(`live list: edit in Notion to its title in the browser's DOM in ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(LIVE_BOUND_MS);
    }
    // Titles are text: the markup in the second one was not parsed.
    expect(await page.locator('#pages li b').count()).toBe(0);
    await showsTheFeed('the list after the edits');
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('catches up with no missing row after its ticket expired and the gateway restarted', async () => {
    const open = streams.findLast((s) => s.status === 200)!;
    const openTicket = open.ticket!;
    // The ticket in the URL of the page's EventSource no longer opens a stream (its open stream stays).
    await waitFor(
      async () => {
        const refused = new AbortController();
        const res = await fetch(`${three.origin}/api/v1/projects/${project.id}/changes/stream?ticket=${openTicket}`, {
          signal: refused.signal,
        });
        refused.abort();
        return res.status === 401;
      },
      { timeoutMs: TICKET_TTL_SECONDS * 1000 + 10_000, intervalMs: 500, what: "the page's ticket to expire" },
    );
    // Still live on its first stream: an open stream outlives its ticket.
    expect(await status()).toBe('live');
    expect(streams).toHaveLength(1);
    const streamsBefore = streams.length;

    const [downEdited, downTrashed, afterEdited, afterTrashed] = project.seeded.slice(2, 6);
    const gateway = apps[0]!;
    expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // The stream ended; the browser retries by itself, in vain while the gateway is down.
    await reaches('reconnecting', 10_000);

    // Edits in Notion while the gateway is down. Notion retries deliveries that failed; the fake does
    // not, so the spec delivers these events once the gateway is back, as Notion's retries would.
    notion.editPage(downEdited!, { title: 'Edited while the gateway was down' });
    notion.trashPage(downTrashed!);
    const downAdded = notion.addPage(project.dataSourceIds[0]!, 'Added while the gateway was down');

    apps[0] = await three.startGateway();
    await notion.notifyPage('page.properties_updated', downEdited!, project.webhook, { updated_properties: ['title'] });
    await notion.notifyPage('page.deleted', downTrashed!, project.webhook);
    await notion.notifyPage('page.created', downAdded.id, project.webhook);
    // And edits once it is back, around the time the page renews its ticket.
    await notion.editAndNotify(afterEdited!, { title: 'Edited once the gateway was back' }, project.webhook);
    await notion.trashAndNotify(afterTrashed!, project.webhook);
    await notion.createAndNotify(project.dataSourceIds[0]!, 'Added once the gateway was back', project.webhook);

    // The feed has every edit ...
    await waitFor(
      async () => {
        const titles = new Map((await fed()).pages);
        return (
          titles.get(downEdited!) === 'Edited while the gateway was down' &&
          titles.get(afterEdited!) === 'Edited once the gateway was back' &&
          !titles.has(downTrashed!) &&
          !titles.has(afterTrashed!) &&
          titles.has(downAdded.id) &&
          titles.size === PAGES
        );
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the edits in the change feed' },
    );
    // ... and the page shows exactly the feed, through a new ticket and a stream from its last id.
    await reaches('live', 30_000);
    await showsTheFeed('the list caught up');
    const after = streams.slice(streamsBefore);
    // Its EventSource's own reconnect, with the expired ticket, was refused ...
    expect(after).toContainEqual({ after: open.after, ticket: openTicket, status: 401 });
    // ... and it resumed from a version it had, with a ticket of its own.
    const resumed = after.findLast((s) => s.status === 200)!;
    expect(resumed).toBeDefined();
    expect(BigInt(resumed.after!)).toBeGreaterThan(0n);
    expect(resumed.ticket).not.toBe(openTicket);
    expect(tickets).toContain(resumed.ticket);
    expect(consoleErrors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|401/.test(e))).toEqual([]);
  }, 90_000);

  it('starts over from 0 when a deletion it missed was purged (410), and drops that page', async () => {
    const streamsBefore = streams.length;
    const missed = project.seeded[6]!;
    // The page's stream connections fail from now on (its open stream stays) ...
    const isStream = (url: URL) => url.pathname.endsWith('/changes/stream');
    await page.route(isStream, (route) => route.abort('connectionrefused'));
    // ... and its open stream ends with a restart: it cannot reconnect.
    expect(await apps[0]!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await reaches('reconnecting', 10_000);
    apps[0] = await three.startGateway();
    // Meanwhile a page is deleted, and retention purges its tombstone as it does past its horizon:
    // the watermark moves up to the tombstone's version first, then the row goes.
    await notion.trashAndNotify(missed, project.webhook);
    const tombstone = await waitFor(
      async () => {
        const { body } = await call('GET', `/projects/${project.id}/changes?after=${(await shown()).version}`);
        return (body.items as Array<{ id: string; deletedAt: string | null; version: string }>).find(
          (row) => row.id === missed && row.deletedAt,
        );
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the tombstone in the change feed' },
    );
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await db.query('UPDATE project_sync SET purged_version = $2 WHERE project_id = $1', [
        project.id,
        tombstone.version,
      ]);
      await db.query('DELETE FROM notion_pages WHERE project_id = $1 AND page_id = $2', [project.id, missed]);
    } finally {
      await db.end();
    }
    const { version: position } = await shown();
    expect((await call('GET', `/projects/${project.id}/changes?after=${position}`)).status).toBe(410);

    await page.unroute(isStream);
    await reaches('live', 30_000);
    // Without the tombstone only a list rebuilt from 0 loses the page.
    await showsTheFeed('the list rebuilt from 0');
    expect((await shown()).pages.map(([id]) => id)).not.toContain(missed);
    const resumed = streams.slice(streamsBefore).findLast((s) => s.status === 200)!;
    expect(resumed).toMatchObject({ after: '0' });
  }, 90_000);
});

function byId(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
