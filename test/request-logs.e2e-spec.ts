import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signDevToken } from '@app/auth';
import { AppProcess, freePort, waitFor } from '@app/testing';
import { processEnv, testConfig } from './jest/test-env.js';

interface RequestLine {
  level: number;
  req: { id: string } & Record<string, unknown>;
  res: { statusCode: number } & Record<string, unknown>;
}

/**
 * What the built gateway writes per request, at LOG_LEVEL=info: rejected
 * requests are short info lines without headers (a flood of them must not
 * become a flood of 1.5 KB warnings), probes write nothing.
 */
describe('request logs of the built gateway', () => {
  let gateway: AppProcess;
  let base: string;
  const config = testConfig();
  const token = signDevToken({
    secret: config.auth.mode === 'secret' ? config.auth.secret : '',
    sub: `logs-${randomUUID()}`,
    ttlSeconds: 600,
  });
  const BAD_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.bm90LWEtc2lnbmF0dXJl';
  const COOKIE = `session=${'c'.repeat(800)}`;

  beforeAll(async () => {
    const port = await freePort();
    gateway = AppProcess.start('api-gateway', processEnv({ PORT: String(port), LOG_LEVEL: 'info' }));
    await gateway.waitForReady(port);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    expect(await gateway?.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  /** Sends a request with a request id of its own; returns the id. */
  async function send(path: string, init: RequestInit = {}): Promise<string> {
    const id = `logs-${randomUUID()}`;
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { 'x-request-id': id, 'user-agent': 'request-logs-spec', ...(init.headers as Record<string, string>) },
    });
    await res.text();
    return id;
  }
  const linesNaming = (id: string) => gateway.lines.filter((line) => line.includes(id));
  /** The request's completion line (written when its response finished). */
  const requestLine = (id: string) =>
    waitFor(
      () =>
        linesNaming(id)
          .map((line) => ({ line, entry: JSON.parse(line) as RequestLine }))
          .find(({ entry }) => entry.req?.id === id && entry.res !== undefined),
      { what: `the log line of request ${id}` },
    );

  it.each([
    ['no token', 401, '/api/v1/projects', {}],
    [
      'a bad token and a large cookie',
      401,
      '/api/v1/projects',
      { authorization: `Bearer ${BAD_TOKEN}`, cookie: COOKIE },
    ],
    ['an unknown route', 404, '/api/v1/nothing-here', {}],
  ] as const)(
    'logs a rejected request (%s, %i) in one short info line without headers',
    async (_case, status, path, headers) => {
      const id = await send(path, { headers });
      const { line, entry } = await requestLine(id);
      expect({ level: entry.level, status: entry.res.statusCode }).toEqual({ level: 30, status });
      expect(line).not.toMatch(/"headers"|authorization|cookie|content-security-policy|request-logs-spec/i);
      expect(line).not.toContain(BAD_TOKEN);
      expect(line.length).toBeLessThan(500);
      // Nothing else about it reached the log at warn or above either.
      expect(linesNaming(id).filter((l) => (JSON.parse(l) as { level: number }).level >= 40)).toEqual([]);
    },
  );

  it('logs a bad body (400) and a success at info too', async () => {
    const bad = await send('/api/v1/projects', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '' }),
    });
    const ok = await send('/api/v1/projects', { headers: { authorization: `Bearer ${token}` } });
    for (const [id, status] of [
      [bad, 400],
      [ok, 200],
    ] as const) {
      const { line, entry } = await requestLine(id);
      expect({ level: entry.level, status: entry.res.statusCode }).toEqual({ level: 30, status });
      expect(line).not.toContain(token);
      expect(line).not.toMatch(/"headers"/);
    }
  });

  it('logs a stream opened with a ticket, and a refused ticket, with the ticket redacted', async () => {
    const project = await fetch(`${base}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Logs', notionDatabaseId: randomUUID(), notionToken: 'secret_token' }),
    });
    const { id: projectId } = (await project.json()) as { id: string };
    const issued = await fetch(`${base}/api/v1/projects/${projectId}/stream-tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const { ticket } = (await issued.json()) as { ticket: string };
    const path = `/api/v1/projects/${projectId}/changes/stream?after=0&ticket=${encodeURIComponent(ticket)}`;
    // An opened stream: its line is written when it ends (here, when the client goes away).
    const opened = `logs-${randomUUID()}`;
    const aborter = new AbortController();
    const res = await fetch(`${base}${path}`, { headers: { 'x-request-id': opened }, signal: aborter.signal });
    expect(res.status).toBe(200);
    aborter.abort();
    // A refused one (another project).
    const refused = await send(`/api/v1/projects/${randomUUID()}/changes/stream?ticket=${encodeURIComponent(ticket)}`);
    for (const id of [opened, refused]) {
      const { line } = await requestLine(id);
      expect(line).toContain('ticket=[redacted]');
    }
    const mac = ticket.split('.')[2]!;
    expect(gateway.lines.filter((line) => line.includes(mac))).toEqual([]);
  });

  it('writes nothing for health probes', async () => {
    const probes = [await send('/health/live'), await send('/health/ready')];
    // A logged request after them marks the point by which their lines would have been written.
    await requestLine(await send('/api/v1/projects'));
    expect(probes.flatMap(linesNaming)).toEqual([]);
  });
});
