import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client, LogLevel, collectPaginatedAPI } from '@notionhq/client';
import { REPO_ROOT } from '../app-process.js';
import { freePort } from '../free-port.js';
import { waitFor } from '../wait-for.js';
import { DEMO_DATABASE_ID, DEMO_DATA_SOURCE_IDS } from './demo-workspace.js';

/** `npm run fake-notion` as a user runs it: a real process, its output, its exit code. */
describe('scripts/fake-notion.mjs', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the seeded demo workspace and its control API, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const token = 'secret_script_spec_token';
    const proc = spawn(process.execPath, ['scripts/fake-notion.mjs'], {
      cwd: REPO_ROOT,
      env: { ...process.env, FAKE_NOTION_PORT: String(port), FAKE_NOTION_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

    const baseUrl = `http://127.0.0.1:${port}`;
    await waitFor(() => output.includes(`listening on ${baseUrl}`), { timeoutMs: 20_000, what: 'the fake to listen' });
    expect(output).toContain(token);
    expect(output).toContain(DEMO_DATABASE_ID);

    const client = new Client({ auth: token, baseUrl, notionVersion: '2026-03-11', logLevel: LogLevel.ERROR });
    const db = await client.databases.retrieve({ database_id: DEMO_DATABASE_ID });
    expect(db).toMatchObject({ data_sources: [{ name: 'Tasks' }, { name: 'Archive' }] });
    const rows = await collectPaginatedAPI(client.dataSources.query, { data_source_id: DEMO_DATA_SOURCE_IDS[0]! });
    expect(rows).toHaveLength(16);

    // Page bodies and hosted files work in the transpiled standalone build too.
    const pages = ((await (await fetch(`${baseUrl}/_fake/state`)).json()) as { pages: { id: string; title: string }[] })
      .pages;
    const pricing = pages.find((p) => p.title === 'Review the pricing page')!;
    const { markdown } = await client.pages.retrieveMarkdown({ page_id: pricing.id });
    const image = await fetch(/!\[Approved mockup\]\(([^)]+)\)/.exec(markdown)![1]!);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);

    const created = await fetch(`${baseUrl}/_fake/pages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Added by the spec' }),
    });
    expect(created.status).toBe(200);
    const state = (await (await fetch(`${baseUrl}/_fake/state`)).json()) as { pages: unknown[] };
    expect(state.pages).toHaveLength(21);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
