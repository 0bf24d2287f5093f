import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { AppProcess, deliveryStatus, FakeNotion, freePort, REPO_ROOT, waitFor } from '@app/testing';
import { apiUser, bindNotionDatabase, type ApiCall, type BoundProject } from './jest/api-client.js';
import { isolatedEnv, type IsolatedEnv } from './jest/isolated-env.js';
import { processEnv, testConfig, testEnv } from './jest/test-env.js';

const SECTION = 'Extending notion-sync: your own event handlers';
/** Where the README says the list of installed extensions lives. */
const REGISTRATION = 'libs/installed-extensions/src/index.ts';

interface DocumentedFile {
  readonly path: string;
  readonly source: string;
}

/**
 * The files the README's extension section tells a developer to write: its
 * TypeScript blocks, each opening with a `// <path>` comment. Read from the
 * README itself, so the spec follows (and breaks with) what the README says.
 */
function documentedFiles(): DocumentedFile[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = new RegExp(`^## ${SECTION}\\n([\\s\\S]*?)(?=^## )`, 'm').exec(readme)?.[1];
  if (!section) throw new Error(`README.md has no section "${SECTION}"`);
  const files = [...section.matchAll(/^```ts\n(\/\/ (\S+)\n[\s\S]*?)^```$/gm)].map((m) => ({
    path: m[2]!,
    source: m[1]!,
  }));
  for (const { path } of files) {
    if (!/^libs\/[a-z0-9-]+\/src\/[\w.-]+\.ts$/.test(path))
      throw new Error(`README block for ${path}: not under libs/`);
  }
  return files;
}

/** This checkout's files (tracked, and new ones not ignored) copied to `to`, with node_modules linked, not copied. */
function copyCheckout(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    const from = join(REPO_ROOT, file);
    if (!existsSync(from)) continue; // deleted, not yet committed
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(from, join(to, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** `npm run build` in `cwd`; rejects with its output when it fails. */
function build(cwd: string): Promise<void> {
  // The npm and node of this run first: the nest CLI runs on whatever `node` PATH finds.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  const child = spawn('npm', ['run', 'build'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run build in ${cwd} exited with ${code}:\n${output}`)),
    ),
  );
}

/**
 * The extension point the way the README documents it, which
 * extensions.e2e-spec.ts (modules handed to the apps in process) does not
 * take: a copy of the repository with the README's module and registration
 * written into it verbatim, built with `npm run build`, and its three built
 * apps run as processes against the fake Notion, in a database and Redis
 * prefix of the suite's own. Notion delivers one comment.created twice (the
 * same event id, as its retries do); the README's handler logs "New comment"
 * for it, and the spec counts those lines in the job-worker's output.
 *
 * Before the list of installed extensions had a lib of its own, the workers of
 * such a build stopped at startup ("Cannot access 'OnNotionEvent' before
 * initialization"): @app/extensions imported the list, which imported the
 * developer's module, which imported @app/extensions.
 */
describe('an extension added the way the README says', () => {
  const notion = new FakeNotion();
  const apps: AppProcess[] = [];
  let copy: string | undefined;
  let isolated: IsolatedEnv | undefined;
  let pg: Client | undefined;
  let call: ApiCall;
  let project: BoundProject<void>;
  let jobWorker: AppProcess;

  beforeAll(async () => {
    const files = documentedFiles();
    expect(files.map((f) => f.path)).toContain(REGISTRATION);
    expect(files.length).toBeGreaterThanOrEqual(2); // the registration and at least one module

    copy = mkdtempSync(join(tmpdir(), 'notion-sync-extension-'));
    copyCheckout(copy);
    for (const { path, source } of files) {
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      writeFileSync(join(copy, path), source);
    }
    await build(copy);

    isolated = await isolatedEnv('docpath');
    await notion.start();
    const [port, eventWorkerPort, jobWorkerPort] = [await freePort(), await freePort(), await freePort()];
    const shared = {
      ...isolated.env,
      NOTION_API_BASE_URL: notion.url,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      // The README's handler logs at info.
      LOG_LEVEL: 'info',
    };
    jobWorker = AppProcess.start(
      'job-worker',
      processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: `${jobWorkerPort}` }),
      copy,
    );
    apps.push(
      AppProcess.start('api-gateway', processEnv({ ...shared, PORT: `${port}` }), copy),
      AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: `${eventWorkerPort}` }), copy),
      jobWorker,
    );
    await Promise.all([
      apps[0]!.waitForReady(port),
      apps[1]!.waitForReady(eventWorkerPort),
      apps[2]!.waitForReady(jobWorkerPort),
    ]);
    call = apiUser(testConfig(), `http://127.0.0.1:${port}/api/v1`);
    project = await bindNotionDatabase(notion, call);
    pg = new Client({ connectionString: testEnv(isolated.env).DATABASE_URL });
    await pg.connect();
  }, 300_000);

  afterAll(async () => {
    await pg?.end();
    const exits = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
    await isolated?.dispose();
    if (copy) rmSync(copy, { recursive: true, force: true });
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 60_000);

  it('runs the handler once for an event Notion delivers twice', async () => {
    const pageId = randomUUID();
    const event = {
      ...project.webhook,
      type: 'comment.created',
      eventId: randomUUID(),
      entity: { id: randomUUID(), type: 'comment' },
      data: { page_id: pageId, parent: { id: pageId, type: 'page' } },
    };
    const first = await notion.sendWebhook({ ...event, attemptNumber: 1 });
    const retry = await notion.sendWebhook({ ...event, attemptNumber: 2 });
    expect([first.status, retry.status]).toEqual([200, 200]);

    const { rows } = await pg!.query<{ id: string; correlation_id: string }>(
      'SELECT id, correlation_id FROM webhook_deliveries WHERE project_id = $1 AND event_id = $2',
      [project.id, event.eventId],
    );
    expect(rows).toHaveLength(1);
    const settled = await waitFor(
      async () =>
        ((s) => (s === 'received' || s === 'enqueued' ? undefined : s))(await deliveryStatus(pg!, rows[0]!.id)),
      { what: 'the delivery to settle' },
    );
    // `ignored` would mean the event-worker found no handler for it.
    expect(settled).toBe('processed');

    const calls = () =>
      jobWorker.lines
        .filter((line) => line.includes('New comment'))
        .map((line) => JSON.parse(line) as { msg?: string; page?: { page_id?: string }; correlationId?: string })
        .filter((entry) => entry.msg === 'New comment' && entry.page?.page_id === pageId);
    // The line may reach this process after the delivery's row changed.
    await waitFor(() => calls().length > 0, { what: "the handler's log line" });
    expect(calls()).toEqual([expect.objectContaining({ correlationId: rows[0]!.correlation_id })]);
  });
});
