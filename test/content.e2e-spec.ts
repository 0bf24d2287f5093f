import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import { FakeNotion, solidPng, waitFor, type AppProcess, type HostedFile } from '@app/testing';
import { bindNotionDatabase, type ApiCall, type BoundProject, type Json } from './jest/api-client.js';
import { testEnv } from './jest/test-env.js';
import { startThreeApps } from './jest/three-apps.js';

const prop = FakeNotion.prop;

/** Notion's real pace: 3 requests a second per token, a burst of 3 (the defaults). */
const RATE = { NOTION_RATE_LIMIT_PER_SECOND: '3', NOTION_RATE_LIMIT_BURST: '3' };
/** Bodies of more than this many characters are cut by the fake (Notion truncates long pages). */
const MARKDOWN_LIMIT = 600;
/** Signed URLs of the fake expire fast, and the gateway refreshes them 2 s before. */
const FILE_EXPIRY_SECONDS = 6;

/**
 * Page bodies and file links through the pipeline: three built apps at
 * Notion's real rate, the fake Notion with bodies, truncation and signed file
 * URLs that really expire. Each project has a token of its own (the limiter
 * paces per token).
 */
describe('page content and files (three apps, fake Notion)', () => {
  const notion = new FakeNotion({ markdownLimit: MARKDOWN_LIMIT, fileUrlExpirySeconds: FILE_EXPIRY_SECONDS });
  const env = testEnv(RATE);
  const config = loadConfig(env);
  const apps: AppProcess[] = [];
  let call: ApiCall;
  let image: HostedFile;
  let cover: HostedFile;
  /** Shown only in a files property (no body, icon or cover shows it). */
  let attachment: HostedFile;
  /** A small project: bodies of every kind. */
  let a: BoundProject<{ plain: string; long: string; gaps: string; huge: string; pictured: string }>;

  const content = (p: { id: string }, pageId: string, format = 'markdown', headers: Record<string, string> = {}) =>
    call('GET', `/projects/${p.id}/pages/${pageId}/content?format=${format}`, undefined, headers);
  let gateway: string;

  const project = async (p: { id: string }) => (await call('GET', `/projects/${p.id}`)).body;
  const page = async (p: { id: string }, pageId: string) =>
    (await call('GET', `/projects/${p.id}/pages/${pageId}`)).body;
  const contentIdle = (p: { id: string }, what: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const { sync } = await project(p);
        return sync.status === 'idle' && sync.contentPending === 0;
      },
      { timeoutMs, intervalMs: 250, what },
    );

  beforeAll(async () => {
    await notion.start();
    image = notion.hostFile('cat.png', solidPng(4, 4, [200, 80, 40]));
    cover = notion.hostFile('cover.png', solidPng(8, 2, [10, 10, 200]));
    attachment = notion.hostFile('spec.pdf', 'not really a pdf', 'application/pdf');
    const started = await startThreeApps(config, notion.url, {
      ...RATE,
      CONTENT_MAX_BYTES: '2048',
      FILE_URL_REFRESH_MARGIN_SECONDS: '2',
    });
    apps.push(...started.apps);
    call = started.call;
    gateway = started.origin;
    a = await bindNotionDatabase(notion, call, ['Docs'], ([ds]) => {
      const add = (title: string, body: Parameters<FakeNotion['setBody']>[1], extra = {}) =>
        notion.addPage(ds!, title, { at: new Date(Date.UTC(2025, 0, 1)), body, ...extra }).id;
      return {
        plain: add('Plain', [{ type: 'heading_1', text: 'Hello' }, 'A first paragraph.'], {
          properties: { Attachments: prop.files([{ name: 'spec.pdf', hosted: attachment }]) },
        }),
        // Longer than the fake's limit: Notion truncates, the sync completes it.
        long: add(
          'Long',
          Array.from({ length: 12 }, (_, i) => `Paragraph ${i} ${'of a long page '.repeat(5)}`),
        ),
        gaps: add('Gaps', [
          'Before',
          { type: 'link_to_page', pageId: crypto.randomUUID() },
          { type: 'unsupported' },
          'After',
        ]),
        // Past CONTENT_MAX_BYTES (2 KiB) even once completed: stored up to the cap.
        huge: add(
          'Huge',
          Array.from({ length: 40 }, (_, i) => `Line ${i} ${'x'.repeat(90)}`),
        ),
        pictured: add('Pictured', ['A cat:', { type: 'image', file: image, caption: 'cat' }], {
          icon: { hosted: image },
          cover: { hosted: cover },
          properties: { Attachments: prop.files([{ name: 'cat.png', hosted: image }]) },
        }),
      };
    });
    await contentIdle(a, 'the first import with its bodies');
  }, 120_000);

  afterAll(async () => {
    const exits = await Promise.all(apps.map((x) => x.stop('SIGTERM')));
    await notion.stop();
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 60_000);

  it('serves each body as Markdown, completes a truncated one, and records what it could not read', async () => {
    const plain = await content(a, a.seeded.plain);
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ truncated: false, truncatedReason: null, unknownBlockIds: [], error: null });
    expect(plain.body.markdown).toContain('# Hello');
    expect(plain.body.markdown).toContain('A first paragraph.');
    expect(plain.body.version).toBe((await page(a, a.seeded.plain)).contentVersion);

    // The fake cut it at 600 characters; every paragraph is there, in order.
    const long = (await content(a, a.seeded.long)).body;
    expect(long.truncated).toBe(false);
    const order = Array.from({ length: 12 }, (_, i) => long.markdown.indexOf(`Paragraph ${i} `));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);

    const gaps = (await content(a, a.seeded.gaps)).body;
    expect(gaps.truncated).toBe(false);
    expect(gaps.unknownBlocks.map((b: Json) => b.reason).sort()).toEqual(['unshared', 'unsupported']);
    expect(gaps.unknownBlockIds).toHaveLength(2);
    expect(gaps.markdown).toContain('Before');
    expect(gaps.markdown).toContain('After');

    const huge = (await content(a, a.seeded.huge)).body;
    expect(huge).toMatchObject({ truncated: true, truncatedReason: 'size_cap' });
    expect(Buffer.byteLength(huge.markdown)).toBeLessThanOrEqual(2048);
    expect(huge.markdown).toContain('Line 0 ');
  });

  it('answers 304 to its ETag, and sanitized HTML with the stable image link', async () => {
    const first = await content(a, a.seeded.pictured);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+\..+\.markdown"$/);
    expect((await content(a, a.seeded.pictured, 'markdown', { 'if-none-match': etag })).status).toBe(304);
    const html = await content(a, a.seeded.pictured, 'html');
    expect(html.status).toBe(200);
    expect(html.headers.get('etag')).not.toBe(etag);
    expect(html.body.html).toMatch(new RegExp(`<img [^>]*src="${gateway}/api/v1/files/f1\\.[^"]+"`));
    expect(html.body.markdown).toBeUndefined();
    const missing = await content(a, crypto.randomUUID());
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe('urn:notion-sync:problem:page-not-found');
  });

  it("serves Notion-hosted files through links of ours that outlive Notion's signed URLs", async () => {
    const row = await page(a, a.seeded.pictured);
    const links = [
      row.icon.file.url,
      row.cover.file.url,
      row.properties.Attachments.files[0].file.url,
      row.values.Attachments[0].url,
      (await content(a, a.seeded.pictured)).body.markdown.match(/\((http[^)]+)\)/)[1],
    ] as string[];
    for (const link of links) expect(link).toMatch(new RegExp(`^${gateway}/api/v1/files/f1\\.`));
    expect(row.icon.file.expiry_time).toBeUndefined();
    // The same file on one page is one link, whichever part shows it.
    expect(new Set([links[0], links[2], links[3], links[4]]).size).toBe(1);

    const follow = async (link: string) => {
      const redirect = await fetch(link, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const location = redirect.headers.get('location')!;
      return { location, file: await fetch(location) };
    };
    const before = await follow(links[4]!);
    expect(before.file.status).toBe(200);
    expect(Buffer.from(await before.file.arrayBuffer())).toEqual(solidPng(4, 4, [200, 80, 40]));
    // Notion's URL expires (6 s); the link still loads, through a URL refreshed from Notion.
    await waitFor(async () => (await fetch(before.location)).status === 403, {
      timeoutMs: 15_000,
      intervalMs: 500,
      what: "the fake's signed URL to expire",
    });
    const after = await follow(links[4]!);
    expect(after.location).not.toBe(before.location);
    expect(after.file.status).toBe(200);
    expect((await follow(links[1]!)).file.status).toBe(200);
    // A file only a files property shows: its link is checked against the properties alone.
    const onlyInProperty = (await page(a, a.seeded.plain)).properties.Attachments.files[0].file.url as string;
    const pdf = await follow(onlyInProperty);
    expect(pdf.file.status).toBe(200);
    expect(await pdf.file.text()).toBe('not really a pdf');
  }, 30_000);

  it("refuses a forged or altered link, and one moved to another project's id (403)", async () => {
    const link = (await page(a, a.seeded.pictured)).icon.file.url as string;
    const ref = link.split('/').pop()!;
    const [version, keyId, payload, mac] = ref.split('.');
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    for (const forged of [
      `${version}.${keyId}.${flip(payload!, 3)}.${mac}`,
      `${version}.${keyId}.${payload}.${flip(mac!, 0)}`,
      'f1.k1.not-a-ref.at-all',
      'x'.repeat(150),
    ]) {
      const res = await fetch(`${gateway}/api/v1/files/${forged}`, { redirect: 'manual' });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as Json).type).toBe('urn:notion-sync:problem:file-link-invalid');
    }
    // Another project's id in this ref's place: the MAC binds it.
    const other = (
      await call('POST', '/projects', {
        name: 'Other',
        notionDatabaseId: crypto.randomUUID(),
        notionToken: 'secret_other_token',
      })
    ).body.id as string;
    const bytes = Buffer.from(payload!, 'base64url');
    Buffer.from(other.replaceAll('-', ''), 'hex').copy(bytes, 0);
    const moved = await fetch(`${gateway}/api/v1/files/${version}.${keyId}.${bytes.toString('base64url')}.${mac}`, {
      redirect: 'manual',
    });
    expect(moved.status).toBe(403);
  });

  it('adds no version when a re-fetch only re-signed the file URLs', async () => {
    const before = await page(a, a.seeded.pictured);
    const body = (await content(a, a.seeded.pictured)).body;
    const location = async () =>
      (await fetch(before.icon.file.url as string, { redirect: 'manual' })).headers.get('location');
    const signedBefore = await location();
    // Events without a change: Notion answers the same page and body under new signed URLs.
    await notion.notifyPage('page.properties_updated', a.seeded.pictured, { ...a.webhook }, { updated_properties: [] });
    await notion.notifyPage('page.content_updated', a.seeded.pictured, { ...a.webhook }, { updated_blocks: [] });
    await waitFor(async () => new Date((await page(a, a.seeded.pictured)).syncedAt) > new Date(before.syncedAt), {
      what: 'the re-fetch of the page',
    });
    await waitFor(async () => (await content(a, a.seeded.pictured)).body.fetchedAt !== body.fetchedAt, {
      what: 'the re-fetch of the body',
    });
    const after = await page(a, a.seeded.pictured);
    // Notion's URLs did change (the links now lead to the new ones), and nothing else did.
    expect(await location()).not.toBe(signedBefore);
    expect(after.version).toBe(before.version);
    expect(after.contentVersion).toBe(before.contentVersion);
    expect((await content(a, a.seeded.pictured)).body.version).toBe(body.version);
  });

  it('revokes the links of a page that left the database (404)', async () => {
    const link = (await page(a, a.seeded.pictured)).cover.file.url as string;
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);
    await notion.trashAndNotify(a.seeded.pictured, { ...a.webhook });
    await waitFor(async () => (await page(a, a.seeded.pictured)).deletedAt !== null, { what: 'the tombstone' });
    const gone = await fetch(link, { redirect: 'manual' });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as Json).type).toBe('urn:notion-sync:problem:file-not-found');
  });

  it('keeps properties syncing when the integration cannot read content (contentError, never error)', async () => {
    const c = await bindNotionDatabase(notion, call, ['Notes'], ([ds]) => {
      notion.addPage(ds!, 'Hidden body', { body: ['secret words'] });
    });
    notion.denyContent(c.token);
    await waitFor(async () => (await project(c)).sync.contentError !== null, {
      timeoutMs: 60_000,
      what: 'the content error',
    });
    const { sync } = await project(c);
    expect(sync).toMatchObject({ status: 'idle', pageCount: 1, lastError: null, contentPending: 1 });
    expect(sync.contentError).toContain('Read content');
  });

  it('does not fetch bodies of a project with syncContent off, and fetches them once it is turned on', async () => {
    const d = await bindNotionDatabase(
      notion,
      call,
      ['Off'],
      ([ds]) => notion.addPage(ds!, 'No body', { body: ['the body'] }),
      { syncContent: false },
    );
    await waitFor(async () => (await project(d)).sync.status === 'idle', { timeoutMs: 60_000, what: 'the import' });
    expect((await project(d)).syncContent).toBe(false);
    const res = await content(d, d.seeded.id);
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('urn:notion-sync:problem:page-content-not-found');
    expect((await project(d)).sync.contentPending).toBe(0);
    expect(notion.requests.filter((r) => r.token === d.token && r.path.endsWith('/markdown'))).toEqual([]);

    const on = await call('PATCH', `/projects/${d.id}`, { syncContent: true });
    expect(on.body).toMatchObject({ syncContent: true, sync: { status: 'queued' } });
    await contentIdle(d, 'the bodies fetched once turned on');
    expect((await content(d, d.seeded.id)).body.markdown).toContain('the body');
  });

  it("revokes a deleted project's links (404)", async () => {
    const e = await bindNotionDatabase(notion, call, ['Gone'], ([ds]) =>
      notion.addPage(ds!, 'Iconic', { icon: { hosted: image } }),
    );
    await contentIdle(e, 'the import');
    const link = (await page(e, e.seeded.id)).icon.file.url as string;
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);
    expect((await call('DELETE', `/projects/${e.id}`)).status).toBe(204);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(404);
  });

  it('lands a webhook-driven body edit within 2 s while a 2,000-page backfill runs on the same token, within the rate limit', async () => {
    const b = await bindNotionDatabase(notion, call, ['Big'], ([ds]) =>
      notion.addPages(ds!, 2000, { title: (i) => `Big ${i}` }).map((p) => p.id),
    );
    for (const id of b.seeded) notion.setBody(id, [`Body of ${id}`], new Date(Date.UTC(2025, 0, 1)));
    await waitFor(
      async () => {
        const { sync } = await project(b);
        return sync.status === 'idle' && sync.pageCount === 2000 && sync.contentPending < 1990;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'the import, and the backfill under way' },
    );
    // A page the backfill has not reached yet, or has: either way its new body must show.
    const edited = b.seeded[1000]!;
    const sent = Date.now();
    await notion.editBodyAndNotify(edited, ['Edited while the backfill runs'], { ...b.webhook });
    await waitFor(
      async () => (await content(b, edited)).body.markdown?.includes('Edited while the backfill runs') === true,
      { timeoutMs: 2000, intervalMs: 50, what: 'the edited body within 2 s' },
    );
    const bodyLatency = Date.now() - sent;
    // A property edit of another page of the same project goes through within 5 s too.
    const other = b.seeded[1500]!;
    const sentEdit = Date.now();
    await notion.editAndNotify(other, { title: 'Renamed during the backfill' }, { ...b.webhook });
    await waitFor(async () => (await page(b, other)).title === 'Renamed during the backfill', {
      timeoutMs: 5000,
      intervalMs: 50,
      what: 'the property edit within 5 s',
    });
    const editLatency = Date.now() - sentEdit;
    const { sync } = await project(b);
    console.log(
      `backfill: ${sync.contentPending} of 2000 bodies pending; edited body readable after ${bodyLatency} ms, ` +
        `property edit after ${editLatency} ms`,
    );
    expect(sync.contentPending).toBeGreaterThan(1000);
    // burst + rate x T in any T: 3 + 3 x 10 in 10 s, 3 + 3 x 60 in a minute.
    expect(notion.maxRequestsInWindow(b.token, 10_000)).toBeLessThanOrEqual(33);
    expect(notion.maxRequestsInWindow(b.token, 1_000)).toBeLessThanOrEqual(6);
  }, 150_000);
});
