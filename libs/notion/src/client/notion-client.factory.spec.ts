import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { RequestTimeoutError } from '@notionhq/client';
import { loadConfig, type AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { freePort } from '@app/testing';
import { NotionClientFactory } from './notion-client.factory.js';
import { NotionNetworkError, NotionRateLimitedError, classifyNotionError } from './notion-errors.js';
import { runInNotionJob } from './notion-job-scope.js';
import { NotionTurnDeferredError, type NotionRateLimiter, type TurnOptions } from './notion-rate-limiter.js';

const TOKEN = 'ntn_unit0123456789abcdefghijklmnopqrstuvwxyz';

/** Records what the factory asks of the limiter; grants at once unless told to answer "later". */
class RecordingLimiter {
  readonly events: string[] = [];
  readonly turns: TurnOptions[] = [];
  laterMs = 0;

  async turn(token: string, options: TurnOptions): Promise<number> {
    this.events.push(`turn:${token}`);
    this.turns.push(options);
    return this.laterMs;
  }

  async pause(token: string, ms: number): Promise<void> {
    this.events.push(`pause:${token}:${ms}`);
  }
}

type Answer = (res: ServerResponse) => void;
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => {
  return (res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
const rateLimited = json(
  429,
  { object: 'error', status: 429, code: 'rate_limited', message: 'Rate limited', request_id: 'r' },
  { 'retry-after': '0' },
);

describe('NotionClientFactory', () => {
  let server: Server;
  let baseUrl: string;
  let answers: Answer[] = [];
  let seen: Seen[] = [];
  let limiter: RecordingLimiter;
  let metrics: Metrics;
  /** notion_requests_total by status, as counted so far in this test. */
  const requestsByStatus = async () =>
    Object.fromEntries((await metrics.notionRequests.get()).values.map((v) => [String(v.labels.status), v.value]));
  const logs: string[] = [];
  const capture: LoggerService = {
    log: (m) => logs.push(JSON.stringify(m)),
    warn: (m) => logs.push(JSON.stringify(m)),
    error: (m) => logs.push(JSON.stringify(m)),
    debug: (m) => logs.push(JSON.stringify(m)),
    verbose: (m) => logs.push(JSON.stringify(m)),
  };

  const factory = (env: Record<string, string> = {}) => {
    const config: AppConfig = loadConfig({ NODE_ENV: 'test', NOTION_API_BASE_URL: baseUrl, ...env });
    return new NotionClientFactory(config, limiter as unknown as NotionRateLimiter, metrics);
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      const answer = answers.shift();
      // No answer queued: never respond (the timeout case).
      if (answer) answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    Logger.overrideLogger(capture);
  });

  afterEach(() => {
    answers = [];
    seen = [];
    logs.length = 0;
  });

  afterAll(async () => {
    Logger.overrideLogger(false);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    limiter = new RecordingLimiter();
    metrics = new Metrics('test', { defaultMetrics: false });
  });

  it('sends the configured version and the token to the configured base URL, paced by the limiter', async () => {
    answers.push(json(200, { object: 'database', id: 'd1', data_sources: [] }));
    const db = await factory().forToken(TOKEN).databases.retrieve({ database_id: 'd1' });
    expect(db).toMatchObject({ id: 'd1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/databases/d1' });
    expect(seen[0]!.headers['notion-version']).toBe('2026-03-11');
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(limiter.events).toEqual([`turn:${TOKEN}`]);
  });

  it("paces the SDK's retries of a 429 too, and pauses the bucket for Retry-After", async () => {
    answers.push(rateLimited, rateLimited, json(200, { object: 'page', id: 'p1' }));
    await factory().forToken(TOKEN).pages.retrieve({ page_id: 'p1' });
    expect(seen).toHaveLength(3);
    // Retry-After: 0 means no pause; each of the three attempts waited for a slot.
    expect(limiter.events).toEqual([`turn:${TOKEN}`, `turn:${TOKEN}`, `turn:${TOKEN}`]);
    // Every attempt is counted, by status.
    expect(await requestsByStatus()).toEqual({ '429': 2, '200': 1 });
  });

  it('tells the caller to delay by Retry-After once the retries are spent', async () => {
    const slow = json(
      429,
      { object: 'error', status: 429, code: 'rate_limited', message: 'Rate limited', request_id: 'r' },
      { 'retry-after': '0' },
    );
    const last = json(
      429,
      { object: 'error', status: 429, code: 'rate_limited', message: 'Rate limited', request_id: 'r2' },
      { 'retry-after': '9' },
    );
    answers.push(slow, last);
    const err = await factory({ NOTION_MAX_RETRIES: '1' })
      .forToken(TOKEN)
      .pages.retrieve({ page_id: 'p1' })
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect(limiter.events).toEqual([`turn:${TOKEN}`, `turn:${TOKEN}`, `pause:${TOKEN}:9000`]);
    expect(classifyNotionError(err)).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 9000,
      requestId: 'r2',
    });
  });

  it('reuses one client per token', () => {
    const f = factory();
    expect(f.forToken(TOKEN)).toBe(f.forToken(TOKEN));
    expect(f.forToken(`${TOKEN}x`)).not.toBe(f.forToken(TOKEN));
    expect(() => f.forToken('')).toThrow('A Notion integration token is required');
  });

  it('delays the job rather than waiting on for ever when its turn is further off than NOTION_TIMEOUT_MS', async () => {
    limiter.laterMs = 12_000;
    const err = await factory({ NOTION_TIMEOUT_MS: '1000' })
      .forToken(TOKEN)
      .pages.retrieve({ page_id: 'p1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotionRateLimitedError);
    expect(err).not.toBeInstanceOf(NotionTurnDeferredError);
    // Outside a job: nothing reserved, and it would have waited up to the timeout.
    expect(limiter.turns).toEqual([{ reservation: undefined, patienceMs: 1000 }]);
    expect(seen).toHaveLength(0);
    // No turn, no request: nothing reached Notion.
    expect(await requestsByStatus()).toEqual({});
    expect(classifyNotionError(err)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 12_000 });
  });

  it("lets a job's first request leave its worker slot for a reserved turn, and makes later ones wait in place", async () => {
    const client = factory({ NOTION_TIMEOUT_MS: '30000', NOTION_RATE_LIMIT_DEFER_MS: '1500' }).forToken(TOKEN);
    limiter.laterMs = 40_000;
    const deferred = await runInNotionJob('job-1', () => client.pages.retrieve({ page_id: 'p1' })).catch(
      (e: unknown) => e,
    );
    expect(deferred).toBeInstanceOf(NotionTurnDeferredError);
    expect(classifyNotionError(deferred)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 40_000 });
    expect(seen).toHaveLength(0);

    // Back at its turn: the first request goes, the next ones are part-way through the job.
    limiter.laterMs = 0;
    answers.push(json(200, { object: 'page', id: 'p1' }), json(200, { object: 'page', id: 'p2' }));
    await runInNotionJob('job-1', async () => {
      await client.pages.retrieve({ page_id: 'p1' });
      await client.pages.retrieve({ page_id: 'p2' });
    });
    expect(seen).toHaveLength(2);
    expect(limiter.turns).toEqual([
      { reservation: 'job-1', priority: 'foreground', patienceMs: 1500 },
      { reservation: 'job-1', priority: 'foreground', patienceMs: 1500 },
      { reservation: 'job-1', priority: 'foreground', patienceMs: 30_000 },
    ]);
  });

  it("lets any request of a background job leave its worker slot, not only the job's first", async () => {
    const client = factory({ NOTION_TIMEOUT_MS: '30000', NOTION_RATE_LIMIT_DEFER_MS: '1500' }).forToken(TOKEN);
    answers.push(json(200, { object: 'page', id: 'p1' }));
    const deferred = await runInNotionJob(
      'backfill-1',
      async () => {
        await client.pages.retrieve({ page_id: 'p1' });
        // Part-way through: the line is busy with foreground work for a while.
        limiter.laterMs = 40_000;
        await client.pages.retrieve({ page_id: 'p2' });
      },
      { priority: 'background' },
    ).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(NotionTurnDeferredError);
    expect(classifyNotionError(deferred)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 40_000 });
    expect(seen.map((r) => r.url)).toEqual(['/v1/pages/p1']);
    // Every request asked as background, and waited in place no longer than the defer limit.
    expect(limiter.turns).toEqual([
      { reservation: 'backfill-1', priority: 'background', patienceMs: 1500 },
      { reservation: 'backfill-1', priority: 'background', patienceMs: 1500 },
    ]);
  });

  it('abandons a request Notion does not answer in time, as the SDK would', async () => {
    const err = await factory({ NOTION_TIMEOUT_MS: '1000' })
      .forToken(TOKEN)
      .pages.retrieve({ page_id: 'p1' })
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(classifyNotionError(err).kind).toBe('transient');
    expect(await requestsByStatus()).toEqual({ timeout: 1 });
  });

  it('reports an unreachable Notion as a network error', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await factory({ NOTION_API_BASE_URL: closed })
      .forToken(TOKEN)
      .pages.retrieve({ page_id: 'p1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotionNetworkError);
    expect(await requestsByStatus()).toEqual({ network: 1 });
    expect(classifyNotionError(err)).toEqual({
      kind: 'transient',
      message: 'Notion could not be reached (ECONNREFUSED)',
    });
  });

  it.each([
    ['a CR', 'ntn_crlfsecretpart\rinjected'],
    ['an LF', 'ntn_crlfsecretpart\ninjected'],
    ['a NUL', 'ntn_crlfsecretpart\u0000injected'],
    ['a DEL', 'ntn_crlfsecretpart\u007finjected'],
    ['an emoji', 'ntn_crlfsecretpart😀injected'],
    ['a zero-width space', 'ntn_crlfsecretpart\u200binjected'],
  ])(
    'fails a token with %s for good (the owner must replace it), and no message or log quotes it',
    async (_case, token) => {
      const err = await factory()
        .forToken(token)
        .pages.retrieve({ page_id: 'p1' })
        .catch((e: unknown) => e);
      expect(seen).toHaveLength(0);
      const failure = classifyNotionError(err);
      expect(failure).toEqual({
        kind: 'unauthorized',
        message:
          'The integration token cannot be sent to Notion (it holds characters an HTTP header cannot carry): update the token',
      });
      // fetch's own message quotes the header value: none of it may survive, in any form.
      const said = [failure.message, String(err), (err as Error).stack ?? '', JSON.stringify(err), ...logs].join('\n');
      for (const fragment of ['crlfsecret', 'injected']) expect(said).not.toContain(fragment);
    },
  );

  it("logs the SDK's lines at debug and never the token", async () => {
    answers.push(
      json(404, {
        object: 'error',
        status: 404,
        code: 'object_not_found',
        // A body that (absurdly) echoes the token: the log must not.
        message: `Could not find page p1 for ${TOKEN}`,
        request_id: 'r',
      }),
    );
    await factory()
      .forToken(TOKEN)
      .pages.retrieve({ page_id: 'p1' })
      .catch(() => undefined);
    expect(logs.some((line) => line.includes('Notion SDK: request start'))).toBe(true);
    expect(logs.some((line) => line.includes('Notion SDK: request fail'))).toBe(true);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});
