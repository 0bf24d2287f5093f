import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { waitFor } from '@app/testing';
import { launchChromium } from './jest/browser.js';
import { TerminalCommand } from './jest/terminal-command.js';
import { SERVER_URLS } from './jest/test-env.js';

/**
 * `npm run demo` as a new user runs it: the command itself, its printed
 * walkthrough followed line by line in a shell (and its live list opened in a
 * browser, where the edit shows), and Ctrl-C. The fake Notion's
 * default port is held by the spec (as a running `npm run fake-notion` would),
 * so the demo must move it and print the moved address.
 */
describe('npm run demo', () => {
  let demo: TerminalCommand | undefined;
  let blocker: Server | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  });

  it('reaches its walkthrough, every printed command works when pasted, and Ctrl-C removes what it made', async () => {
    blocker = await holdPort(4010);
    // The machine's servers, as a user's defaults would be; the demo picks its own database and prefix there.
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: SERVER_URLS.postgres,
      REDIS_URL: SERVER_URLS.redis,
    };
    for (const name of [
      'PORT',
      'ADMIN_PORT',
      'EVENT_WORKER_HEALTH_PORT',
      'JOB_WORKER_HEALTH_PORT',
      'FAKE_NOTION_PORT',
    ]) {
      delete env[name];
    }
    demo = new TerminalCommand('npm', ['run', 'demo'], env);
    const proc = demo;
    await waitFor(() => proc.output.includes('Ctrl-C here stops the demo'), {
      timeoutMs: 150_000,
      what: 'the walkthrough',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; the demo printed:\n${proc.output}`);
    });
    const output = proc.output;
    if (blocker) expect(output).toMatch(/Default ports taken .*FAKE_NOTION_PORT=\d+/);
    const database = /into (notion_sync_demo_\d+)\./.exec(output)?.[1];
    expect(database).toBeDefined();

    // The walkthrough: the block between "paste:" and "API docs:", as printed.
    const block = output.slice(output.indexOf('In another terminal, paste:'), output.indexOf('API docs:'));
    const lines = block.split('\n').slice(1);
    const exports = lines.filter((line) => line.startsWith('export '));
    const commands = lines.filter((line) => line.startsWith('curl '));
    expect(exports).toHaveLength(3);
    expect(commands).toHaveLength(5);
    const [listPages, editPage, readChanges, readPage, readBody] = commands as [string, string, string, string, string];
    const paste = (command: string) => {
      const run = spawnSync('bash', ['-c', [...exports, command].join('\n')], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      return JSON.parse(run.stdout) as Record<string, any>;
    };

    const pages = paste(listPages);
    expect(pages.items).toHaveLength(3);
    const exported = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(exports.join(' '))![1]!;
    const page = exported('PAGE');

    // 5. the live list, opened before the edit: its URL carries the walkthrough's settings, and it goes live.
    const liveListUrl = /# 5\. open the live list in a browser: (\S+)/.exec(block)![1]!;
    const settings = new URLSearchParams(new URL(liveListUrl).hash.slice(1));
    expect(Object.fromEntries(settings)).toEqual({
      api: exported('API'),
      project: exported('PROJECT'),
      token: exported('TOKEN'),
    });
    browser = await launchChromium();
    const liveList = await browser.newPage();
    await liveList.goto(liveListUrl);
    await liveList.locator('body[data-status="live"]').waitFor({ timeout: 20_000 });
    const pageCount = Number(/\((\d+) pages\) mirrored/.exec(output)![1]);
    expect(await liveList.locator('#pages li').count()).toBe(pageCount);

    expect(paste(editPage)).toMatchObject({ page: { id: page, title: 'Edited in Notion' } });
    // The edit shows in the live list, without a reload.
    await liveList
      .locator(`#pages li[data-page-id="${page}"]`)
      .filter({ hasText: /^Edited in Notion$/ })
      .waitFor({ timeout: 20_000 });
    // "a moment later": the same pasted command, again, until the webhook's sync landed.
    const changes = await waitFor(
      () => {
        const feed = paste(readChanges);
        return feed.items.some((p: { title: string }) => p.title === 'Edited in Notion') ? feed : undefined;
      },
      { timeoutMs: 20_000, what: 'the edit in the change feed' },
    );
    expect(changes.items.map((p: { id: string }) => p.id)).toEqual([page]);
    expect(paste(readPage)).toMatchObject({ id: page, title: 'Edited in Notion' });
    const body = paste(readBody);
    expect(body.html).toContain('Approved mockup');
    // The image: our link, no token, a redirect to the fake Notion's signed URL, and the PNG behind it.
    const image = /<img [^>]*src="([^"]+)"/.exec(body.html as string)![1]!;
    expect(image).toMatch(/\/api\/v1\/files\/f1\./);
    const png = await fetch(image);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');

    const docs = /API docs: (\S+)/.exec(output)![1]!;
    expect((await fetch(docs)).status).toBe(200);

    proc.interrupt();
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGINT' },
    ]).toContainEqual(await proc.exited);
    expect(proc.output).toContain(`database ${database} dropped`);
    const pg = new Client({ connectionString: SERVER_URLS.postgres });
    await pg.connect();
    try {
      const left = await pg.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      expect(left.rowCount).toBe(0);
    } finally {
      await pg.end();
    }
    const redis = new Redis(SERVER_URLS.redis);
    try {
      const pid = database!.slice('notion_sync_demo_'.length);
      const left: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `notion-sync-demo-${pid}:*`, 'COUNT', 1000);
        left.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 240_000);
});

/** Listens on `port` so that the demo finds it taken; undefined when something else already holds it. */
async function holdPort(port: number): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
